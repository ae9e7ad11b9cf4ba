"""Model input preparation (numpy + OpenCV only): detector resize/normalize, recognizer batches."""

from .det import DetPreConfig, ResizeMeta, det_preprocess, det_resize
from .rec import RecBatch, RecPreConfig, make_rec_batches, rec_resize

__all__ = [
    "DetPreConfig",
    "RecBatch",
    "RecPreConfig",
    "ResizeMeta",
    "det_preprocess",
    "det_resize",
    "make_rec_batches",
    "rec_resize",
]
