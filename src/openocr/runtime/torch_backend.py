"""torch backend: an ``nn.Module`` in eval mode, re-parameterized, under ``inference_mode``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from .base import DEFAULT_THREADS, ModelInfo


def _resolve_device(device: str) -> torch.device:
    if device in ("gpu", "auto"):
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(device)


class TorchBackend:
    """Wrap a registered model (eval ``forward`` returns probabilities / a prob map)."""

    def __init__(
        self,
        model: torch.nn.Module,
        device: str = "cpu",
        threads: int = DEFAULT_THREADS,
        info: ModelInfo | None = None,
        copy: bool = True,
    ) -> None:
        """``copy``: fuse a deep copy, leaving the caller's (training) model untouched."""
        import copy as _copy

        from ..models.reparam import reparameterize

        if threads > 0:
            torch.set_num_threads(threads)
        self.device = _resolve_device(device)
        model = getattr(model, "module", model)  # DDP / DataParallel wrappers
        if copy:
            model = _copy.deepcopy(model)
        model = model.eval()
        model = reparameterize(model) or model
        self.model = model.to(self.device)
        self.info = info or ModelInfo(
            model_name=getattr(model, "model_name", type(model).__name__),
            task=getattr(model, "task", ""),
        )
        if self.info.input_height is None and getattr(model, "input_height", None):
            self.info.input_height = int(model.input_height)

    @classmethod
    def from_checkpoint(
        cls, path: str | Path, device: str = "cpu", threads: int = DEFAULT_THREADS
    ) -> TorchBackend:
        from ..checkpoint import load_checkpoint

        model, meta = load_checkpoint(path)
        info = ModelInfo(
            model_name=meta["model_name"],
            task=meta["task"],
            charset=meta.get("charset"),
            config=meta.get("config") or {},
            source=str(path),
        )
        return cls(model, device=device, threads=threads, info=info, copy=False)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out: Any = self.model(
                torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device)
            )
        if isinstance(out, dict):
            out = out.get("prob", out.get("maps", next(iter(out.values()))))
        if isinstance(out, (list, tuple)):
            out = out[0]
        return out.float().cpu().numpy()
