"""openocr: text detection + recognition, Chinese and English, fast on CPU.

Heavy dependencies (torch, onnxruntime) are imported lazily, only when a model is built or run.
"""

__version__ = "0.1.0"
