"""Held-out recognition crops cut like ICDAR2015_2077_derived_crops: axis-aligned boxes of quads.

Reads a detection set (``images/`` + ``labels.jsonl``, e.g. from
``openocr synth det --n 150 --seed 4242 --level word --out data/synth_det_words``) and writes a
recognition set (``images/`` + ``labels.tsv``) of the axis-aligned bounding boxes of its
non-ignored instances, so rotated words come with their background corners, as in the real set.
``--min-density`` keeps only crops with at least that many [0-9a-z] characters per unit of
aspect ratio (w/h): the condensed text a stride-8 recognizer struggles with.

    python benchmarks/make_aabb_crops.py data/synth_det_words data/synth_aabb_all --n 2000
    python benchmarks/make_aabb_crops.py data/synth_det_words data/synth_aabb_dense --n 800 \
        --min-density 2.5
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from openocr.eval.evaluate import PROTOCOLS, load_det_items
from openocr.eval.metrics import normalize_text
from openocr.io import load_image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("det_set", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=2000, help="crops to keep (random sample)")
    ap.add_argument("--min-density", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    crops: list[tuple[np.ndarray, str]] = []
    for path, instances in load_det_items(args.det_set):
        img = load_image(path)
        h, w = img.shape[:2]
        for inst in instances:
            alnum = normalize_text(inst["text"], **PROTOCOLS["standard"])
            if inst.get("ignore") or not alnum:
                continue
            pts = np.asarray(inst["points"], np.float32)
            x0, y0 = np.floor(pts.min(0)).astype(int).clip(0, [w, h])
            x1, y1 = np.ceil(pts.max(0)).astype(int).clip(0, [w, h])
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            if len(alnum) * (y1 - y0) < args.min_density * (x1 - x0):
                continue
            crops.append((img[y0:y1, x0:x1], inst["text"]))
    rng = np.random.default_rng(args.seed)
    keep = sorted(rng.choice(len(crops), min(args.n, len(crops)), replace=False))
    (args.out / "images").mkdir(parents=True, exist_ok=True)
    with open(args.out / "labels.tsv", "w", encoding="utf-8") as f:
        for k, i in enumerate(keep):
            crop, text = crops[i]
            rel = f"images/{k:05d}.png"
            cv2.imwrite(str(args.out / rel), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
            f.write(f"{rel}\t{text}\n")
    print(f"{len(keep)} of {len(crops)} crops -> {args.out}")


if __name__ == "__main__":
    main()
