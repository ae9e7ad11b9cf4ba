"""One config system: YAML presets -> typed dataclasses, with dotted command-line overrides.

Rules:
- A YAML file may name one parent with ``base: other.yml`` (relative to the file); the parent may
  not itself have a ``base`` (one level at most). The child deep-merges over the parent.
- Overrides are ``Section.key.sub=value`` strings; the value is parsed as YAML. Each key is
  deep-set on its own, so overrides sharing a prefix never clobber each other.
- Unknown keys are rejected with a message listing the valid ones. Fields typed ``dict`` accept
  free-form keys (e.g. model kwargs).
"""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .errors import ConfigError

T = TypeVar("T")


# --- generic machinery --------------------------------------------------------------------
def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML preset, resolving one level of ``base:`` inheritance."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    base = data.pop("base", None)
    if base is not None:
        base_path = (path.parent / base).resolve()
        parent = (
            yaml.safe_load(base_path.read_text(encoding="utf-8")) if base_path.is_file() else None
        )
        if parent is None:
            raise ConfigError(f"{path}: base {base!r} not found at {base_path}")
        if "base" in parent:
            raise ConfigError(f"{path}: base {base!r} has its own base; only one level is allowed")
        data = deep_merge(parent, data)
    return data


def deep_merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Recursively merge b over a (b wins), returning a new dict."""
    out = copy.deepcopy(a)
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def parse_override(item: str) -> tuple[list[str], Any]:
    """``'A.b.c=1'`` -> (['A','b','c'], 1). The value is parsed as YAML."""
    if "=" not in item:
        raise ConfigError(f"override {item!r} must look like Section.key=value")
    key, raw = item.split("=", 1)
    parts = key.strip().split(".")
    if not all(parts):
        raise ConfigError(f"override {item!r}: empty key part")
    try:
        value = yaml.safe_load(raw) if raw.strip() != "" else ""
    except yaml.YAMLError:
        value = raw
    return parts, value


def apply_overrides(data: dict[str, Any], overrides: list[str] | None) -> dict[str, Any]:
    """Deep-set each ``key.path=value`` independently into a copy of ``data``."""
    out = copy.deepcopy(data)
    for item in overrides or []:
        parts, value = parse_override(item)
        node: Any = out
        for depth, p in enumerate(parts):
            last = depth == len(parts) - 1
            if isinstance(node, list):  # list items by index: Train.sources.0.seed=3
                if not (p.isdigit() and int(p) < len(node)):
                    where = ".".join(parts[:depth])
                    raise ConfigError(
                        f"override {item!r}: {where} is a list of {len(node)}; "
                        f"use an index 0..{len(node) - 1}"
                    )
                p = int(p)
            elif not last and not isinstance(node.get(p), (dict, list)):
                node[p] = {}
            if last:
                node[p] = value
            else:
                node = node[p]
    return out


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _unwrap_optional(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def from_dict(cls: type[T], data: dict[str, Any] | None, where: str = "") -> T:
    """Build dataclass ``cls`` from a dict, rejecting unknown keys (recursively)."""
    data = data or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where or cls.__name__}: expected a mapping, got {type(data).__name__}")
    types_ = _field_types(cls)
    unknown = sorted(set(data) - set(types_))
    if unknown:
        raise ConfigError(
            f"unknown config key {where + '.' if where else ''}{unknown[0]}; "
            f"valid keys{' of ' + where if where else ''}: {', '.join(sorted(types_))}"
        )
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        tp = _unwrap_optional(types_[name])
        sub = f"{where}.{name}" if where else name
        if _is_dataclass_type(tp) and value is not None:
            kwargs[name] = from_dict(tp, value, sub)
        else:
            kwargs[name] = _coerce(value, tp, sub)
    return cls(**kwargs)


def _coerce(value: Any, tp: Any, where: str) -> Any:
    if value is None:
        return None
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is float and isinstance(value, str):  # YAML 1.1 reads "1e-4" as a string
        try:
            return float(value)
        except ValueError:
            pass
    if tp in (int, float, str, bool) and not isinstance(value, tp):
        if tp is str and isinstance(value, (int, float)):
            return str(value)
        raise ConfigError(f"config key {where}: expected {tp.__name__}, got {value!r}")
    return value


def to_dict(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj)


def load_config(
    cls: type[T], path: str | Path | None = None, overrides: list[str] | None = None
) -> T:
    """YAML preset (optional) + overrides -> validated dataclass ``cls``."""
    data = load_yaml(path) if path else {}
    data = apply_overrides(data, overrides)
    return from_dict(cls, data)


def dump_yaml(obj: Any) -> str:
    return yaml.safe_dump(to_dict(obj), sort_keys=False, allow_unicode=True)


# --- training config ----------------------------------------------------------------------
@dataclass
class GlobalConfig:
    task: str = "rec"  # rec | det
    output_dir: str = "runs/default"
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    seed: int = 48
    charset: str = "en"  # built-in name or dictionary path (rec only)
    precision: str = "auto"  # auto | fp32 | bf16 | fp16 (auto: train.loop.auto_precision)
    channels_last: bool = True
    num_threads: int = 0  # torch CPU threads; 0 = all cores
    max_steps: int = 1000
    max_minutes: float = 0.0  # stop (and save) after this wall time; 0 = no limit
    # with max_minutes: after 100 timed steps (or a tenth of the time), reset max_steps (and the
    # LR schedule's end) to the steps that fit in the time left: the schedule ends in time
    fit_steps_to_minutes: bool = False
    log_every: int = 20
    eval_every: int = 500
    save_every_minutes: float = 5.0
    grad_clip: float = 0.0
    accumulation_steps: int = 1
    ema_decay: float = 0.0  # 0 = off
    pretrained: str | None = None  # weights to fine-tune from (non-strict)
    resume: str | None = None  # run folder or latest checkpoint to resume exactly
    compact_state: bool = False  # optimizer moments and EMA in bf16 (for 64 MiB transfers)


@dataclass
class ModelConfig:
    name: str = "repsvtr"
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class OptimizerConfig:
    name: str = "AdamW"  # Adam | AdamW
    lr: float = 1e-3
    weight_decay: float = 0.05
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    filter_bias_and_norm: bool = True  # no weight decay on 1-D params, biases and no_decay names


@dataclass
class SchedulerConfig:
    name: str = "cosine"  # cosine | constant
    warmup_steps: int = 200
    min_lr_ratio: float = 0.0


@dataclass
class LoaderConfig:
    batch_size: int = 64
    num_workers: int = 1
    sort_group: int = 1  # rec: draw this many batches at once and batch similar widths together


@dataclass
class DataConfig:
    """Datasets are a weighted mix of sources; each source is a dict with ``type`` plus kwargs:
    ``synth`` (kwargs of the synthetic generator), ``label_file`` (data_dir, label_file),
    ``lmdb`` (path), ``eval_dir`` (our eval format folder), and an optional ``weight``."""

    sources: list[dict[str, Any]] = field(default_factory=list)
    transforms: dict[str, Any] = field(default_factory=dict)
    loader: LoaderConfig = field(default_factory=LoaderConfig)
    max_samples: int = 0  # eval: 0 = all


@dataclass
class TrainConfig:
    Global: GlobalConfig = field(default_factory=GlobalConfig)
    Model: ModelConfig = field(default_factory=ModelConfig)
    Optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    Scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    Train: DataConfig = field(default_factory=DataConfig)
    Eval: DataConfig = field(default_factory=DataConfig)
    Loss: dict[str, Any] = field(default_factory=dict)
    Metric: dict[str, Any] = field(default_factory=dict)
