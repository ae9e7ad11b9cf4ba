"""`openocr` console script: one parser, one subcommand module per verb."""

from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import OpenOCRError

# Each module exposes add_parser(subparsers) and run(args) -> int.
SUBCOMMANDS = ("ocr", "det", "rec", "export", "train", "eval", "synth", "demo", "serve")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="openocr",
        description="Text detection and recognition (Chinese and English), fast on CPU.",
    )
    parser.add_argument("--version", action="version", version=f"openocr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"openocr.cli.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"openocr.cli.{name}":
                continue  # subcommand not part of this build
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except OpenOCRError as e:
        print(f"openocr: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("openocr: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
