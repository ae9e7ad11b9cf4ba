"""Optimizer (parameter groups) and per-iteration LR schedule."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ..config import OptimizerConfig, SchedulerConfig
from ..errors import ConfigError

NO_DECAY_NAMES = ("patch_embed", "downsample", "pos_embed")


def build_optimizer(model: torch.nn.Module, cfg: OptimizerConfig) -> torch.optim.Optimizer:
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if cfg.filter_bias_and_norm and cfg.weight_decay > 0:
        no_decay = [
            p
            for n, p in params
            if p.ndim <= 1 or n.endswith(".bias") or any(k in n for k in NO_DECAY_NAMES)
        ]
        ids = {id(p) for p in no_decay}
        decay = [p for _, p in params if id(p) not in ids]
        groups = [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
    else:
        groups = [{"params": [p for _, p in params], "weight_decay": cfg.weight_decay}]
    kinds = {"Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}
    if cfg.name not in kinds:
        raise ConfigError(f"Optimizer.name {cfg.name!r} not supported; valid: {', '.join(kinds)}")
    return kinds[cfg.name](groups, lr=cfg.lr, betas=tuple(cfg.betas))


def lr_multiplier(step: int, total: int, cfg: SchedulerConfig) -> float:
    """Linear warm-up from 0, then cosine decay to ``min_lr_ratio`` at ``total`` steps."""
    if cfg.name == "constant":
        return min(1.0, (step + 1) / cfg.warmup_steps) if cfg.warmup_steps else 1.0
    if cfg.name != "cosine":
        raise ConfigError(f"Scheduler.name {cfg.name!r} not supported; valid: cosine, constant")
    if step < cfg.warmup_steps:
        return step / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps))
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def build_scheduler(
    opt: torch.optim.Optimizer, total_steps: Callable[[], int], cfg: SchedulerConfig
) -> torch.optim.lr_scheduler.LambdaLR:
    """``total_steps`` is read at every step, so a run that re-plans its length (e.g.
    ``Global.fit_steps_to_minutes``) moves the end of the schedule with it."""
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_multiplier(s, total_steps(), cfg))
