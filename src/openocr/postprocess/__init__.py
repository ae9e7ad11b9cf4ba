"""Model output decoding (numpy only): DB boxes, CTC text, reading order."""

from .ctc import CTCResult, ctc_greedy_decode
from .db import DBPostConfig, DBPostProcessor, DetResult
from .order import sort_boxes

__all__ = [
    "CTCResult",
    "DBPostConfig",
    "DBPostProcessor",
    "DetResult",
    "ctc_greedy_decode",
    "sort_boxes",
]
