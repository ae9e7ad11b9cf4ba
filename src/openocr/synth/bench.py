"""Speed of the synthetic generators, in samples per second of process CPU time on one core.

OMP_NUM_THREADS=1 taskset -c 0 python -m openocr.synth.bench
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def bench(make, n: int, warmup: int) -> float:
    import cv2

    cv2.setNumThreads(1)
    gen = make()
    rng = np.random.default_rng(123)
    for _ in range(warmup):  # font cache, photo cache, corpora
        gen.sample(rng)
    t = time.process_time()
    for _ in range(n):
        gen.sample(rng)
    return n / (time.process_time() - t)


def main(argv: list[str] | None = None) -> int:
    from .det import DetPageGenerator
    from .rec import RecLineGenerator

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lines", type=int, default=3000)
    ap.add_argument("--pages", type=int, default=60)
    args = ap.parse_args(argv)
    res = {
        "rec en 48x<=320 (lines/s)": bench(lambda: RecLineGenerator("en"), args.lines, 1000),
        "rec ch 48x<=320 (lines/s)": bench(lambda: RecLineGenerator("ch"), args.lines, 1000),
        "det pages ~1000x1400, line quads (pages/s)": bench(
            lambda: DetPageGenerator(), args.pages, 10
        ),
        "det pages ~1000x1400, word quads (pages/s)": bench(
            lambda: DetPageGenerator(level="word"), args.pages, 10
        ),
    }
    for k, v in res.items():
        print(f"{k:45s} {v:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
