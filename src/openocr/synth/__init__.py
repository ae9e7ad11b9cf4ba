"""Synthetic OCR data: recognition lines and detection pages rendered from installed fonts.

Install the resources with ``scripts/install_synth_resources.sh``; without them, bundled fallback
fonts and word lists are used. torch is imported only by :mod:`openocr.synth.torch_data`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RecLineGenerator", "DetPageGenerator", "FontIndex", "write_dataset"]


def __getattr__(name: str) -> Any:  # lazy: keep `import openocr.synth` cheap
    if name == "RecLineGenerator":
        from .rec import RecLineGenerator

        return RecLineGenerator
    if name == "DetPageGenerator":
        from .det import DetPageGenerator

        return DetPageGenerator
    if name == "FontIndex":
        from .fonts import FontIndex

        return FontIndex
    if name == "write_dataset":
        from .writers import write_dataset

        return write_dataset
    raise AttributeError(name)
