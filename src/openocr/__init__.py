"""openocr: text detection + recognition, Chinese and English, fast on CPU.

Heavy dependencies (torch, onnxruntime) are imported lazily, only when a model is built or run:
the public names below resolve on first access.

>>> from openocr import OpenOCR  # doctest: +SKIP
>>> engine = OpenOCR(det_model="det.onnx", rec_model="rec.onnx")  # doctest: +SKIP
>>> results, time_dicts = engine("images/")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "OpenOCR": "openocr.api",
    "load_image": "openocr.io",
    "load_pages": "openocr.io",
    "Page": "openocr.results",
    "TextLine": "openocr.results",
    "Word": "openocr.results",
    "Charset": "openocr.charset",
    "create_model": "openocr.models.registry",
    "list_models": "openocr.models.registry",
    "OpenOCRError": "openocr.errors",
    "InputError": "openocr.errors",
    "ModelError": "openocr.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'openocr' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
