"""`openocr train -c CONFIG -o Key.sub=value ...`: train a recognizer or detector."""

from __future__ import annotations

import argparse
import json


def add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-c", "--config", required=True, help="YAML preset (configs/rec/*.yml, configs/det/*.yml)"
    )
    p.add_argument(
        "-o",
        "--opt",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="dotted overrides, e.g. Train.loader.batch_size=64 Global.device=cpu",
    )
    p.add_argument("--local_rank", "--local-rank", type=int, default=0, help=argparse.SUPPRESS)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a recognizer or detector from a YAML config",
        description="Train from a YAML config. Resume with -o Global.resume=RUN_DIR; "
        "fine-tune with -o Global.pretrained=WEIGHTS.safetensors.",
    )
    add_config_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..config import TrainConfig, load_config
    from ..train.loop import train

    cfg = load_config(TrainConfig, args.config, args.opt)
    result = train(cfg)
    print(json.dumps(result, default=str))
    return 0
