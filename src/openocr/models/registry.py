"""The one model registry: names are how configs, checkpoints, ONNX files and the CLI refer to
architectures. Importing this module does not import torch; ``create_model`` does."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_MODEL_MODULES = (
    "openocr.models.repsvtr",
    "openocr.models.svtrv2",
    "openocr.models.dbnet",
)


@dataclass(frozen=True)
class ModelInfo:
    """What a registered architecture is: task ('rec' | 'det') and its default kwargs."""

    name: str
    task: str
    builder: Callable[..., Any]
    defaults: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, ModelInfo] = {}
_loaded = False


def register_model(
    name: str, task: str, **defaults: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register ``builder(**kwargs) -> nn.Module`` under ``name``."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} registered twice")
        _REGISTRY[name] = ModelInfo(name, task, fn, dict(defaults))
        return fn

    return deco


def _load_all() -> None:
    global _loaded
    if not _loaded:
        import importlib

        for mod in _MODEL_MODULES:
            importlib.import_module(mod)
        _loaded = True


def list_models(pattern: str = "*") -> list[str]:
    _load_all()
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))


def get_model_info(name: str) -> ModelInfo:
    _load_all()
    if name not in _REGISTRY:
        raise KeyError(f"unknown model {name!r}; registered: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def create_model(name: str, **overrides: Any) -> Any:
    """Build a registered model. Overrides set to None are ignored.

    The returned module carries ``model_name`` and ``model_kwargs`` so checkpoints and ONNX
    exports can rebuild it.

    >>> model = create_model("repsvtr", num_classes=96)  # doctest: +SKIP
    """
    info = get_model_info(name)
    kwargs = {**info.defaults, **{k: v for k, v in overrides.items() if v is not None}}
    model = info.builder(**kwargs)
    model.model_name = name
    model.model_kwargs = kwargs
    model.task = info.task
    return model
