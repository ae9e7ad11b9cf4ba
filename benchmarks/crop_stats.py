"""Aggregate statistics of word crops: real recognition sets against generated lines.

Per set, percentiles (5/25/50/75/95) of each crop statistic measured on the crop resized to
height 32 (luminance spread p95 - p5, mean grey, |Laplacian| over spread, colourfulness, width
per character), plus a recognizer's word accuracy by fifth of each statistic (aggregates only;
no single image is looked at). The numbers in docs/synth.md ("Why the faint and dark lines"):

    python benchmarks/crop_stats.py --model runs/rec_en_s11/rec16.onnx --synth 3000
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from openocr.eval.evaluate import PROTOCOLS, load_rec_items
from openocr.eval.metrics import normalize_text
from openocr.io import load_image

SETS = ("IIIT5K_3000", "SVT_647", "ICDAR2015_2077_derived_crops")
STATS = ("height", "spread", "mean", "sharpness", "colour", "char_width")


def crop_stats(img: np.ndarray, n_chars: int) -> dict[str, float]:
    h, w = img.shape[:2]
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    shrink = cv2.INTER_AREA if h > 32 else cv2.INTER_LINEAR
    g = cv2.resize(grey, (max(1, round(w * 32 / h)), 32), interpolation=shrink)
    g = g.astype(np.float32)
    p5, p95 = np.percentile(g, [5, 95])
    f = img.astype(np.float32)
    rg, yb = f[..., 0] - f[..., 1], 0.5 * (f[..., 0] + f[..., 1]) - f[..., 2]
    return {
        "height": float(h),
        "spread": float(p95 - p5),
        "mean": float(g.mean()),
        "sharpness": float(np.abs(cv2.Laplacian(g, cv2.CV_32F)).mean() / max(p95 - p5, 1.0)),
        "colour": float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())),
        "char_width": w * 32 / h / max(n_chars, 1),
    }


def words(text: str) -> str:
    """The standard protocol's view of a label: case-insensitive [0-9a-z]."""
    return normalize_text(text, **PROTOCOLS["standard"])


def report(name: str, rows: list[dict[str, float]], ok: np.ndarray | None) -> None:
    print(f"== {name} ({len(rows)} crops)")
    for key in STATS:
        v = np.array([r[key] for r in rows])
        line = f"  {key:10s} pct {np.round(np.percentile(v, [5, 25, 50, 75, 95]), 2).tolist()}"
        if ok is not None:
            fifth = np.digitize(v, np.percentile(v, [20, 40, 60, 80]))
            line += (
                f"  acc by fifth {[round(100 * float(ok[fifth == i].mean()), 1) for i in range(5)]}"
            )
        print(line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/ocr_eval"))
    ap.add_argument("--model", help="recognizer (.onnx / .safetensors) for accuracy by fifth")
    ap.add_argument("--synth", type=int, default=3000, help="generated lines (0: none)")
    args = ap.parse_args()
    predictor = None
    if args.model:
        from openocr.predictors import RecPredictor
        from openocr.runtime.base import load_backend

        predictor = RecPredictor(load_backend(args.model, None))
    for name in SETS:
        if not (args.data / name).is_dir():
            continue
        items = load_rec_items(args.data / name)
        imgs = [load_image(p) for p, _ in items]
        ok = None
        if predictor is not None:
            outs = [
                o
                for i in range(0, len(imgs), 256)
                for o in predictor(imgs[i : i + 256], batch_size=16)[0]
            ]
            ok = np.array(
                [words(o.text) == words(t) for o, (_, t) in zip(outs, items, strict=True)]
            )
        report(
            name,
            [crop_stats(im, len(words(t))) for im, (_, t) in zip(imgs, items, strict=True)],
            ok,
        )
    if args.synth:
        from openocr.synth.rec import RecLineGenerator

        gen = RecLineGenerator("en", height=32, max_width=256, seed=5, tilt_ratio=0.2)
        lines = [gen.sample() for _ in range(args.synth)]
        report("generated", [crop_stats(im, len(t)) for im, t in lines], None)


if __name__ == "__main__":
    main()
