"""Detection training data: augmentation (rotate, flip, random crop to a square canvas) and DB
targets (shrink map/mask, threshold map/mask; shrink ratio 0.4, thresholds 0.3..0.7)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pyclipper
import torch

from ..errors import ConfigError
from ..geometry import crop_quad
from ..preprocess.det import normalize_imagenet


def normalize_det(img: np.ndarray) -> np.ndarray:
    """RGB uint8 HxWx3 -> float32 3xHxW, the detector's inference normalization."""
    return normalize_imagenet(img)[0]


def _poly_area_perimeter(poly: np.ndarray) -> tuple[float, float]:
    area = abs(cv2.contourArea(poly.astype(np.float32)))
    peri = float(np.sum(np.linalg.norm(poly - np.roll(poly, 1, axis=0), axis=1)))
    return area, peri


def _offset(poly: np.ndarray, distance: float) -> list[np.ndarray]:
    pco = pyclipper.PyclipperOffset()
    pco.AddPath(
        [tuple(map(int, p)) for p in np.round(poly)], pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON
    )
    return [np.array(p, dtype=np.float32) for p in pco.Execute(distance)]


def make_shrink_map(
    h: int,
    w: int,
    polys: list[np.ndarray],
    ignores: list[bool],
    ratio: float = 0.4,
    min_text_size: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    gt = np.zeros((h, w), np.float32)
    mask = np.ones((h, w), np.float32)
    for poly, ignore in zip(polys, ignores, strict=True):
        poly = poly.copy()
        poly[:, 0] = np.clip(poly[:, 0], 0, w - 1)
        poly[:, 1] = np.clip(poly[:, 1], 0, h - 1)
        ph = poly[:, 1].max() - poly[:, 1].min()
        pw = poly[:, 0].max() - poly[:, 0].min()
        area, peri = _poly_area_perimeter(poly)
        if ignore or min(ph, pw) < min_text_size or area < 1:
            cv2.fillPoly(mask, [poly.astype(np.int32)], 0)
            continue
        shrunk: list[np.ndarray] = []
        for r in (ratio, 0.8):  # like the reference: retry with a milder shrink
            d = area * (1 - r * r) / max(peri, 1e-6)
            shrunk = _offset(poly, -d)
            if len(shrunk) == 1:
                break
        if not shrunk:
            cv2.fillPoly(mask, [poly.astype(np.int32)], 0)
            continue
        cv2.fillPoly(gt, [s.astype(np.int32) for s in shrunk], 1)
    return gt, mask


def _segment_distance(xs: np.ndarray, ys: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from grid points to segment ab (projection clamped onto the segment)."""
    ab = b - a
    denom = float(ab @ ab) or 1e-6
    t = np.clip(((xs - a[0]) * ab[0] + (ys - a[1]) * ab[1]) / denom, 0.0, 1.0)
    px, py = a[0] + t * ab[0], a[1] + t * ab[1]
    return np.sqrt((xs - px) ** 2 + (ys - py) ** 2)


def make_border_map(
    h: int,
    w: int,
    polys: list[np.ndarray],
    ignores: list[bool],
    ratio: float = 0.4,
    thresh_min: float = 0.3,
    thresh_max: float = 0.7,
) -> tuple[np.ndarray, np.ndarray]:
    canvas = np.zeros((h, w), np.float32)
    mask = np.zeros((h, w), np.float32)
    for poly, ignore in zip(polys, ignores, strict=True):
        if ignore:
            continue
        area, peri = _poly_area_perimeter(poly)
        if area < 1:
            continue
        d = area * (1 - ratio * ratio) / max(peri, 1e-6)
        dilated = _offset(poly, d)
        if not dilated:
            continue
        dil = dilated[0]
        cv2.fillPoly(mask, [dil.astype(np.int32)], 1)
        x0, y0 = np.floor(dil.min(0)).astype(int)
        x1, y1 = np.ceil(dil.max(0)).astype(int)
        ys, xs = np.mgrid[y0 : y1 + 1, x0 : x1 + 1].astype(np.float32)
        dist = np.ones_like(xs)
        for i in range(len(poly)):
            seg = _segment_distance(xs, ys, poly[i], poly[(i + 1) % len(poly)]) / d
            dist = np.minimum(dist, np.clip(seg, 0, 1))
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w - 1), min(y1, h - 1)
        if cx1 < cx0 or cy1 < cy0:
            continue
        sub = 1 - dist[cy0 - y0 : cy1 - y0 + 1, cx0 - x0 : cx1 - x0 + 1]
        canvas[cy0 : cy1 + 1, cx0 : cx1 + 1] = np.maximum(canvas[cy0 : cy1 + 1, cx0 : cx1 + 1], sub)
    return canvas * (thresh_max - thresh_min) + thresh_min, mask


def _free_spans(occupied: np.ndarray) -> list[tuple[int, int]]:
    spans, start = [], None
    for i, occ in enumerate(occupied):
        if not occ and start is None:
            start = i
        elif occ and start is not None:
            spans.append((start, i - 1))
            start = None
    if start is not None:
        spans.append((start, len(occupied) - 1))
    return spans


def random_text_crop(
    h: int,
    w: int,
    polys: list[np.ndarray],
    ignores: list[bool],
    rng: np.random.Generator,
    min_ratio: float = 0.1,
    tries: int = 50,
) -> tuple[int, int, int, int]:
    """Crop (x0, y0, x1, y1) whose edges lie in text-free rows/columns and that holds a box."""
    rows, cols = np.zeros(h, bool), np.zeros(w, bool)
    care = [p for p, ig in zip(polys, ignores, strict=True) if not ig]
    for p in care:
        x0, y0 = np.clip(np.floor(p.min(0)).astype(int), 0, [w - 1, h - 1])
        x1, y1 = np.clip(np.ceil(p.max(0)).astype(int), 0, [w - 1, h - 1])
        cols[x0 : x1 + 1] = True
        rows[y0 : y1 + 1] = True
    fr, fc = _free_spans(rows), _free_spans(cols)
    if not care or len(fr) < 2 or len(fc) < 2:
        return 0, 0, w, h

    def pick(spans: list[tuple[int, int]]) -> tuple[int, int]:
        a, b = sorted(rng.choice(len(spans), 2, replace=False))
        return int(rng.integers(spans[a][0], spans[a][1] + 1)), int(
            rng.integers(spans[b][0], spans[b][1] + 1)
        )

    for _ in range(tries):
        x0, x1 = pick(fc)
        y0, y1 = pick(fr)
        if x1 - x0 < min_ratio * w or y1 - y0 < min_ratio * h:
            continue
        for p in care:
            if (
                p[:, 0].min() >= x0
                and p[:, 0].max() <= x1
                and p[:, 1].min() >= y0
                and p[:, 1].max() <= y1
            ):
                return x0, y0, x1, y1
    return 0, 0, w, h


def text_scale_crop(
    h: int,
    w: int,
    polys: list[np.ndarray],
    ignores: list[bool],
    rng: np.random.Generator,
    size: int,
    text_px: tuple[float, float] = (8.0, 64.0),
) -> tuple[int, int, int, int]:
    """Crop (x0, y0, x1, y1) around a random text box, sized so that after scaling it to
    ``size`` the page's median text height is log-uniform in ``text_px``; the whole page when
    that window would not fit in it. Edges may cut text (``visible_ignores`` handles that)."""
    care = [p for p, ig in zip(polys, ignores, strict=True) if not ig]
    if not care:
        return 0, 0, w, h
    heights = [
        min(np.linalg.norm(p[1] - p[0]), np.linalg.norm(p[-1] - p[0]))
        if len(p) == 4
        else min(np.ptp(p[:, 0]), np.ptp(p[:, 1]))
        for p in care
    ]
    target = float(np.exp(rng.uniform(np.log(text_px[0]), np.log(text_px[1]))))
    side = size * float(np.median(heights)) / target  # window side in page pixels
    if side >= max(h, w):
        return 0, 0, w, h
    cx, cy = care[int(rng.integers(len(care)))].mean(axis=0)
    x0 = float(np.clip(rng.uniform(cx - side, cx), 0, max(0.0, w - side)))
    y0 = float(np.clip(rng.uniform(cy - side, cy), 0, max(0.0, h - side)))
    x0i, y0i = int(x0), int(y0)
    return x0i, y0i, min(w, x0i + int(np.ceil(side))), min(h, y0i + int(np.ceil(side)))


def visible_ignores(
    polys: list[np.ndarray], ignores: list[bool], x0: int, y0: int, x1: int, y1: int
) -> list[bool]:
    """Ignore boxes that the crop (x0, y0, x1, y1) cuts to less than half of their extent."""
    out = []
    for p, ig in zip(polys, ignores, strict=True):
        bx0, by0 = p.min(axis=0)
        bx1, by1 = p.max(axis=0)
        area = max(bx1 - bx0, 1e-3) * max(by1 - by0, 1e-3)
        vis = max(0.0, min(bx1, x1) - max(bx0, x0)) * max(0.0, min(by1, y1) - max(by0, y0))
        out.append(ig or vis < 0.5 * area)
    return out


class DetBatcher:
    """Raw (image, instances) -> augmented 640x640 (``size``) sample with DB targets.

    Crops: with probability ``scale_crop`` a window sized for a target text height
    (``text_scale_crop``: synthetic pages hold mostly small text, which full-page crops shrink
    below ``min_text_size``), else the reference's crop between text-free rows and columns.
    """

    def __init__(
        self,
        size: int = 640,
        rotate: float = 10.0,
        flip: float = 0.0,
        crop: bool = True,
        shrink_ratio: float = 0.4,
        min_text_size: int = 8,
        copy_paste: float = 0.0,
        scale_crop: float = 0.0,
        text_px: tuple[float, float] | list[float] = (8.0, 64.0),
    ):
        if not 0.0 <= scale_crop <= 1.0:
            raise ConfigError(f"Train.transforms.scale_crop must be in [0, 1], got {scale_crop!r}")
        if len(text_px) != 2 or not 0 < text_px[0] <= text_px[1]:
            raise ConfigError(f"Train.transforms.text_px must be [min, max] > 0, got {text_px!r}")
        self.scale_crop = scale_crop
        self.text_px = (float(text_px[0]), float(text_px[1]))
        self.size = size
        self.copy_paste = copy_paste  # probability of pasting text cut from earlier samples
        self._bank: list[np.ndarray] = []
        self.rotate = rotate
        self.flip = flip
        self.crop = crop
        self.shrink_ratio = shrink_ratio
        self.min_text_size = min_text_size

    def prepare(
        self,
        img: np.ndarray,
        instances: list[dict[str, Any]],
        rng: np.random.Generator | None = None,
    ) -> dict[str, np.ndarray] | None:
        polys = [np.asarray(i["points"], np.float32).reshape(-1, 2) for i in instances]
        ignores = [bool(i.get("ignore", False)) for i in instances]
        keep = [k for k, p in enumerate(polys) if len(p) >= 3]
        polys, ignores = [polys[k] for k in keep], [ignores[k] for k in keep]
        if not polys:
            return None
        h, w = img.shape[:2]
        if rng is not None and self.copy_paste:
            img, polys, ignores = self._copy_paste(img, polys, ignores, rng)
        if rng is not None:
            if self.flip and rng.random() < self.flip:
                img = img[:, ::-1].copy()
                polys = [np.stack([w - 1 - p[:, 0], p[:, 1]], 1)[::-1].copy() for p in polys]
            if self.rotate:
                ang = rng.uniform(-self.rotate, self.rotate)
                m = cv2.getRotationMatrix2D((w / 2, h / 2), ang, 1.0)
                cos, sin = abs(m[0, 0]), abs(m[0, 1])
                nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
                m[0, 2] += nw / 2 - w / 2
                m[1, 2] += nh / 2 - h / 2
                img = cv2.warpAffine(img, m, (nw, nh), borderValue=(0, 0, 0))
                polys = [p @ m[:, :2].T + m[:, 2] for p in polys]
                h, w = nh, nw
            if not self.crop:
                x0, y0, x1, y1 = 0, 0, w, h
            elif self.scale_crop and rng.random() < self.scale_crop:
                x0, y0, x1, y1 = text_scale_crop(h, w, polys, ignores, rng, self.size, self.text_px)
                ignores = visible_ignores(polys, ignores, x0, y0, x1, y1)
            else:
                x0, y0, x1, y1 = random_text_crop(h, w, polys, ignores, rng)
        else:
            x0, y0, x1, y1 = 0, 0, w, h
        cw, ch = x1 - x0, y1 - y0
        scale = min(self.size / cw, self.size / ch)
        nw, nh = max(1, int(cw * scale)), max(1, int(ch * scale))
        canvas = np.zeros((self.size, self.size, 3), np.uint8)
        canvas[:nh, :nw] = cv2.resize(
            img[y0:y1, x0:x1],
            (nw, nh),
            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
        )
        polys = [(p - [x0, y0]) * scale for p in polys]
        inside = [
            k
            for k, p in enumerate(polys)
            if p[:, 0].max() > 0 and p[:, 1].max() > 0 and p[:, 0].min() < nw and p[:, 1].min() < nh
        ]
        polys, ignores = [polys[k] for k in inside], [ignores[k] for k in inside]
        s = self.size
        thr, thr_mask = make_border_map(s, s, polys, ignores, self.shrink_ratio)
        shrink, shrink_mask = make_shrink_map(
            s, s, polys, ignores, self.shrink_ratio, self.min_text_size
        )
        return {
            "image": normalize_det(canvas),
            "threshold_map": thr,
            "threshold_mask": thr_mask,
            "shrink_map": shrink,
            "shrink_mask": shrink_mask,
        }

    def _copy_paste(
        self,
        img: np.ndarray,
        polys: list[np.ndarray],
        ignores: list[bool],
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, list[np.ndarray], list[bool]]:
        """Paste up to 5 text patches cut from earlier samples (rotated by a random angle) where
        they overlap no existing box; then bank a few of this sample's lines for later."""
        h, w = img.shape[:2]
        if self._bank and rng.random() < self.copy_paste:
            img = img.copy()
            boxes = [(*p.min(0), *p.max(0)) for p in polys]
            for _ in range(int(rng.integers(1, 6))):
                patch = self._bank[int(rng.integers(len(self._bank)))]
                ph, pw = patch.shape[:2]
                ang = float(rng.uniform(0, 360))
                m = cv2.getRotationMatrix2D((pw / 2, ph / 2), ang, 1.0)
                cos, sin = abs(m[0, 0]), abs(m[0, 1])
                nw, nh = int(ph * sin + pw * cos) + 1, int(ph * cos + pw * sin) + 1
                if nw >= w or nh >= h:
                    continue
                m[0, 2] += nw / 2 - pw / 2
                m[1, 2] += nh / 2 - ph / 2
                rot = cv2.warpAffine(patch, m, (nw, nh))
                mask = cv2.warpAffine(np.full((ph, pw), 255, np.uint8), m, (nw, nh)) > 127
                corners = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]]) @ m[:, :2].T + m[:, 2]
                for _try in range(50):
                    x, y = int(rng.integers(0, w - nw)), int(rng.integers(0, h - nh))
                    if all(x > b[2] or x + nw < b[0] or y > b[3] or y + nh < b[1] for b in boxes):
                        region = img[y : y + nh, x : x + nw]
                        region[mask] = rot[mask]
                        polys.append(corners + [x, y])
                        ignores.append(False)
                        boxes.append((x, y, x + nw, y + nh))
                        break
        for k in rng.permutation(len(polys))[:3]:
            if not ignores[k] and len(polys[k]) == 4:
                crop = crop_quad(img, polys[k], rotate_tall=False)
                if crop.size and min(crop.shape[:2]) >= 8:
                    self._bank = (self._bank + [crop])[-64:]
        return img, polys, ignores

    def collate(self, items: list[dict[str, np.ndarray]]) -> dict[str, torch.Tensor]:
        return {k: torch.from_numpy(np.stack([it[k] for it in items])) for k in items[0]}
