"""Shipped model weights: ``assets/models/manifest.json`` + sha256 verification.

The manifest maps a name to ``{"file", "sha256", "task", "charset"}``; ``file`` is relative to
``openocr/assets/models/``. Names: ``det_mobile``, ``rec_mobile`` (English), ``rec_mobile_ch``
(Chinese + English), ``rec_server`` (Chinese + English) for ONNX files and the same with a
``_torch`` suffix for safetensors checkpoints. Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ModelError

MODE_MODELS = {"mobile": ("det_mobile", "rec_mobile"), "server": ("det_mobile", "rec_server")}
LANGS = ("en", "ch")


def model_names(mode: str, lang: str = "en") -> tuple[str, str]:
    """Manifest names of the (detector, recognizer) for ``mode`` and ``lang``."""
    if mode not in MODE_MODELS:
        raise ModelError(f"mode must be one of {', '.join(MODE_MODELS)}, got {mode!r}")
    if lang not in LANGS:
        raise ModelError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    det, rec = MODE_MODELS[mode]
    return det, (rec + "_ch" if mode == "mobile" and lang == "ch" else rec)


_verified: set[tuple[str, int, float]] = set()


def models_dir() -> Path:
    return Path(str(resources.files("openocr.assets").joinpath("models")))


def read_manifest(path: Path | None = None) -> dict[str, dict[str, Any]]:
    path = path or models_dir() / "manifest.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ModelError(f"{path}: unreadable weights manifest ({e})") from None
    return data if isinstance(data, dict) else {}


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def verify(path: Path, sha256: str) -> None:
    """Raise ModelError unless ``path`` hashes to ``sha256`` (cached per path/size/mtime)."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime)
    if key in _verified:
        return
    got = sha256_file(path)
    if got != sha256.lower():
        raise ModelError(
            f"{path}: sha256 mismatch (expected {sha256[:12]}..., got {got[:12]}...); the file is corrupt"
        )
    _verified.add(key)


def resolve(name: str, manifest_path: Path | None = None) -> Path | None:
    """Verified path of a shipped model, or None when the manifest has no such entry."""
    manifest = read_manifest(manifest_path)
    entry = manifest.get(name)
    if entry is None:
        return None
    base = manifest_path.parent if manifest_path else models_dir()
    path = base / entry["file"]
    if not path.is_file():
        raise ModelError(f"shipped model {name!r} is listed in the manifest but {path} is missing")
    if entry.get("sha256"):
        verify(path, entry["sha256"])
    return path


def default_models(
    mode: str,
    backend: str,
    manifest_path: Path | None = None,
    tasks: tuple[str, ...] = ("det", "rec"),
    lang: str = "en",
) -> tuple[Path, ...]:
    """Shipped model paths for ``mode``/``backend``/``lang`` (one per task in ``tasks``), or a
    ModelError saying what is missing and how to pass model files instead."""
    suffix = "_torch" if backend == "torch" else ""
    det, rec = model_names(mode, lang)
    names = [(det if t == "det" else rec) + suffix for t in tasks]
    paths = [resolve(n, manifest_path) for n in names]
    missing = [n for n, p in zip(names, paths, strict=True) if p is None]
    if missing:
        ext = ".safetensors" if backend == "torch" else ".onnx"
        kw = ", ".join(f"{t}_model='{t}{ext}'" for t in tasks)
        flags = "/".join(f"--{t}-model" for t in tasks)
        raise ModelError(
            f"no trained weights are shipped for mode={mode!r}, lang={lang!r}, backend={backend!r} "
            f"(missing {', '.join(missing)} in openocr/assets/models/manifest.json); "
            f"pass model files: OpenOCR({kw}) or {flags} on the command line"
        )
    return tuple(paths)  # type: ignore[arg-type]
