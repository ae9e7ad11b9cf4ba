"""Quadrilateral helpers: corner ordering, min-area boxes and perspective crops.

Points are ``(x, y)`` in pixels; quads are ordered top-left, top-right, bottom-right,
bottom-left (TL, TR, BR, BL).
"""

from __future__ import annotations

import cv2
import numpy as np

TALL_RATIO = 1.5  # crops with height/width >= this are rotated 90 degrees counter-clockwise


def order_quad(points: np.ndarray) -> np.ndarray:
    """Order 4 points TL, TR, BR, BL the way the reference does (by x, then y within each side).

    >>> order_quad(np.array([[10, 0], [0, 0], [0, 5], [10, 5]])).tolist()
    [[0.0, 0.0], [10.0, 0.0], [10.0, 5.0], [0.0, 5.0]]
    """
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    by_x = pts[np.argsort(pts[:, 0], kind="stable")]
    left, right = by_x[:2], by_x[2:]
    tl, bl = (left[0], left[1]) if left[0, 1] <= left[1, 1] else (left[1], left[0])
    tr, br = (right[0], right[1]) if right[0, 1] <= right[1, 1] else (right[1], right[0])
    return np.stack([tl, tr, br, bl]).astype(np.float32)


def min_area_quad(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Minimum-area rectangle of a point set as an ordered quad, plus its shorter side."""
    rect = cv2.minAreaRect(np.asarray(points, dtype=np.float32).reshape(-1, 1, 2))
    quad = order_quad(cv2.boxPoints(rect))
    return quad, float(min(rect[1]))


def quad_size(quad: np.ndarray) -> tuple[int, int]:
    """Crop (width, height) of an ordered quad: the longer of each pair of opposite sides."""
    q = np.asarray(quad, dtype=np.float32)
    w = max(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[2] - q[3]))
    h = max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2]))
    return int(w), int(h)


def crop_quad(image: np.ndarray, quad: np.ndarray, rotate_tall: bool = True) -> np.ndarray:
    """Perspective-crop an ordered quad to an axis-aligned patch (bicubic, replicate border).

    A patch at least 1.5 times taller than wide is rotated 90 degrees counter-clockwise, so
    vertical text lines reach the recognizer horizontally.
    """
    q = np.asarray(quad, dtype=np.float32).reshape(4, 2)
    w, h = quad_size(q)
    w, h = max(w, 1), max(h, 1)
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(q, dst)
    crop = cv2.warpPerspective(
        image, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    return turn_vertical(crop) if rotate_tall and h / w >= TALL_RATIO else crop


def turn_vertical(crop: np.ndarray) -> np.ndarray:
    """Rotate a crop 90 degrees counter-clockwise: a vertical line then reads left to right."""
    return np.ascontiguousarray(np.rot90(crop, k=1))


def crop_polygon(image: np.ndarray, points: np.ndarray, rotate_tall: bool = True) -> np.ndarray:
    """Crop an arbitrary polygon via its minimum-area rectangle."""
    quad, _ = min_area_quad(points)
    return crop_quad(image, quad, rotate_tall=rotate_tall)


def is_tall(quad: np.ndarray) -> bool:
    w, h = quad_size(quad)
    return h / max(w, 1) >= TALL_RATIO


def sub_quad(quad: np.ndarray, f0: float, f1: float) -> np.ndarray:
    """The part of an ordered quad between fractions f0..f1 of its width (for word boxes)."""
    q = np.asarray(quad, dtype=np.float32).reshape(4, 2)
    f0, f1 = float(np.clip(f0, 0, 1)), float(np.clip(f1, 0, 1))
    top = lambda f: q[0] + (q[1] - q[0]) * f  # noqa: E731
    bot = lambda f: q[3] + (q[2] - q[3]) * f  # noqa: E731
    return np.stack([top(f0), top(f1), bot(f1), bot(f0)])
