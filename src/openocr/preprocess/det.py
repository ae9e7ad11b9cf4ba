"""Detector input: limit the long side, round each side to a multiple of 32, ImageNet-normalize.

Input is RGB uint8; mean/std are applied in RGB order (R uses 0.485/0.229).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
_LUT = (
    (np.arange(256, dtype=np.float32)[None] / 255.0 - IMAGENET_MEAN[:, None])
    / IMAGENET_STD[:, None]
).astype(np.float32)


@dataclass(frozen=True)
class DetPreConfig:
    """``limit_type='max'`` shrinks images whose long side exceeds ``limit_side_len`` (never
    upscales); ``'min'`` scales so the short side is at least ``limit_side_len``; ``'area'``
    shrinks images holding more pixels than a ``limit_side_len`` square to that pixel budget
    (never upscales): a tall receipt keeps more resolution than under ``'max'`` at the cost of
    a square input."""

    # 1280, not the reference's 960: short receipt tokens are found at that scale (held-out
    # synthetic receipts: char F1 0.941 -> 0.954; docs/engine.md step 1)
    limit_side_len: int = 1280
    limit_type: str = "area"
    stride: int = 32

    def __post_init__(self) -> None:
        if self.limit_type not in ("area", "max", "min"):
            raise ValueError(f"limit_type must be 'area', 'max' or 'min', got {self.limit_type!r}")
        if self.limit_side_len < self.stride:
            raise ValueError(
                f"limit_side_len must be at least {self.stride}, got {self.limit_side_len}"
            )


@dataclass(frozen=True)
class ResizeMeta:
    """What the detector resize did: source size and the resized (model input) size.

    ``frame_h/frame_w`` is the image that was resized: the source itself, or the source
    zero-padded to 32x32 when it was tiny. Boxes map back to that frame and are clipped to
    the source size.
    """

    src_h: int
    src_w: int
    resized_h: int
    resized_w: int
    frame_h: int = 0
    frame_w: int = 0

    def __post_init__(self) -> None:
        if not self.frame_h:
            object.__setattr__(self, "frame_h", self.src_h)
        if not self.frame_w:
            object.__setattr__(self, "frame_w", self.src_w)

    @property
    def ratio_h(self) -> float:
        return self.resized_h / self.frame_h

    @property
    def ratio_w(self) -> float:
        return self.resized_w / self.frame_w

    def to_source(
        self, points: np.ndarray, map_h: int | None = None, map_w: int | None = None
    ) -> np.ndarray:
        """Map points from a (map_h x map_w) output map back to source pixels (float)."""
        mh, mw = map_h or self.resized_h, map_w or self.resized_w
        pts = np.asarray(points, dtype=np.float64).copy()
        pts[..., 0] *= self.frame_w / mw
        pts[..., 1] *= self.frame_h / mh
        return pts


def det_resize(
    image: np.ndarray, cfg: DetPreConfig = DetPreConfig()
) -> tuple[np.ndarray, ResizeMeta]:
    """Resize per ``cfg``; each side becomes a multiple of ``stride`` (nearest, at least one)."""
    h0, w0 = h, w = image.shape[:2]
    if h + w < 64:  # tiny images: pad to 32x32 first (top-left anchored), like the reference
        padded = np.zeros((max(32, h), max(32, w), image.shape[2]), dtype=image.dtype)
        padded[:h, :w] = image
        image = padded
        h, w = image.shape[:2]
    side = cfg.limit_side_len
    if cfg.limit_type == "max":
        ratio = side / max(h, w) if max(h, w) > side else 1.0
    elif cfg.limit_type == "min":
        ratio = side / min(h, w) if min(h, w) < side else 1.0
    else:  # "area" (DetPreConfig validates the name)
        ratio = min(1.0, side / (h * w) ** 0.5)
    s = cfg.stride
    rh = max(int(round(int(h * ratio) / s) * s), s)
    rw = max(int(round(int(w * ratio) / s) * s), s)
    resized = (
        image if (rh, rw) == (h, w) else cv2.resize(image, (rw, rh), interpolation=cv2.INTER_LINEAR)
    )
    return resized, ResizeMeta(h0, w0, rh, rw, h, w)


def normalize_imagenet(image: np.ndarray) -> np.ndarray:
    """RGB uint8 HxWx3 -> float32 1x3xHxW, ``(x/255 - mean)/std`` per RGB channel.

    Done with a 256-entry lookup table per channel (twice as fast as float arithmetic)."""
    out = np.empty((1, 3, *image.shape[:2]), dtype=np.float32)
    for c in range(3):
        out[0, c] = _LUT[c][image[..., c]]
    return out


def det_preprocess(
    image: np.ndarray, cfg: DetPreConfig = DetPreConfig()
) -> tuple[np.ndarray, ResizeMeta]:
    """RGB uint8 image -> (1x3xHxW float32 tensor, ResizeMeta).

    >>> x, meta = det_preprocess(np.zeros((100, 200, 3), np.uint8))
    >>> x.shape, (meta.resized_h, meta.resized_w)
    ((1, 3, 96, 192), (96, 192))
    """
    resized, meta = det_resize(image, cfg)
    return normalize_imagenet(resized), meta
