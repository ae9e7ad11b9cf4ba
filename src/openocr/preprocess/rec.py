"""Recognizer input: height-48 dynamic-width resize, batching sorted by width, long-line split.

Each crop (RGB uint8) is resized to height ``cfg.height`` keeping its aspect ratio, normalized
to ``(p/255 - 0.5)/0.5`` and zero-padded on the right (zero = mid-grey). Crops wider than
``cfg.max_width`` after resizing are cut into overlapping windows; each window owns the middle
of its overlap, so a character decoded in two windows is kept once (see ``Segment.keep``).
Segments are sorted by width and batched, so each batch is padded only to its own widest member;
``Segment.crop_index`` restores the original order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..geometry import TALL_RATIO

# rotate_angles for crops of tilted words in axis-aligned boxes (chosen on held-out synthetic words)
TILTED_WORD_ANGLES = (12.0, -12.0, 24.0, -24.0, 36.0, -36.0)
_REC_LUT = (np.arange(256, dtype=np.float32) / 127.5 - 1.0).astype(np.float32)  # (p/255 - 0.5)/0.5


@dataclass(frozen=True)
class RecPreConfig:
    height: int = 48
    min_width: int = 320  # batches are padded to at least this width (the training width)
    max_width: int = 1920  # wider lines are split into overlapping windows
    overlap: int = 96  # window overlap in resized pixels
    batch_size: int = 6
    width_multiple: int = 8  # padded batch width is rounded up to a multiple of this
    x_scale: float = 1.0  # horizontal stretch after the height resize (more CTC steps per char)
    # crops read at more than retry_density characters per unit of aspect ratio (w/h) are read
    # again stretched by each of retry_scales; the reading with the best mean score is kept
    # (dense text needs more CTC steps per character than stride 8 gives). 0 disables.
    retry_density: float = 2.0
    retry_scales: tuple[float, ...] = (1.25, 1.5)
    # short crops (w/h under rotate_aspect) still read with a mean score under rotate_score are
    # read again turned by each of rotate_angles (degrees), cut to the band a word rotated by
    # that angle inside its axis-aligned box would occupy; the best-scored reading is kept.
    # Off by default: it helps crops of tilted words cut by axis-aligned boxes but costs level
    # crops (docs/engine.md, pipeline step 5); TILTED_WORD_ANGLES turns it on.
    rotate_score: float = 0.9
    rotate_aspect: float = 3.0
    rotate_angles: tuple[float, ...] = ()
    # crops at least tall_ratio times taller than wide (vertical lines given to the recognizer
    # directly; the pipeline's crops are already turned) are read again turned 90 degrees
    # counter-clockwise, like the pipeline turns them; the better-scored reading is kept. 0 disables.
    tall_ratio: float = TALL_RATIO


@dataclass
class Segment:
    """One window of one crop: columns [x0, x1) of the resized crop (width ``crop_width``).
    Characters whose centre falls in [keep0, keep1) (resized-crop pixels) belong to it."""

    crop_index: int
    x0: int
    x1: int
    crop_width: int
    keep0: float = 0.0
    keep1: float = math.inf

    @property
    def width(self) -> int:
        return self.x1 - self.x0


@dataclass
class RecBatch:
    """A model input ``x`` [B,3,H,W] float32 and the segment each row holds."""

    x: np.ndarray
    segments: list[Segment] = field(default_factory=list)


def resized_width(h: int, w: float, height: int = 48) -> int:
    return max(1, int(math.ceil(height * w / max(h, 1))))


def rec_resize(crop: np.ndarray, height: int = 48, x_scale: float = 1.0) -> np.ndarray:
    """Resize an RGB uint8 crop to ``height`` keeping the aspect ratio (times ``x_scale``
    horizontally); returns float32 CHW in [-1, 1] (no padding)."""
    h, w = crop.shape[:2]
    rw = resized_width(h, w * x_scale, height)
    # area averaging when shrinking (as the synthetic training lines are made; bilinear
    # sampling aliases thin strokes away at large reduction factors), bilinear when enlarging
    shrink = h > height
    img = cv2.resize(
        crop, (rw, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    )
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return _REC_LUT[img].transpose(2, 0, 1)


def rotated_band(crop: np.ndarray, angle: float, margin: float = 0.15) -> np.ndarray | None:
    """``crop`` turned ``angle`` degrees counter-clockwise and cut to the band of a word that
    fills the crop's axis-aligned box at that angle, plus ``margin`` of its height per side.

    The word's size follows from the crop's: W = w cos + h sin, H = w sin + h cos. Returns None
    when no word fits (angles near 45 degrees, or a crop too flat or too narrow for the angle).
    """
    H, W = crop.shape[:2]
    c, s = math.cos(math.radians(abs(angle))), math.sin(math.radians(abs(angle)))
    det = c * c - s * s
    if det < 0.2:
        return None
    w, h = (W * c - H * s) / det, (H * c - W * s) / det
    if w < 4 or h < 4:
        return None
    new_w, new_h = int(W * c + H * s + 0.5), int(W * s + H * c + 0.5)
    M = cv2.getRotationMatrix2D((W / 2, H / 2), angle, 1.0)
    M[:, 2] += ((new_w - W) / 2, (new_h - H) / 2)
    turned = cv2.warpAffine(
        crop, M, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    m = margin * h
    y0, y1 = max(0, int(new_h / 2 - h / 2 - m)), min(new_h, int(new_h / 2 + h / 2 + m + 1))
    x0, x1 = max(0, int(new_w / 2 - w / 2 - m)), min(new_w, int(new_w / 2 + w / 2 + m + 1))
    return turned[y0:y1, x0:x1]


def split_windows(width: int, max_width: int, overlap: int) -> list[tuple[int, int, float, float]]:
    """Cut [0, width) into windows of at most ``max_width`` that overlap by ``overlap``.

    Returns (x0, x1, keep0, keep1) per window; keep ranges tile [0, inf) without gaps.
    """
    if width <= max_width:
        return [(0, width, 0.0, math.inf)]
    step = max_width - overlap
    n = math.ceil((width - overlap) / step)
    starts = [min(i * step, width - max_width) for i in range(n)]
    out = []
    for i, x0 in enumerate(starts):
        x1 = x0 + max_width
        keep0 = 0.0 if i == 0 else (x0 + starts[i - 1] + max_width) / 2.0
        keep1 = math.inf if i == n - 1 else (starts[i + 1] + x1) / 2.0
        out.append((x0, x1, keep0, keep1))
    return out


def make_rec_batches(
    crops: Sequence[np.ndarray], cfg: RecPreConfig = RecPreConfig()
) -> list[RecBatch]:
    """Resize, split, sort by width and batch ``crops`` (RGB uint8 arrays).

    >>> import numpy as np
    >>> batches = make_rec_batches([np.zeros((48, 96, 3), np.uint8), np.zeros((24, 480, 3), np.uint8)])
    >>> [b.x.shape for b in batches], [s.crop_index for s in batches[0].segments]
    ([(2, 3, 48, 960)], [0, 1])
    """
    pieces: list[tuple[Segment, np.ndarray]] = []
    for i, crop in enumerate(crops):
        x = rec_resize(crop, cfg.height, cfg.x_scale)
        cw = x.shape[2]
        for x0, x1, k0, k1 in split_windows(cw, cfg.max_width, cfg.overlap):
            pieces.append((Segment(i, x0, x1, cw, k0, k1), x[:, :, x0:x1]))
    pieces.sort(key=lambda p: p[0].width)  # stable: equal widths keep crop order
    batches = []
    for start in range(0, len(pieces), cfg.batch_size):
        chunk = pieces[start : start + cfg.batch_size]
        w = max(cfg.min_width, max(seg.width for seg, _ in chunk))
        w = int(math.ceil(w / cfg.width_multiple) * cfg.width_multiple)
        x = np.zeros((len(chunk), 3, cfg.height, w), dtype=np.float32)
        for k, (_, arr) in enumerate(chunk):
            x[k, :, :, : arr.shape[2]] = arr
        batches.append(RecBatch(x, [seg for seg, _ in chunk]))
    return batches
