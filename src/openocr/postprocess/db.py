"""DB (Differentiable Binarization) post-processing: probability map -> text boxes.

Binarize at ``thresh``, take contours, score each (``fast``: mean inside the box; ``slow``: mean
inside the contour), drop low scores, expand by ``unclip_ratio`` (pyclipper, round joins), and map
back to source pixels through the ``ResizeMeta`` of the detector pre-processing.

Per-call overrides (``processor(prob, meta, box_thresh=0.5)``) apply to that call only; the
reference's spelling ``mask_thresh`` is accepted as an alias of ``thresh``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import pyclipper

from ..geometry import min_area_quad
from ..preprocess.det import ResizeMeta

MIN_SIZE = 3
LABEL_UNCLIP_RATIO = 1.5  # undoes DB's label shrink (ratio 0.4): boxes as labelled


@dataclass(frozen=True)
class DBPostConfig:
    thresh: float = 0.3
    box_thresh: float = 0.6
    max_candidates: int = 1000
    # 2.2, not the reference's 1.5: our recognizer reads crops with margin better (held-out
    # synthetic pages, char F1 0.927 -> 0.945; docs/engine.md step 2). Training val keeps
    # LABEL_UNCLIP_RATIO, the inverse of the label shrink, to score box geometry.
    unclip_ratio: float = 2.2
    score_mode: str = "slow"  # slow | fast
    box_type: str = "quad"  # quad | poly
    use_dilation: bool = False

    def __post_init__(self) -> None:
        if self.score_mode not in ("slow", "fast"):
            raise ValueError(f"score_mode must be 'slow' or 'fast', got {self.score_mode!r}")
        if self.box_type not in ("quad", "poly"):
            raise ValueError(f"box_type must be 'quad' or 'poly', got {self.box_type!r}")

    def replace(self, **overrides: Any) -> DBPostConfig:
        """A copy with ``overrides`` applied (None values ignored; ``mask_thresh`` = ``thresh``)."""
        overrides = {k: v for k, v in overrides.items() if v is not None}
        if "mask_thresh" in overrides:  # the reference's name for thresh
            mask_thresh = overrides.pop("mask_thresh")
            overrides.setdefault("thresh", mask_thresh)
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise TypeError(
                f"unknown DB post-processing option {unknown[0]!r}; valid: {', '.join(sorted(names))}"
            )
        return dataclasses.replace(self, **overrides)


@dataclass
class DetResult:
    """Boxes in source pixels: ``boxes`` int32 [N,4,2] (quad) or a list of [K,2] arrays (poly)."""

    boxes: Any
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.boxes)


def _unclip(points: np.ndarray, ratio: float) -> list[np.ndarray]:
    area = cv2.contourArea(points.astype(np.float32))
    length = cv2.arcLength(points.astype(np.float32).reshape(-1, 1, 2), True)
    if length <= 0:
        return []
    distance = area * ratio / length
    off = pyclipper.PyclipperOffset()
    off.AddPath(
        [tuple(p) for p in np.round(points).astype(np.int64).tolist()],
        pyclipper.JT_ROUND,
        pyclipper.ET_CLOSEDPOLYGON,
    )
    return [np.asarray(p, dtype=np.float32) for p in off.Execute(distance)]


def _score_fast(pred: np.ndarray, pts: np.ndarray) -> float:
    h, w = pred.shape
    xmin = int(np.clip(np.floor(pts[:, 0].min()), 0, w - 1))
    xmax = int(np.clip(np.ceil(pts[:, 0].max()), 0, w - 1))
    ymin = int(np.clip(np.floor(pts[:, 1].min()), 0, h - 1))
    ymax = int(np.clip(np.ceil(pts[:, 1].max()), 0, h - 1))
    mask = np.zeros((ymax - ymin + 1, xmax - xmin + 1), dtype=np.uint8)
    shifted = (pts - [xmin, ymin]).astype(np.int32).reshape(1, -1, 2)
    cv2.fillPoly(mask, shifted, 1)
    return float(cv2.mean(pred[ymin : ymax + 1, xmin : xmax + 1], mask)[0])


class DBPostProcessor:
    """Turn a DB probability map into boxes in source-image pixels.

    >>> prob = np.zeros((64, 128), np.float32); prob[20:40, 20:100] = 0.9
    >>> res = DBPostProcessor()(prob, ResizeMeta(64, 128, 64, 128))
    >>> res.boxes.shape
    (1, 4, 2)
    """

    def __init__(self, config: DBPostConfig | None = None, **overrides: Any) -> None:
        self.config = (config or DBPostConfig()).replace(**overrides)

    def __call__(self, prob: np.ndarray, meta: ResizeMeta, **overrides: Any) -> DetResult:
        cfg = self.config.replace(**overrides) if overrides else self.config
        pred = np.asarray(prob, dtype=np.float32)
        while pred.ndim > 2:
            pred = pred[0]
        bitmap = (pred > cfg.thresh).astype(np.uint8)
        if cfg.use_dilation:
            bitmap = cv2.dilate(bitmap, np.ones((2, 2), np.uint8))
        contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        contours = contours[: cfg.max_candidates]
        if cfg.box_type == "quad":
            return self._quads(pred, contours, meta, cfg)
        return self._polys(pred, contours, meta, cfg)

    def _to_source(self, pts: np.ndarray, pred: np.ndarray, meta: ResizeMeta) -> np.ndarray:
        mh, mw = pred.shape
        src = meta.to_source(pts, mh, mw)
        src[..., 0] = np.clip(np.round(src[..., 0]), 0, meta.src_w)
        src[..., 1] = np.clip(np.round(src[..., 1]), 0, meta.src_h)
        return src.astype(np.int32)

    def _quads(self, pred, contours, meta, cfg) -> DetResult:
        boxes, scores = [], []
        for contour in contours:
            quad, sside = min_area_quad(contour)
            if sside < MIN_SIZE:
                continue
            pts = contour.reshape(-1, 2).astype(np.float32)
            score = _score_fast(pred, quad if cfg.score_mode == "fast" else pts)
            if score < cfg.box_thresh:
                continue
            expanded = _unclip(quad, cfg.unclip_ratio)
            if len(expanded) != 1:
                continue
            quad, sside = min_area_quad(expanded[0])
            if sside < MIN_SIZE + 2:
                continue
            boxes.append(self._to_source(quad, pred, meta))
            scores.append(score)
        arr = np.stack(boxes).astype(np.int32) if boxes else np.zeros((0, 4, 2), np.int32)
        return DetResult(arr, np.asarray(scores, np.float32))

    def _polys(self, pred, contours, meta, cfg) -> DetResult:
        boxes, scores = [], []
        for contour in contours:
            eps = 0.002 * cv2.arcLength(contour, True)
            pts = cv2.approxPolyDP(contour, eps, True).reshape(-1, 2).astype(np.float32)
            if len(pts) < 4:
                continue
            score = _score_fast(pred, pts)
            if score < cfg.box_thresh:
                continue
            expanded = _unclip(pts, cfg.unclip_ratio)
            if len(expanded) != 1:
                continue
            _, sside = min_area_quad(expanded[0])
            if sside < MIN_SIZE + 2:
                continue
            boxes.append(self._to_source(expanded[0], pred, meta))
            scores.append(score)
        return DetResult(boxes, np.asarray(scores, np.float32))
