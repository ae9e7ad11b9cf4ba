"""Backend protocol and a loader that picks the backend from the file or object given."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import ModelError

DEFAULT_THREADS = 2


@dataclass
class ModelInfo:
    """Self-description read from ONNX metadata or checkpoint metadata."""

    model_name: str = "unknown"
    task: str = ""  # 'det' | 'rec'
    charset: Any = None  # openocr.charset.Charset for rec models
    config: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    input_height: int | None = None  # rec models: the height the model expects


@runtime_checkable
class Backend(Protocol):
    info: ModelInfo

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Run the model on a float32 NCHW batch; returns the first output as numpy."""
        ...


def parse_metadata(meta: dict[str, str], source: str) -> ModelInfo:
    from ..charset import Charset

    info = ModelInfo(
        model_name=meta.get("model_name", "unknown"), task=meta.get("task", ""), source=source
    )
    if meta.get("charset"):
        try:
            info.charset = Charset.from_metadata(meta["charset"])
        except (ValueError, KeyError, TypeError) as e:
            raise ModelError(f"{source}: invalid charset metadata ({e})") from None
    if str(meta.get("input_height", "")).isdigit():
        info.input_height = int(meta["input_height"])
    if meta.get("config"):
        try:
            cfg = json.loads(meta["config"])
            info.config = cfg if isinstance(cfg, dict) else {}
        except json.JSONDecodeError:
            info.config = {}
    return info


def load_backend(
    model: Any, backend: str | None = None, device: str = "cpu", threads: int = DEFAULT_THREADS
) -> Backend:
    """Open ``model``: an ``.onnx`` path (onnxruntime), a checkpoint path (torch), or a torch
    ``nn.Module``. ``backend`` ('onnx' | 'torch') only checks that the file fits."""
    if isinstance(model, (str, Path)):
        path = Path(model)
        if not path.is_file():
            raise ModelError(f"model file not found: {path}")
        is_onnx = path.suffix.lower() == ".onnx"
        if backend == "onnx" and not is_onnx:
            raise ModelError(
                f"{path}: backend 'onnx' needs an .onnx file (export it with 'openocr export')"
            )
        if is_onnx and backend == "torch":
            raise ModelError(
                f"{path}: backend 'torch' needs a checkpoint (.safetensors), not an .onnx file"
            )
        if is_onnx:
            from .onnx_backend import OnnxBackend

            return OnnxBackend(path, device=device, threads=threads)
        from .torch_backend import TorchBackend

        return TorchBackend.from_checkpoint(path, device=device, threads=threads)
    if hasattr(model, "info") and callable(model):
        return model  # already a backend
    from .torch_backend import TorchBackend

    return TorchBackend(model, device=device, threads=threads)
