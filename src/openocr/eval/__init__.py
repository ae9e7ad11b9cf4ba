"""Evaluation: metrics (numpy only) and dataset-level evaluation of det, rec and end-to-end."""
