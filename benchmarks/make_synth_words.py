"""Held-out synthetic word crops (no spaces, at most 12 characters) from the recognition generator.

``--tilt 1.0`` makes every word one rotated up to 30 degrees and cut by its axis-aligned box
(the crops of unrectified scene words); ``--tilt 0`` keeps every word level. Used to choose the
recognizer's rotation re-read (docs/engine.md, pipeline step 5):

    python benchmarks/make_synth_words.py data/synth_words_tilted --n 600 --tilt 1.0 --seed 4321
    python benchmarks/make_synth_words.py data/synth_words_level --n 600 --tilt 0.0 --seed 4322
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from openocr.synth.rec import RecLineGenerator


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--tilt", type=float, default=1.0, help="share of rotated words")
    ap.add_argument("--seed", type=int, default=4321)
    args = ap.parse_args()
    (args.out / "images").mkdir(parents=True, exist_ok=True)
    gen = RecLineGenerator(
        charset="en", height=48, max_width=480, seed=args.seed, tilt_ratio=args.tilt, max_len=12
    )
    rng = np.random.default_rng(args.seed)
    rows: list[str] = []
    while len(rows) < args.n:
        img, text = gen.sample(rng)
        if " " in text:
            continue
        rel = f"images/{len(rows):05d}.png"
        cv2.imwrite(str(args.out / rel), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
        rows.append(f"{rel}\t{text}")
    (args.out / "labels.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"{len(rows)} crops -> {args.out}")


if __name__ == "__main__":
    main()
