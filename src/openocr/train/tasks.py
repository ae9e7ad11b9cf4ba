"""Task adapters: what differs between recognition and detection training."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from ..charset import Charset
from ..config import TrainConfig
from ..errors import ConfigError
from ..eval.metrics import DetMetric, RecMetric
from ..postprocess.ctc import ctc_greedy_decode
from .det_data import DetBatcher
from .losses import CTCLoss, DBLoss
from .rec_data import RecBatcher, resize_norm_pad
from .sources import SynthSource, build_source


def eval_samples(source: Any, max_samples: int, seed: int) -> Iterator[tuple[np.ndarray, Any]]:
    """Deterministic finite view of a source. Synthetic sources: the first ``max_samples``
    drawn with the source's own ``seed`` if it has one (so runs with different
    ``Global.seed`` score the same lines), else with ``seed``."""
    if isinstance(source, SynthSource):
        rng = np.random.default_rng([int(source.kwargs.get("seed", seed)), 424242])
        for _ in range(max_samples or 1000):
            yield source.sample(rng)
        return
    n = len(source) if not max_samples else min(max_samples, len(source))
    for i in range(n):
        s = source.load(i)
        if s is not None:
            yield s


class RecTask:
    name = "rec"
    main_metric = "acc"

    def __init__(self, cfg: TrainConfig):
        self.cfg = cfg
        self.charset = Charset.load(cfg.Global.charset)
        t = dict(cfg.Train.transforms)
        self.height = int(t.pop("height", 48))
        self.width = int(t.pop("width", 320))
        self.batcher = RecBatcher(
            self.charset,
            self.height,
            self.width,
            int(t.pop("max_len", 25)),
            t.pop("augment", None),
            bool(t.pop("msr", False)),
            int(t.pop("max_ratio", 8)),
            str(t.pop("pad", "fixed")),
        )
        if t:
            raise ConfigError(
                f"unknown rec transform keys {sorted(t)}; "
                "valid: height, width, max_len, augment, msr, max_ratio, pad"
            )
        self.loss = CTCLoss()

    def build_model_kwargs(self) -> dict[str, Any]:
        return {"num_classes": self.charset.num_classes, "input_height": self.height}

    def sources(self, specs: list[dict[str, Any]]) -> list[Any]:
        return [build_source(s, "rec", self.charset) for s in specs]

    def compute_loss(
        self, model: torch.nn.Module, batch: dict[str, Any]
    ) -> dict[str, torch.Tensor]:
        if "groups" not in batch:
            return self.loss(model(batch["image"]), batch)
        total = sum(self.loss(model(g["image"]), g)["loss"] * g["size"] for g in batch["groups"])
        return {"loss": total / batch["size"]}

    def _eval_chunk(
        self,
        model: torch.nn.Module,
        chunk: list[tuple[np.ndarray, str]],
        metric: RecMetric,
        device: torch.device,
        memory_format: torch.memory_format,
    ) -> None:
        x = (
            torch.from_numpy(np.stack([c[0] for c in chunk]))
            .to(device)
            .contiguous(memory_format=memory_format)
        )
        probs = model(x).float().cpu().numpy()
        decoded = ctc_greedy_decode(probs, self.charset.lookup_table())
        metric.update([d.text for d in decoded], [c[1] for c in chunk])

    @torch.no_grad()
    def evaluate(
        self, model: torch.nn.Module, device: torch.device, memory_format: torch.memory_format
    ) -> dict[str, float]:
        cfg = self.cfg
        metric = RecMetric(**cfg.Metric) if cfg.Metric else RecMetric()
        model.eval()
        bs = cfg.Eval.loader.batch_size
        for spec in cfg.Eval.sources:
            src = build_source(spec, "rec", self.charset)
            chunk: list[tuple[np.ndarray, str]] = []
            for img, text in eval_samples(src, cfg.Eval.max_samples, cfg.Global.seed):
                chunk.append((resize_norm_pad(img, self.height, self.width), text))
                if len(chunk) == bs:
                    self._eval_chunk(model, chunk, metric, device, memory_format)
                    chunk = []
            if chunk:
                self._eval_chunk(model, chunk, metric, device, memory_format)
        model.train()
        return metric.result()


class DetTask:
    name = "det"
    main_metric = "hmean"

    def __init__(self, cfg: TrainConfig):
        self.cfg = cfg
        self.charset = None
        self.batcher = DetBatcher(**cfg.Train.transforms)
        self.loss = DBLoss(**cfg.Loss)

    def build_model_kwargs(self) -> dict[str, Any]:
        return {}

    def sources(self, specs: list[dict[str, Any]]) -> list[Any]:
        return [build_source(s, "det") for s in specs]

    def compute_loss(
        self, model: torch.nn.Module, batch: dict[str, Any]
    ) -> dict[str, torch.Tensor]:
        return self.loss(model(batch["image"]), batch)

    @torch.no_grad()
    def evaluate(
        self, model: torch.nn.Module, device: torch.device, memory_format: torch.memory_format
    ) -> dict[str, float]:
        from ..postprocess.db import LABEL_UNCLIP_RATIO, DBPostConfig, DBPostProcessor
        from ..preprocess.det import det_preprocess

        cfg = self.cfg
        metric = DetMetric()
        post = DBPostProcessor(DBPostConfig(unclip_ratio=LABEL_UNCLIP_RATIO))
        model.eval()
        for spec in cfg.Eval.sources:
            src = build_source(spec, "det")
            for img, instances in eval_samples(src, cfg.Eval.max_samples, cfg.Global.seed):
                x, meta = det_preprocess(img)
                t = torch.from_numpy(x).to(device).contiguous(memory_format=memory_format)
                prob = model(t).float().cpu().numpy()
                boxes = post(prob, meta).boxes
                metric.update(
                    [b.tolist() for b in boxes],
                    [i["points"] for i in instances],
                    [i["ignore"] for i in instances],
                )
        model.train()
        return metric.result()


def build_task(cfg: TrainConfig) -> RecTask | DetTask:
    return RecTask(cfg) if cfg.Global.task == "rec" else DetTask(cfg)
