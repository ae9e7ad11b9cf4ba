"""Self-describing model checkpoints: safetensors weights + metadata, loaded without pickle.

Metadata keys: ``format`` ("openocr-checkpoint/1"), ``model_name``, ``model_kwargs`` (JSON),
``task``, ``charset`` (Charset metadata JSON, rec only), ``config`` (resolved config JSON),
``extra`` (JSON: step, metrics, ...). ``load_checkpoint`` rebuilds the model from the registry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .charset import Charset
from .errors import ModelError
from .models.registry import create_model

FORMAT = "openocr-checkpoint/1"


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    return getattr(model, "module", model)


def fits_dtype(t: torch.Tensor, dtype: torch.dtype) -> bool:
    """Whether every value of ``t`` stays finite when cast to ``dtype`` (e.g. float16)."""
    return bool(torch.isfinite(t.to(dtype)).all())


def save_checkpoint(
    path: str | Path,
    model: torch.nn.Module,
    charset: Charset | None = None,
    config: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    state_dict: dict[str, torch.Tensor] | None = None,
    dtype: torch.dtype | None = None,
) -> Path:
    """Write ``model`` (or an explicit ``state_dict``, e.g. EMA weights) to ``path``.

    ``dtype`` (e.g. torch.float16) casts floating tensors for small shipped files; a tensor
    whose values the smaller type cannot hold (e.g. large BN variances) keeps its type.
    """
    model = _unwrap(model)
    sd = state_dict if state_dict is not None else model.state_dict()
    tensors = {}
    for k, v in sd.items():
        v = v.detach().cpu()
        if dtype is not None and v.is_floating_point() and fits_dtype(v, dtype):
            v = v.to(dtype)
        tensors[k] = v.contiguous()
    meta = {
        "format": FORMAT,
        "model_name": model.model_name,
        "model_kwargs": json.dumps(model.model_kwargs),
        "task": model.task,
        "config": json.dumps(config or {}, ensure_ascii=False),
        "extra": json.dumps(extra or {}, ensure_ascii=False),
    }
    if charset is not None:
        meta["charset"] = charset.to_metadata()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    save_file(tensors, str(tmp), metadata=meta)
    tmp.replace(path)  # atomic: a crash never leaves a half-written checkpoint
    return path


def read_metadata(path: str | Path) -> dict[str, Any]:
    """Decode a checkpoint's metadata (JSON fields parsed, charset as a Charset)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            raw = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelError(f"{path}: not a readable safetensors checkpoint ({e})") from None
    if raw.get("format") != FORMAT:
        raise ModelError(f"{path}: not an openocr checkpoint (format={raw.get('format')!r})")
    meta: dict[str, Any] = {
        "model_name": raw["model_name"],
        "model_kwargs": json.loads(raw["model_kwargs"]),
        "task": raw["task"],
        "config": json.loads(raw.get("config", "{}")),
        "extra": json.loads(raw.get("extra", "{}")),
        "charset": Charset.from_metadata(raw["charset"]) if "charset" in raw else None,
    }
    return meta


def load_checkpoint(
    path: str | Path, device: str = "cpu"
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Rebuild the model named in the checkpoint and load its weights (strict, fp32)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"checkpoint not found: {path}")
    meta = read_metadata(path)
    model = create_model(meta["model_name"], **meta["model_kwargs"])
    sd = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(path)).items()}
    try:
        model.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        raise ModelError(
            f"{path}: weights do not match {meta['model_name']}: {str(e)[:300]}"
        ) from None
    return model.to(device).eval(), meta


def load_weights_into(model: torch.nn.Module, path: str | Path) -> dict[str, list[str]]:
    """Non-strict load for fine-tuning; returns missing/unexpected/shape-mismatched keys."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"pretrained weights not found: {path}")
    sd = load_file(str(path))
    own = _unwrap(model).state_dict()
    mismatched = [k for k, v in sd.items() if k in own and own[k].shape != v.shape]
    sd = {k: v.to(own[k].dtype) for k, v in sd.items() if k in own and k not in mismatched}
    res = _unwrap(model).load_state_dict(sd, strict=False)
    return {
        "missing": list(res.missing_keys),
        "unexpected": [k for k in load_file(str(path)) if k not in own],
        "shape_mismatch": mismatched,
    }
