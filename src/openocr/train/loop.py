"""One training loop for recognition and detection: CPU (fp32 or native bf16, channels_last), CUDA
(fp16 AMP) and multi-GPU DDP via torchrun; resumable checkpoints; EMA; JSONL metrics."""

from __future__ import annotations

import copy
import json
import logging
import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..checkpoint import load_checkpoint, load_weights_into, read_metadata, save_checkpoint
from ..config import TrainConfig, dump_yaml, to_dict
from ..errors import ConfigError
from ..models.registry import create_model, get_model_info
from .optim import build_optimizer, build_scheduler
from .stream import BatchStream
from .tasks import build_task

log = logging.getLogger("openocr.train")


def _setup_logging(out: Path, rank: int) -> None:
    if rank != 0:
        logging.basicConfig(level=logging.WARNING)
        return
    out.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S")
    log.setLevel(logging.INFO)
    log.handlers.clear()
    for h in (logging.StreamHandler(), logging.FileHandler(out / "train.log")):
        h.setFormatter(fmt)
        log.addHandler(h)
    log.propagate = False


class EMA:
    """Exponential moving average of the model's floating-point state."""

    def __init__(self, model: torch.nn.Module, decay: float):
        self.decay = decay
        self.state = {k: v.detach().clone().float() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        for k, v in model.state_dict().items():
            if v.is_floating_point():
                self.state[k].mul_(self.decay).add_(v.detach().float(), alpha=1 - self.decay)
            else:
                self.state[k].copy_(v)


def _leave_signals_to_main(_worker_id: int) -> None:
    """Loader workers ignore SIGINT/SIGTERM: Ctrl-C and ``pkill -f`` reach the whole process
    group, and a killed worker would crash the main process before it saves. The main process
    saves and stops; workers then exit through the loader's shutdown."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX); without it bf16 autocast is
    emulated and trains ~15x slower than fp32 (measured on an AVX2-only EPYC)."""
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def auto_precision(device: torch.device) -> str:
    """``Global.precision: auto``: fp16 AMP on CUDA, bf16 on CPUs with native bf16, else fp32."""
    if device.type == "cuda":
        return "fp16"
    return "bf16" if cpu_has_native_bf16() else "fp32"


class StepTimer:
    """Timing for ``Global.fit_steps_to_minutes``: time 100 steps from 5 past the start (past
    start-up), or fewer if they take over a tenth of the time limit, then plan; a quarter of the
    way to that plan, plan again on the steps since the first plan only (a machine busy at
    start-up skews the first). Evaluations inside a timed stretch are left out of it."""

    def __init__(self, step: int, max_minutes: float, by_time: bool):
        self.start: int | None = step + 5
        self.replan_at: int | None = None
        self.t_start: float | None = None
        self.excluded = 0.0
        self.limit = max_minutes * 60 / 10  # seconds: a tenth of the time limit
        self.by_time = by_time  # only on one process: DDP ranks must plan at the same step

    def exclude(self, seconds: float) -> None:
        if self.t_start is not None:
            self.excluded += seconds

    def seconds_per_step(self, step: int, now: float) -> float | None:
        """Seconds a step when it is time to plan, else None."""
        if self.start is None or step < self.start:
            return None
        if self.t_start is None:
            self.t_start = now
            return None
        first = self.replan_at is None
        due = self.start + 100 if first else self.replan_at
        if step != due and not (first and self.by_time and now - self.t_start > self.limit):
            return None
        return (now - self.t_start - self.excluded) / (step - self.start)

    def planned(self, step: int, max_steps: int) -> None:
        quarter = (max_steps - step) // 4
        if self.replan_at is None and quarter >= 20:
            self.replan_at = step + quarter
            self.start, self.t_start, self.excluded = step + 1, None, 0.0
        else:
            self.start = None


class Trainer:
    """Build everything from a ``TrainConfig`` and run ``fit()``."""

    def __init__(self, cfg: TrainConfig):
        self.cfg = cfg
        g = cfg.Global
        self.rank = int(os.environ.get("RANK", 0))
        self.world = int(os.environ.get("WORLD_SIZE", 1))
        self.out = Path(g.output_dir)
        _setup_logging(self.out, self.rank)
        self.device = self._pick_device(g.device)
        if self.world > 1:
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            torch.distributed.init_process_group(backend)
        if g.num_threads:
            torch.set_num_threads(g.num_threads)
        torch.manual_seed(g.seed)
        np.random.seed(g.seed)
        random.seed(g.seed)
        self.precision = g.precision if g.precision != "auto" else auto_precision(self.device)
        self.memory_format = torch.channels_last if g.channels_last else torch.contiguous_format

        self.task = build_task(cfg)
        info = get_model_info(cfg.Model.name)
        if info.task != cfg.Global.task:
            raise ConfigError(
                f"model {cfg.Model.name!r} is a {info.task} model but Global.task={cfg.Global.task!r}"
            )
        self.model = create_model(
            cfg.Model.name, **{**cfg.Model.kwargs, **self.task.build_model_kwargs()}
        )
        self.model.to(self.device).to(memory_format=self.memory_format)
        if g.pretrained and not g.resume:
            report = load_weights_into(self.model, g.pretrained)
            log.info(
                "fine-tuning from %s: %d missing, %d unexpected, %d shape-mismatched keys %s",
                g.pretrained,
                len(report["missing"]),
                len(report["unexpected"]),
                len(report["shape_mismatch"]),
                {k: v[:5] for k, v in report.items() if v},
            )
        self.optimizer = build_optimizer(self.model, cfg.Optimizer)
        self.scheduler = build_scheduler(
            self.optimizer, lambda: self.cfg.Global.max_steps, cfg.Scheduler
        )
        self.scaler = torch.amp.GradScaler(
            "cuda", enabled=self.precision == "fp16" and self.device.type == "cuda"
        )
        self.ema = EMA(self.model, g.ema_decay) if g.ema_decay > 0 else None
        self.step = 0
        self.best: dict[str, Any] = {}
        self.samples_seen = 0
        self._rng_state: dict[str, Any] | None = None
        if g.resume:
            self._resume(Path(g.resume))
        self.net = self.model
        if self.world > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        self._stop = False

    # --- setup helpers ------------------------------------------------------------------
    def _pick_device(self, name: str) -> torch.device:
        if name == "auto":
            name = "cuda" if torch.cuda.is_available() else "cpu"
        if name.startswith("cuda"):
            if not torch.cuda.is_available():
                raise ConfigError("Global.device is cuda but no CUDA device is available")
            local = int(os.environ.get("LOCAL_RANK", 0))
            dev = torch.device(name if ":" in name else f"cuda:{local}")
            torch.cuda.set_device(dev)
            return dev
        return torch.device("cpu")

    def _autocast(self) -> Any:
        if self.precision == "fp32":
            return torch.autocast(self.device.type, enabled=False)
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        return torch.autocast(self.device.type, dtype=dtype)

    def _to_device(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Move tensors (also inside MSR ``groups``) to the device; images channels_last."""
        out: dict[str, Any] = {}
        for k, v in batch.items():
            if k == "groups":
                out[k] = [self._to_device(gr) for gr in v]
            elif torch.is_tensor(v):
                v = v.to(self.device, non_blocking=True)
                out[k] = v.contiguous(memory_format=self.memory_format) if k == "image" else v
            else:
                out[k] = v
        out.setdefault(
            "size",
            sum(gr["size"] for gr in out["groups"]) if "groups" in out else len(out["image"]),
        )
        return out

    def _paths(self, tag: str) -> tuple[Path, Path]:
        return self.out / f"{tag}.safetensors", self.out / f"{tag}_state.pt"

    # --- checkpoints --------------------------------------------------------------------
    def save(
        self,
        tag: str,
        metrics: dict[str, Any] | None = None,
        state_dict: dict[str, torch.Tensor] | None = None,
    ) -> None:
        if self.rank != 0:
            return
        weights, state = self._paths(tag)
        extra = {
            "step": self.step,
            "samples_seen": self.samples_seen,
            "metrics": metrics or {},
            "best": self.best,
        }
        save_checkpoint(
            weights, self.model, self.task.charset, to_dict(self.cfg), extra, state_dict=state_dict
        )
        if tag == "latest":
            opt_state = self.optimizer.state_dict()
            if self.cfg.Global.compact_state:  # moments are restored to fp32 by load_state_dict
                opt_state["state"] = {
                    i: {
                        k: v.to(torch.bfloat16) if torch.is_tensor(v) and v.ndim > 0 else v
                        for k, v in st.items()
                    }
                    for i, st in opt_state["state"].items()
                }
            train_state = {
                "optimizer": opt_state,
                "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict(),
                "step": self.step,
                "samples_seen": self.samples_seen,
                "best": self.best,
                "torch_rng": torch.get_rng_state(),
                "ema": self._ema_state_to_save(),
            }
            tmp = state.with_suffix(".tmp")
            torch.save(train_state, tmp)
            tmp.replace(state)

    def _ema_state_to_save(self) -> dict[str, torch.Tensor] | None:
        if self.ema is None:
            return None
        if not self.cfg.Global.compact_state:
            return self.ema.state
        return {k: v.to(torch.bfloat16) for k, v in self.ema.state.items()}

    def _resume(self, path: Path) -> None:
        weights = path / "latest.safetensors" if path.is_dir() else path
        state_path = weights.with_name(weights.name.replace(".safetensors", "_state.pt"))
        if not weights.is_file() or not state_path.is_file():
            raise ConfigError(f"cannot resume: {weights} or {state_path} missing")
        meta = read_metadata(weights)
        if meta["model_name"] != self.cfg.Model.name:
            raise ConfigError(
                f"cannot resume: checkpoint is {meta['model_name']}, config is {self.cfg.Model.name}"
            )
        model, _ = load_checkpoint(weights)
        self.model.load_state_dict(model.state_dict())
        st = torch.load(state_path, map_location="cpu", weights_only=True)
        self.optimizer.load_state_dict(st["optimizer"])
        self.scheduler.load_state_dict(st["scheduler"])
        self.scaler.load_state_dict(st["scaler"])
        self.step, self.samples_seen, self.best = st["step"], st["samples_seen"], st["best"]
        self._rng_state = {"torch": st["torch_rng"]}
        if self.ema and st.get("ema"):
            self.ema.state = {k: v.float() for k, v in st["ema"].items()}  # bf16 if compact
        log.info("resumed from %s at step %d", weights, self.step)

    # --- evaluation ---------------------------------------------------------------------
    def evaluate(self) -> dict[str, Any]:
        if not self.cfg.Eval.sources:
            return {}
        t0 = time.time()
        metrics = dict(self.task.evaluate(self.model, self.device, self.memory_format))
        if self.ema:
            live = copy.deepcopy(self.model.state_dict())
            self.model.load_state_dict({k: v.to(live[k].dtype) for k, v in self.ema.state.items()})
            ema_m = self.task.evaluate(self.model, self.device, self.memory_format)
            self.model.load_state_dict(live)
            metrics.update({f"ema_{k}": v for k, v in ema_m.items()})
        metrics["eval_seconds"] = round(time.time() - t0, 1)
        return metrics

    def _maybe_save_best(self, metrics: dict[str, Any]) -> None:
        key = self.task.main_metric
        candidates = [(metrics.get(key, -1), "live")]
        if self.ema:
            candidates.append((metrics.get(f"ema_{key}", -1), "ema"))
        value, which = max(candidates)
        if value >= self.best.get(key, -1):
            self.best = {key: value, "step": self.step, "weights": which}
            sd = self.ema.state if which == "ema" and self.ema else None
            self.save("best", metrics, state_dict=sd)

    # --- main loop ----------------------------------------------------------------------
    def _loader(self) -> torch.utils.data.DataLoader:
        cfg = self.cfg
        sources = self.task.sources(cfg.Train.sources)
        if not sources:
            raise ConfigError("Train.sources is empty")
        weights = [float(s.get("weight", 1.0)) for s in cfg.Train.sources]
        accum = cfg.Global.accumulation_steps
        stream = BatchStream(
            sources,
            weights,
            self.task.batcher.prepare,
            self.task.batcher.collate,
            cfg.Train.loader.batch_size,
            seed=cfg.Global.seed * 1000 + self.rank,
            start_batch=self.step * accum,
            sort_group=cfg.Train.loader.sort_group,
            sort_key=getattr(self.task.batcher, "sort_key", None),
        )
        nw = cfg.Train.loader.num_workers
        return torch.utils.data.DataLoader(
            stream,
            batch_size=None,
            num_workers=nw,
            persistent_workers=nw > 0,
            prefetch_factor=4 if nw else None,
            generator=torch.Generator().manual_seed(cfg.Global.seed),
            worker_init_fn=_leave_signals_to_main if nw else None,
        )

    def _on_signal(self, signum: int, _frame: Any) -> None:
        log.info("signal %d: saving and stopping after this step", signum)
        self._stop = True

    def _fit_steps(self, per_step: float, elapsed: float) -> int:
        """Set ``max_steps`` (and so the LR schedule's end) to the steps that fit in the time
        left at ``per_step`` seconds a step, less 5% and the evaluations' share."""
        g = self.cfg.Global
        steps = 0.95 * (g.max_minutes * 60 - elapsed) / per_step
        if g.eval_every:  # assume an evaluation costs about 50 steps
            steps /= 1 + 50 / g.eval_every
        plan = torch.tensor([self.step + max(1, int(steps))])
        if self.world > 1:  # every rank must stop at the same step: rank 0's plan wins
            torch.distributed.broadcast(plan, src=0)
        g.max_steps = int(plan)
        log.info(
            "%.3f s/step: max_steps set to %d to end within the time limit", per_step, g.max_steps
        )
        return g.max_steps

    def _next_batch(self, batches: Any) -> dict[str, Any] | None:
        """The next batch, or None when a loader worker died of the signal that stops training
        (a worker still starting up has not yet set itself to ignore it)."""
        try:
            return next(batches)
        except RuntimeError:
            if not self._stop:
                raise
            log.info("a loader worker died of the stop signal")
            return None

    def fit(self, until_step: int | None = None) -> dict[str, Any]:
        """Train to ``Global.max_steps`` (or stop early at ``until_step``, keeping the schedule)."""
        cfg, g = self.cfg, self.cfg.Global
        last_step = min(g.max_steps, until_step) if until_step else g.max_steps
        if self.rank == 0:
            (self.out / "config.yml").write_text(dump_yaml(cfg), encoding="utf-8")
        old = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        batches = iter(self._loader())
        if self._rng_state:
            torch.set_rng_state(self._rng_state["torch"])
        n_params = sum(p.numel() for p in self.model.parameters())
        log.info(
            "model %s (%.2fM params) on %s, precision %s, %s, batch %d x accum %d, from step %d to %d",
            cfg.Model.name,
            n_params / 1e6,
            self.device,
            self.precision,
            "channels_last" if g.channels_last else "contiguous",
            cfg.Train.loader.batch_size,
            g.accumulation_steps,
            self.step,
            g.max_steps,
        )
        metrics_file = (
            (self.out / "metrics.jsonl").open("a", encoding="utf-8") if self.rank == 0 else None
        )
        t_start = t_log = t_save = time.time()
        seen_at_log = self.samples_seen
        timer = (
            StepTimer(self.step, g.max_minutes, by_time=self.world == 1)
            if g.fit_steps_to_minutes and g.max_minutes
            else None
        )
        smooth: dict[str, float] = {}
        last_metrics: dict[str, Any] = {}
        self.net.train()
        try:
            while self.step < last_step and not self._stop:
                self.optimizer.zero_grad(set_to_none=True)
                for _ in range(g.accumulation_steps):
                    batch = self._next_batch(batches)
                    if batch is None:
                        break
                    batch = self._to_device(batch)
                    with self._autocast():
                        losses = self.task.compute_loss(self.net, batch)
                    self.scaler.scale(losses["loss"] / g.accumulation_steps).backward()
                    self.samples_seen += batch["size"] * self.world
                if batch is None:
                    break
                if g.grad_clip > 0:
                    self.scaler.unscale_(self.optimizer)
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), g.grad_clip)
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.scheduler.step()
                self.step += 1
                if self.ema:
                    self.ema.update(self.model)
                for k, v in losses.items():
                    fv = float(v.detach())
                    smooth[k] = 0.9 * smooth.get(k, fv) + 0.1 * fv
                now = time.time()
                if timer and (per_step := timer.seconds_per_step(self.step, now)) is not None:
                    planned = self._fit_steps(per_step, now - t_start)
                    last_step = min(planned, until_step) if until_step else planned
                    timer.planned(self.step, planned)
                if self.rank == 0 and (self.step % g.log_every == 0 or self.step == g.max_steps):
                    rate = (self.samples_seen - seen_at_log) / max(now - t_log, 1e-6)
                    eta = (g.max_steps - self.step) * (now - t_log) / g.log_every
                    rec = {
                        "step": self.step,
                        "lr": self.scheduler.get_last_lr()[0],
                        "samples_per_s": round(rate, 1),
                        "samples_seen": self.samples_seen,
                        **{k: round(v, 4) for k, v in smooth.items()},
                    }
                    log.info(
                        "step %d/%d %s lr %.2e %.1f samples/s eta %.0f min",
                        self.step,
                        g.max_steps,
                        " ".join(f"{k} {v:.4f}" for k, v in smooth.items()),
                        rec["lr"],
                        rate,
                        eta / 60,
                    )
                    metrics_file.write(json.dumps(rec) + "\n")  # type: ignore[union-attr]
                    metrics_file.flush()  # type: ignore[union-attr]
                    t_log, seen_at_log = now, self.samples_seen
                if g.eval_every and self.step % g.eval_every == 0 and self.rank == 0:
                    last_metrics = self.evaluate()
                    if timer:
                        timer.exclude(last_metrics.get("eval_seconds", 0.0))
                    if last_metrics:
                        log.info("eval step %d: %s", self.step, json.dumps(last_metrics))
                        metrics_file.write(
                            json.dumps({"step": self.step, "eval": last_metrics}) + "\n"
                        )  # type: ignore[union-attr]
                        self._maybe_save_best(last_metrics)
                        t_log = time.time()
                if now - t_save > g.save_every_minutes * 60:
                    self.save("latest")
                    t_save = now
                if g.max_minutes and now - t_start > g.max_minutes * 60:
                    log.info("time limit %.1f min reached", g.max_minutes)
                    break
        finally:
            self.save("latest")
            for s, h in old.items():
                signal.signal(s, h)
            if metrics_file:
                metrics_file.close()
        if (
            self.step >= g.max_steps
            and self.rank == 0
            and self.cfg.Eval.sources
            and g.eval_every
            and self.step % g.eval_every
        ):
            last_metrics = self.evaluate()
            log.info("final eval step %d: %s", self.step, json.dumps(last_metrics))
            self._maybe_save_best(last_metrics)
        return {
            "step": self.step,
            "samples_seen": self.samples_seen,
            "metrics": last_metrics,
            "best": self.best,
        }


def train(cfg: TrainConfig) -> dict[str, Any]:
    trainer = Trainer(cfg)
    try:
        return trainer.fit()
    finally:
        if trainer.world > 1:
            torch.distributed.destroy_process_group()
