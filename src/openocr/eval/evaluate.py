"""Dataset-level evaluation through the inference predictors (torch or ONNX models).

Datasets are in our eval format (``images/`` + ``labels.tsv`` or ``labels.jsonl``) or the
reference's label-file format; the same pre/post-processing as inference is used.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import load_image
from ..train.sources import eval_dir_source
from .metrics import CharF1, DetMetric, RecMetric

PROTOCOLS = {
    # word accuracy case-insensitive on [0-9a-z] (the standard English benchmark protocol)
    "standard": {"is_filter": True, "is_lower": True, "ignore_space": True},
    # exact string match, spaces included
    "exact": {"is_filter": False, "is_lower": False, "ignore_space": False},
}


def resolve_protocol(protocol: str, labels: list[str]) -> str:
    """``auto``: ``standard`` when every label is in Latin script, else ``exact`` (the standard
    filter would delete every Chinese character and score empty strings as matches). Accented
    Latin letters (ICDAR2015's "CAFÉ") keep a set on the standard protocol."""
    if protocol == "auto":
        latin = all(ord(c) < 0x250 for t in labels for c in t)  # Basic Latin .. Latin Ext-B
        return "standard" if latin else "exact"
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}: auto, {', '.join(PROTOCOLS)}")
    return protocol


def load_rec_items(data: Path) -> list[tuple[Path, str]]:
    """(image path, text) of a recognition set: ``images/`` + ``labels.tsv``."""
    return [(Path(p), t) for p, t in eval_dir_source(str(data), "rec").items]


def load_det_items(data: Path) -> list[tuple[Path, list[dict[str, Any]]]]:
    """(image path, instances) of a detection / end-to-end set: ``images/`` + ``labels.jsonl``."""
    return [(Path(p), inst) for p, inst in eval_dir_source(str(data), "det").items]


def evaluate_rec(
    model: Any,
    data: str | Path,
    protocol: str = "auto",
    backend: str | None = None,
    max_samples: int = 0,
    batch_size: int = 16,
    tilted: bool = False,
    lexicon: Any = "auto",
) -> dict[str, Any]:
    """Word accuracy and 1 - NED of a recognizer on a labels.tsv set; ``tilted``: the
    rotation re-read for crops of rotated words (``RecPredictor(tilted_words=True)``);
    ``lexicon``: the word prior (``RecPredictor``)."""
    from ..predictors import RecPredictor
    from ..runtime.base import load_backend

    predictor = RecPredictor(load_backend(model, backend), tilted_words=tilted, lexicon=lexicon)
    items = load_rec_items(Path(data))[: max_samples or None]
    protocol = resolve_protocol(protocol, [t for _, t in items])
    metric = RecMetric(**PROTOCOLS[protocol])
    t0 = time.perf_counter()
    failed = 0
    for start in range(0, len(items), 256):
        chunk = items[start : start + 256]
        crops, labels = [], []
        for path, text in chunk:
            try:
                crops.append(load_image(path))
                labels.append(text)
            except InputError:
                failed += 1
        outs, _ = predictor(crops, batch_size=batch_size)
        metric.update([o.text for o in outs], labels)
    res = metric.result()
    res.update(
        {
            "protocol": protocol,
            "failed_images": failed,
            "ms_per_image": 1000 * (time.perf_counter() - t0) / max(1, len(items)),
        }
    )
    return res


def evaluate_det(
    model: Any, data: str | Path, backend: str | None = None, max_samples: int = 0, **post: Any
) -> dict[str, Any]:
    """Precision / recall / hmean of a detector at IoU 0.5 on a labels.jsonl set."""
    from ..predictors import DetPredictor
    from ..runtime.base import load_backend

    predictor = DetPredictor(load_backend(model, backend))
    metric = DetMetric()
    items = load_det_items(Path(data))[: max_samples or None]
    t0 = time.perf_counter()
    for path, instances in items:
        boxes = predictor(load_image(path), **post).boxes
        metric.update(
            [b.tolist() for b in boxes],
            [i["points"] for i in instances],
            [bool(i.get("ignore")) or i.get("text") in ("###", "*") for i in instances],
        )
    res = metric.result()
    res["ms_per_image"] = 1000 * (time.perf_counter() - t0) / max(1, len(items))
    return res


