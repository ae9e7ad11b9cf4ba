"""The reference's config-driven script arguments: ``-c/--config YAML -o/--opt KEY=VALUE ...``."""

from __future__ import annotations

import argparse
from typing import Any


def load_infer_config(argv: list[str] | None, prog: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Parse ``--c/--o`` (docs spell them so; argparse prefix matching accepts it) and return
    (resolved config dict, its ``Global`` section). ``Global.infer_img`` is required."""
    from ..config import apply_overrides, load_yaml
    from ..errors import ConfigError

    p = argparse.ArgumentParser(prog=prog)
    p.add_argument("-c", "--config", required=True, help="YAML config")
    p.add_argument("-o", "--opt", nargs="+", default=[], help="Section.key=value overrides")
    p.add_argument("--local_rank", "--local-rank", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    cfg = apply_overrides(load_yaml(args.config), args.opt)
    g = cfg.get("Global") or {}
    if not isinstance(g, dict) or not g.get("infer_img"):
        raise ConfigError(f"{args.config}: set the input with -o Global.infer_img=PATH")
    return cfg, g


def model_and_backend(g: dict[str, Any]) -> tuple[str | None, str]:
    """The model file named in ``Global`` (``onnx_model_path`` or ``pretrained_model``) and the
    backend it needs (``Global.backend`` when no file is named)."""
    model = g.get("onnx_model_path") or g.get("pretrained_model")
    if model is None:
        return None, str(g.get("backend", "onnx"))
    return str(model), "onnx" if str(model).endswith(".onnx") else "torch"
