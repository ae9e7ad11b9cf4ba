"""Contact sheets: PNG grids of synthetic samples (det pages with their quads drawn).

python -m openocr.synth.sheets --out docs/images
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np


def rec_sheet(charset: str, n: int = 48, cols: int = 3, seed: int = 0, **kw) -> np.ndarray:
    from .rec import RecLineGenerator

    gen = RecLineGenerator(charset, **kw)
    rng = np.random.default_rng(seed)
    cells = []
    for _ in range(n):
        img, _ = gen.sample(rng)
        cell = np.full((gen.height + 6, gen.max_width + 6, 3), 255, np.uint8)
        cell[3 : 3 + img.shape[0], 3 : 3 + img.shape[1]] = img
        cells.append(cell)
    rows = [np.concatenate(cells[i : i + cols], axis=1) for i in range(0, n - n % cols, cols)]
    return np.concatenate(rows, axis=0)


def det_sheet(n: int = 6, cols: int = 3, tile: int = 560, seed: int = 0, **kw) -> np.ndarray:
    from .det import DetPageGenerator

    gen = DetPageGenerator(**kw)
    rng = np.random.default_rng(seed)
    tiles = []
    for _ in range(n):
        img, inst = gen.sample(rng)
        vis = img.copy()
        for d in inst:
            pts = np.round(np.asarray(d["points"])).astype(np.int32)
            cv2.polylines(vis, [pts], True, (0, 0, 255) if d["ignore"] else (255, 0, 0), 2)
        s = tile / max(vis.shape[:2])
        vis = cv2.resize(vis, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        t = np.full((tile, tile, 3), 255, np.uint8)
        t[: vis.shape[0], : vis.shape[1]] = vis
        tiles.append(t)
    rows = [np.concatenate(tiles[i : i + cols], axis=1) for i in range(0, n - n % cols, cols)]
    return np.concatenate(rows, axis=0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="docs/images")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sheets = {
        "synth_rec_en.png": rec_sheet("en", seed=args.seed),
        "synth_rec_ch.png": rec_sheet("ch", seed=args.seed),
        "synth_det_doc.png": det_sheet(seed=args.seed, doc_ratio=1.0),
        "synth_det_scene.png": det_sheet(seed=args.seed, doc_ratio=0.0),
        "synth_det_words.png": det_sheet(
            n=3, seed=args.seed + 1, level="word", en_ratio=1.0, doc_ratio=0.7
        ),
    }
    from PIL import Image

    for name, img in sheets.items():  # 256-colour PNGs keep the docs small
        Image.fromarray(img).quantize(256, method=Image.Quantize.MEDIANCUT).save(
            out / name, optimize=True
        )
        print(out / name, img.shape)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
