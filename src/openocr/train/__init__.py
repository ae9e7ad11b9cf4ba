"""Training: one loop (loop.py) with task adapters for recognition and detection (tasks.py)."""
