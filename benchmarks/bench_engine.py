"""End-to-end engine speed: ms per page and per text line, split into det pre/model/post and
rec pre/model/post, on rendered pages with 10, 50 and 200 text lines.

Usage (the numbers in docs/engine.md were produced with exactly this):

    python benchmarks/bench_engine.py --threads 2 --runs 3 --json benchmarks/results_engine.json

Models are the real architectures (``repvit_db`` detector, ``repsvtr`` / ``svtrv2``
recognizers) exported to ONNX with random weights: latency depends on shapes, not weights.
A random detector finds no real boxes, so the detector backend used here runs the real ONNX
detector (timed) and then returns a probability map drawn from the known line layout (its cost
is measured and subtracted), so DB post-processing, crops and recognition see one box per
rendered line, as with a trained detector.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

STAGES = (
    "det_pre",
    "det_model",
    "det_post",
    "order",
    "crop",
    "rec_pre",
    "rec_model",
    "rec_post",
    "assemble",
)


def render_page(n_lines: int, seed: int = 0) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A white page of ``n_lines`` black text lines (1, 2 or 4 columns); returns the image (RGB)
    and each line's (x0, y0, x1, y1)."""
    rng = np.random.default_rng(seed)
    words = resources.files("openocr.assets.synth").joinpath("words_en.txt").read_text().split()
    cols = 1 if n_lines <= 20 else 2 if n_lines <= 60 else 4
    rows = -(-n_lines // cols)
    row_h, col_w = 34, 460
    img = np.full((rows * row_h + 40, cols * col_w + 40, 3), 255, np.uint8)
    rects = []
    for i in range(n_lines):
        c, r = divmod(i, rows)
        text = " ".join(rng.choice(words, rng.integers(2, 7)))[:34]
        x, y = 20 + c * col_w, 20 + r * row_h + 24
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.7, 2)
        cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2)
        rects.append((x, y - th - 2, x + tw, y + base))
    return img, rects


class LayoutDet:
    """Runs the real detector, then returns a probability map of the known line rectangles
    (shrunk like DB targets); ``extra`` accumulates the time spent drawing that map."""

    def __init__(self, backend, rects, src_hw) -> None:
        self.backend, self.rects, self.src_hw = backend, rects, src_hw
        self.info = backend.info
        self.extra = 0.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = self.backend(x)
        t0 = time.perf_counter()
        h, w = x.shape[2:]
        sy, sx = h / self.src_hw[0], w / self.src_hw[1]
        prob = np.zeros((1, 1, h, w), np.float32)
        for x0, y0, x1, y1 in self.rects:
            pad = 0.2 * (y1 - y0) * sy
            a, b = int(y0 * sy + pad), int(np.ceil(y1 * sy - pad))
            prob[0, 0, a : max(b, a + 3), int(x0 * sx + pad) : int(x1 * sx - pad)] = 0.95
        self.extra += time.perf_counter() - t0
        assert out.shape[2:] == (h, w)
        return prob


def bench(
    threads: int, runs: int, rec_name: str, rec_height: int, lines_list: list[int]
) -> list[dict]:
    import torch

    from openocr.api import OpenOCR
    from openocr.charset import Charset
    from openocr.export_onnx import export_onnx
    from openocr.models import create_model

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    charset = Charset.load("en")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        det_path = export_onnx(create_model("repvit_db"), Path(tmp) / "det.onnx")
        rec = create_model(rec_name, num_classes=charset.num_classes, input_height=rec_height)
        rec_path = export_onnx(rec, Path(tmp) / "rec.onnx", charset=charset)
        engine = OpenOCR(det_model=det_path, rec_model=rec_path, drop_score=0.0, threads=threads)
        real_det = engine.det.backend
        for n in lines_list:
            img, rects = render_page(n)
            layout = LayoutDet(real_det, rects, img.shape[:2])
            engine.det.backend = layout
            engine.ocr(img)  # warm-up
            samples = []
            for _ in range(runs):
                layout.extra = 0.0
                page = engine.ocr(img)
                t = dict(page.timings)
                t["det_model"] -= layout.extra
                t["total"] -= layout.extra
                t["non_model"] = t["total"] - t["det_model"] - t["rec_model"]
                samples.append(t)
            med = {
                k: statistics.median(s[k] for s in samples) * 1e3
                for k in (*STAGES, "non_model", "total")
            }
            share = statistics.median(100 * s["non_model"] / s["total"] for s in samples)
            results.append(
                {
                    "lines_rendered": n,
                    "lines_found": len(page),
                    "page": f"{img.shape[1]}x{img.shape[0]}",
                    "ms_page": med["total"],
                    "ms_line": med["total"] / max(len(page), 1),
                    "non_model_pct": share,  # median over runs of (total - model time) / total
                    **{f"{k}_ms": v for k, v in med.items() if k != "total"},
                }
            )
            print(json.dumps(results[-1]), flush=True)
        engine.det.backend = real_det
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--rec", default="repsvtr", help="recognizer architecture (repsvtr | svtrv2)")
    p.add_argument(
        "--rec-height", type=int, default=32, help="recognizer input height (32: the en models)"
    )
    p.add_argument("--lines", default="10,50,200")
    p.add_argument("--json", help="write results here")
    args = p.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    lines = [int(x) for x in args.lines.split(",")]
    res = bench(args.threads, args.runs, args.rec, args.rec_height, lines)
    meta = {
        "threads": args.threads,
        "runs": args.runs,
        "rec": args.rec,
        "rec_height": args.rec_height,
        "cpu": platform.processor() or platform.machine(),
    }
    print()
    print(
        "| lines (found) | page px | ms/page | ms/line | det pre/model/post | order+crop | rec pre/model/post | non-model |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in res:
        print(
            f"| {r['lines_rendered']} ({r['lines_found']}) | {r['page']} | {r['ms_page']:.0f} | {r['ms_line']:.1f} | "
            f"{r['det_pre_ms']:.1f} / {r['det_model_ms']:.0f} / {r['det_post_ms']:.1f} | "
            f"{r['order_ms'] + r['crop_ms']:.1f} | {r['rec_pre_ms']:.1f} / {r['rec_model_ms']:.0f} / {r['rec_post_ms']:.1f} | "
            f"{r['non_model_pct']:.1f}% |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "results": res}, indent=2))


if __name__ == "__main__":
    main()
