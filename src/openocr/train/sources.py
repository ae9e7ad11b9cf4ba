"""Data sources for training and evaluation: each yields raw samples.

Recognition samples are ``(rgb_uint8_HxWx3, text)``; detection samples are
``(rgb_uint8_HxWx3, [{"points": [[x, y], ...], "text": str, "ignore": bool}, ...])``.

Source types (``DataConfig.sources`` entries, ``type`` key):
- ``synth``: on-the-fly synthetic data (openocr.synth), infinite.
- ``eval_dir``: our eval format, a folder with ``images/`` + ``labels.tsv`` (rec) or
  ``labels.jsonl`` (det).
- ``label_file``: the reference's ``path<TAB>label`` index (rec text or det JSON) under ``data_dir``.
- ``lmdb``: the OpenOCR LMDB layout (rec).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, InputError
from ..io import load_image

IGNORE_TEXTS = ("###", "*")


def read_rgb(src: str | Path | bytes) -> np.ndarray | None:
    """A path or encoded bytes -> RGB uint8 through the inference loader (same decoding, EXIF
    and colour handling as ``OpenOCR``), or None when the input is unusable."""
    try:
        return load_image(src)
    except InputError:
        return None


class IndexedSource:
    """A finite, indexable list of samples loaded lazily from disk."""

    def __init__(self, items: list[tuple[str, Any]], task: str, name: str):
        self.items = items
        self.task = task
        self.name = name

    def __len__(self) -> int:
        return len(self.items)

    def load(self, i: int) -> tuple[np.ndarray, Any] | None:
        path, label = self.items[i]
        img = read_rgb(path)
        if img is None or img.size == 0:
            return None
        return img, label


def _det_instances(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for inst in raw:
        text = inst.get("text", inst.get("transcription", ""))
        ignore = bool(inst.get("ignore", False)) or text in IGNORE_TEXTS
        out.append({"points": inst["points"], "text": text, "ignore": ignore})
    return out


def eval_dir_source(path: str, task: str) -> IndexedSource:
    root = Path(path)
    items: list[tuple[str, Any]] = []
    if task == "rec":
        tsv = root / "labels.tsv"
        if not tsv.is_file():
            raise ConfigError(f"eval_dir {root}: labels.tsv not found")
        for line in tsv.read_text(encoding="utf-8").splitlines():
            if "\t" in line:
                rel, text = line.split("\t", 1)
                items.append((str(root / rel), text))
    else:
        jl = root / "labels.jsonl"
        if not jl.is_file():
            raise ConfigError(f"eval_dir {root}: labels.jsonl not found")
        for line in jl.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                items.append((str(root / rec["image"]), _det_instances(rec["instances"])))
    return IndexedSource(items, task, root.name)


def label_file_source(data_dir: str, label_file: str | list[str], task: str) -> IndexedSource:
    files = [label_file] if isinstance(label_file, str) else list(label_file)
    items: list[tuple[str, Any]] = []
    for lf in files:
        lf_path = Path(lf)
        if not lf_path.is_file():
            raise ConfigError(f"label file not found: {lf}")
        for line in lf_path.read_text(encoding="utf-8").splitlines():
            if "\t" not in line:
                continue
            rel, label = line.split("\t", 1)
            if task == "det":
                raw = json.loads(label)
                label = _det_instances(
                    [{"points": r["points"], "text": r.get("transcription", "")} for r in raw]
                )
            items.append((str(Path(data_dir) / rel), label))
    return IndexedSource(items, task, Path(files[0]).stem)


class LmdbSource:
    """OpenOCR LMDB layout: image-%09d / label-%09d (1-based) and num-samples."""

    task = "rec"

    def __init__(self, path: str):
        import lmdb

        self.path = path
        self.env = lmdb.open(path, readonly=True, lock=False, readahead=False, meminit=False)
        with self.env.begin() as txn:
            n = txn.get(b"num-samples")
        if n is None:
            raise ConfigError(f"{path}: not an OpenOCR LMDB (no num-samples key)")
        self.n = int(n)
        self.name = Path(path).name

    def __len__(self) -> int:
        return self.n

    def load(self, i: int) -> tuple[np.ndarray, str] | None:
        with self.env.begin() as txn:
            img = txn.get(b"image-%09d" % (i + 1))
            label = txn.get(b"label-%09d" % (i + 1))
        if img is None or label is None:
            return None
        arr = read_rgb(img)
        return None if arr is None else (arr, label.decode("utf-8"))

    def __getstate__(self) -> dict[str, Any]:  # lmdb envs do not pickle: reopen in workers
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]


class SynthSource:
    """Infinite synthetic samples from openocr.synth generators. ``reuse`` > 1: each rendered
    sample feeds that many training samples of a batch (different augmentations and crops of
    one detection page, which costs far more to render than to augment)."""

    def __init__(self, task: str, charset: Any = None, reuse: int = 1, **kwargs: Any):
        if int(reuse) < 1:
            raise ConfigError(f"a synth source's reuse must be >= 1, got {reuse!r}")
        self.task = task
        self.charset = charset
        self.reuse = int(reuse)
        self.kwargs = kwargs
        self.name = f"synth_{task}"
        self._gen = None

    def generator(self) -> Any:
        if self._gen is None:
            from .. import synth

            if self.task == "rec":
                self._gen = synth.RecLineGenerator(charset=self.charset, **self.kwargs)
            else:
                self._gen = synth.DetPageGenerator(**self.kwargs)
        return self._gen

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, Any]:
        return self.generator().sample(rng)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "charset": self.charset,
            "reuse": self.reuse,
            "kwargs": self.kwargs,
            "name": self.name,
            "_gen": None,
        }


def build_source(spec: dict[str, Any], task: str, charset: Any = None) -> Any:
    spec = dict(spec)
    kind = spec.pop("type", None)
    spec.pop("weight", None)
    if kind == "synth":
        return SynthSource(task, charset=charset if task == "rec" else None, **spec)
    if kind == "eval_dir":
        return eval_dir_source(spec["path"], task)
    if kind == "label_file":
        return label_file_source(spec["data_dir"], spec["label_file"], task)
    if kind == "lmdb":
        return LmdbSource(spec["path"])
    raise ConfigError(
        f"unknown data source type {kind!r}; valid: synth, eval_dir, label_file, lmdb"
    )
