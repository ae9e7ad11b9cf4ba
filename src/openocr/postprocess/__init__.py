"""Model output decoding (numpy only): DB boxes, CTC text, word prior, reading order."""

from .ctc import CTCResult, ctc_greedy_decode
from .db import DBPostConfig, DBPostProcessor, DetResult
from .lexicon import Lexicon, LexiconConfig, rescore_words
from .order import sort_boxes

__all__ = [
    "CTCResult",
    "DBPostConfig",
    "DBPostProcessor",
    "DetResult",
    "Lexicon",
    "LexiconConfig",
    "ctc_greedy_decode",
    "rescore_words",
    "sort_boxes",
]
