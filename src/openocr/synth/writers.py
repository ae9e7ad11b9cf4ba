"""Write synthetic datasets to disk: our eval format or the OpenOCR LMDB layout.

Samples are made in chunks; chunk ``k`` draws from ``np.random.default_rng([seed, k])``, so the
output does not depend on the number of worker processes.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

CHUNK = 64


def encode_image(img: np.ndarray, ext: str = ".jpg", quality: int = 92) -> bytes:
    """RGB uint8 -> encoded bytes (JPEG or PNG)."""
    bgr = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if ext == ".jpg" else []
    ok, buf = cv2.imencode(ext, bgr, params)
    if not ok:
        raise RuntimeError("image encoding failed")
    return buf.tobytes()


_GEN: Any = None


def _init(kind: str, kwargs: dict[str, Any]) -> None:
    global _GEN
    cv2.setNumThreads(1)
    if kind == "rec":
        from .rec import RecLineGenerator

        _GEN = RecLineGenerator(**kwargs)
    else:
        from .det import DetPageGenerator

        _GEN = DetPageGenerator(**kwargs)


def _chunk(job: tuple[int, int, int, str]) -> list[tuple[bytes, Any, int, int]]:
    seed, k, count, ext = job
    rng = np.random.default_rng([seed, k])
    out = []
    for _ in range(count):
        img, label = _GEN.sample(rng)
        out.append((encode_image(img, ext), label, img.shape[1], img.shape[0]))
    return out


def generate(
    kind: str, n: int, seed: int = 0, workers: int = 1, ext: str = ".jpg", **kwargs: Any
) -> Iterator[tuple[bytes, Any, int, int]]:
    """Yield ``n`` encoded samples ``(bytes, label, w, h)`` in a fixed order."""
    jobs = [(seed, k, min(CHUNK, n - k * CHUNK), ext) for k in range((n + CHUNK - 1) // CHUNK)]
    if workers <= 1:
        _init(kind, kwargs)
        for job in jobs:
            yield from _chunk(job)
        return
    ctx = mp.get_context("fork" if hasattr(os, "fork") else "spawn")
    with ctx.Pool(workers, initializer=_init, initargs=(kind, kwargs)) as pool:
        for items in pool.imap(_chunk, jobs):
            yield from items


class EvalDirWriter:
    """``images/`` + ``labels.tsv`` (rec: ``relpath<TAB>text``) or ``labels.jsonl`` (det)."""

    def __init__(self, out: str | Path, kind: str, ext: str = ".jpg"):
        self.root = Path(out)
        (self.root / "images").mkdir(parents=True, exist_ok=True)
        self.kind = kind
        self.ext = ext
        name = "labels.tsv" if kind == "rec" else "labels.jsonl"
        self._f = open(self.root / name, "w", encoding="utf-8")  # noqa: SIM115
        self.count = 0

    def add(self, data: bytes, label: Any, w: int = 0, h: int = 0) -> None:
        self.count += 1
        rel = f"images/{self.count:09d}{self.ext}"
        (self.root / rel).write_bytes(data)
        if self.kind == "rec":
            text = str(label).replace("\t", " ").replace("\n", " ")
            self._f.write(f"{rel}\t{text}\n")
        else:
            self._f.write(json.dumps({"image": rel, "instances": label}, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self._f.close()


class LmdbWriter:
    """OpenOCR LMDB: ``image-%09d`` (1-based), ``label-%09d``, ``wh-%09d`` ("w_h"), ``num-samples``.
    Detection labels are stored as the JSON list of instances."""

    def __init__(self, out: str | Path, map_size: int = 1 << 40, commit_every: int = 1000):
        import lmdb

        Path(out).mkdir(parents=True, exist_ok=True)
        self.env = lmdb.open(str(out), map_size=map_size)
        self.commit_every = commit_every
        self.count = 0
        self._cache: dict[bytes, bytes] = {}

    def add(self, data: bytes, label: Any, w: int = 0, h: int = 0) -> None:
        self.count += 1
        i = self.count
        text = label if isinstance(label, str) else json.dumps(label, ensure_ascii=False)
        self._cache[b"image-%09d" % i] = data
        self._cache[b"label-%09d" % i] = text.encode("utf-8")
        self._cache[b"wh-%09d" % i] = f"{w}_{h}".encode()
        if len(self._cache) >= 3 * self.commit_every:
            self._flush()

    def _flush(self) -> None:
        self._cache[b"num-samples"] = str(self.count).encode()
        with self.env.begin(write=True) as txn:
            for k, v in self._cache.items():
                txn.put(k, v)
        self._cache = {}

    def close(self) -> None:
        self._flush()
        self.env.close()


def write_dataset(
    kind: str,
    out: str | Path,
    n: int,
    fmt: str = "dir",
    seed: int = 0,
    workers: int = 1,
    ext: str = ".jpg",
    progress: bool = False,
    **generator_kwargs: Any,
) -> int:
    """Render ``n`` samples of ``kind`` ("rec" or "det") into ``out``; returns the count."""
    if kind not in ("rec", "det"):
        raise ValueError(f"kind must be 'rec' or 'det', not {kind!r}")
    if fmt not in ("dir", "lmdb"):
        raise ValueError(f"format must be 'dir' or 'lmdb', not {fmt!r}")
    writer: EvalDirWriter | LmdbWriter = (
        EvalDirWriter(out, kind, ext) if fmt == "dir" else LmdbWriter(out)
    )
    it = generate(kind, n, seed=seed, workers=workers, ext=ext, **generator_kwargs)
    if progress:
        from tqdm import tqdm

        it = tqdm(it, total=n, unit=kind == "rec" and "line" or "page")
    try:
        for data, label, w, h in it:
            writer.add(data, label, w, h)
    finally:
        writer.close()
    return writer.count
