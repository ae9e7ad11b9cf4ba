"""Metrics: recognition accuracy / normalized edit distance, detection P/R/H at IoU 0.5 with
ignore regions, and an end-to-end character F1 that does not depend on box granularity."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


def edit_distance(a: str, b: str) -> int:
    try:
        from rapidfuzz.distance import Levenshtein

        return int(Levenshtein.distance(a, b))
    except ImportError:  # pure-python fallback
        prev = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            cur = [i]
            for j, cb in enumerate(b, 1):
                cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
            prev = cur
        return prev[-1]


_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")


def normalize_text(
    s: str, ignore_space: bool = False, is_filter: bool = False, is_lower: bool = False
) -> str:
    """The reference's RecMetric switches, applied in its order: spaces, filter, lower."""
    if ignore_space:
        s = s.replace(" ", "")
    if is_filter:
        s = _NON_ALNUM.sub("", s)
    if is_lower:
        s = s.lower()
    return s


@dataclass
class RecMetric:
    """Word accuracy and 1 - normalized edit distance over a whole set."""

    ignore_space: bool = False
    is_filter: bool = False
    is_lower: bool = False
    correct: int = 0
    count: int = 0
    ned_sum: float = 0.0

    def update(self, preds: Sequence[str], labels: Sequence[str]) -> None:
        for p, g in zip(preds, labels, strict=True):
            p = normalize_text(p, self.ignore_space, self.is_filter, self.is_lower)
            g = normalize_text(g, self.ignore_space, self.is_filter, self.is_lower)
            self.correct += p == g
            self.ned_sum += edit_distance(p, g) / max(len(p), len(g), 1)
            self.count += 1

    def result(self) -> dict[str, float]:
        n = self.count
        return {
            "acc": self.correct / (n + 1e-5),
            "norm_edit_dis": 1 - self.ned_sum / (n + 1e-5),
            "num_samples": n,
        }


def _polygon(points: Sequence[Sequence[float]]):  # noqa: ANN202
    from shapely.geometry import Polygon

    poly = Polygon(np.asarray(points, dtype=np.float64).reshape(-1, 2))
    return poly if poly.is_valid and poly.area > 0 else None


@dataclass
class DetMetric:
    """ICDAR-2015-style detection metric: greedy one-to-one matching at IoU > 0.5."""

    iou_thresh: float = 0.5
    area_precision: float = 0.5
    matched: int = 0
    num_gt: int = 0
    num_det: int = 0
    per_image: list[dict[str, int]] = field(default_factory=list)

    def update(
        self,
        dets: Sequence[Sequence[Sequence[float]]],
        gts: Sequence[Sequence[Sequence[float]]],
        ignores: Sequence[bool],
    ) -> None:
        gt_polys = [_polygon(g) for g in gts]
        det_polys = [_polygon(d) for d in dets]
        care_gt = [i for i, p in enumerate(gt_polys) if p is not None and not ignores[i]]
        ign_gt = [p for i, p in enumerate(gt_polys) if p is not None and ignores[i]]
        det_dontcare = set()
        for j, d in enumerate(det_polys):
            if d is None:
                det_dontcare.add(j)
                continue
            for g in ign_gt:
                if d.intersection(g).area / d.area > self.area_precision:
                    det_dontcare.add(j)
                    break
        used_det: set[int] = set()
        matched = 0
        for i in care_gt:
            for j, d in enumerate(det_polys):
                if j in used_det or j in det_dontcare:
                    continue
                inter = gt_polys[i].intersection(d).area
                union = gt_polys[i].area + d.area - inter
                if union > 0 and inter / union > self.iou_thresh:
                    used_det.add(j)
                    matched += 1
                    break
        n_det = len(det_polys) - len(det_dontcare)
        self.matched += matched
        self.num_gt += len(care_gt)
        self.num_det += n_det
        self.per_image.append({"matched": matched, "gt": len(care_gt), "det": n_det})

    def result(self) -> dict[str, float]:
        p = self.matched / self.num_det if self.num_det else 0.0
        r = self.matched / self.num_gt if self.num_gt else 0.0
        h = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": p, "recall": r, "hmean": h, "num_images": len(self.per_image)}


@dataclass
class CharF1:
    """End-to-end character F1 per image: multiset of non-space characters of all predicted
    texts vs. all (non-ignored) ground-truth texts. Independent of line/word box granularity.
    Counts are summed over the set (micro average)."""

    is_lower: bool = False
    tp: int = 0
    n_pred: int = 0
    n_gt: int = 0

    def _chars(self, texts: Sequence[str]) -> Counter[str]:
        s = "".join(texts).replace(" ", "")
        return Counter(s.lower() if self.is_lower else s)

    def update(self, pred_texts: Sequence[str], gt_texts: Sequence[str]) -> None:
        p, g = self._chars(pred_texts), self._chars(gt_texts)
        self.tp += sum((p & g).values())
        self.n_pred += sum(p.values())
        self.n_gt += sum(g.values())

    def result(self) -> dict[str, float]:
        prec = self.tp / self.n_pred if self.n_pred else 0.0
        rec = self.tp / self.n_gt if self.n_gt else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        return {"char_precision": prec, "char_recall": rec, "char_f1": f1}