def _in_ignored(points: Any, ignored: list[Any], frac: float = 0.5) -> bool:
    """True when a predicted box lies more than ``frac`` inside an ignored ground-truth region."""
    from .metrics import _polygon

    det = _polygon(points)
    if det is None:
        return False
    return any(g is not None and det.intersection(g).area / det.area > frac for g in ignored)


def evaluate_e2e(
    det_model: Any,
    rec_model: Any,
    data: str | Path,
    backend: str | None = None,
    max_samples: int = 0,
    drop_score: float = 0.5,
    lexicon: Any = "auto",
) -> dict[str, Any]:
    """End-to-end character F1 (independent of box granularity) plus detection P/R/H.

    ``char_f1`` is case-insensitive (labels such as SROIE's are upper-cased while the images are
    not); ``char_f1_dontcare`` also leaves out text read inside ignored (``###``) regions, as
    the detection metric does; ``char_f1_case_sensitive`` is the strict variant.
    ``det_model="gt"`` reads the ground-truth boxes instead (``evaluate_e2e_gt_boxes``).
    """
    from ..api import OpenOCR
    from .metrics import _polygon

    if str(det_model) == "gt":
        return evaluate_e2e_gt_boxes(rec_model, data, backend, max_samples, lexicon)
    engine = OpenOCR(
        det_model=det_model,
        rec_model=rec_model,
        backend=backend,
        drop_score=drop_score,
        lexicon=lexicon,
    )
    f1, f1_care, f1_cased = CharF1(is_lower=True), CharF1(is_lower=True), CharF1()
    det = DetMetric()
    items = load_det_items(Path(data))[: max_samples or None]
    t0 = time.perf_counter()
    for path, instances in items:
        page = engine.ocr(str(path))
        ignore = [bool(i.get("ignore")) or i.get("text") in ("###", "*") for i in instances]
        care = [i["text"] for i, ig in zip(instances, ignore, strict=True) if not ig]
        ignored = [_polygon(i["points"]) for i, ig in zip(instances, ignore, strict=True) if ig]
        pred = [ln.text for ln in page.lines]
        f1.update(pred, care)
        f1_cased.update(pred, care)
        f1_care.update(
            [ln.text for ln in page.lines if not (ignored and _in_ignored(ln.points, ignored))],
            care,
        )
        det.update([ln.points for ln in page.lines], [i["points"] for i in instances], ignore)
    res = {
        **f1.result(),
        "char_f1_dontcare": f1_care.result()["char_f1"],
        "char_f1_case_sensitive": f1_cased.result()["char_f1"],
        **{f"det_{k}": v for k, v in det.result().items()},
    }
    res["ms_per_image"] = 1000 * (time.perf_counter() - t0) / max(1, len(items))
    return res


def evaluate_e2e_gt_boxes(
    rec_model: Any,
    data: str | Path,
    backend: str | None = None,
    max_samples: int = 0,
    lexicon: Any = "auto",
) -> dict[str, Any]:
    """End-to-end character F1 with the ground-truth boxes in place of a detector: the share
    of the end-to-end error that the recognizer alone accounts for."""
    import numpy as np

    from ..api import build_recognizer
    from ..geometry import crop_polygon, crop_quad, order_quad

    recognizer = build_recognizer(rec_model, backend=backend, lexicon=lexicon)
    f1, f1_cased = CharF1(is_lower=True), CharF1()
    items = load_det_items(Path(data))[: max_samples or None]
    failed = 0
    t0 = time.perf_counter()
    for path, instances in items:
        try:
            image = load_image(path)
        except InputError:
            failed += 1
            continue
        care = [i for i in instances if not i.get("ignore") and i.get("text") not in ("###", "*")]
        crops = []
        for inst in care:
            pts = np.asarray(inst["points"], np.float32).reshape(-1, 2)
            crops.append(
                crop_quad(image, order_quad(pts)) if len(pts) == 4 else crop_polygon(image, pts)
            )
        outs, _ = recognizer(crops) if crops else ([], {})
        gt = [i["text"] for i in care]
        f1.update([o.text for o in outs], gt)
        f1_cased.update([o.text for o in outs], gt)
    return {
        **f1.result(),
        "char_f1_case_sensitive": f1_cased.result()["char_f1"],
        "failed_images": failed,
        "ms_per_image": 1000 * (time.perf_counter() - t0) / max(1, len(items)),
    }
