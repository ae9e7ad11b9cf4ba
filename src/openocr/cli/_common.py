"""Options and output helpers shared by the ``ocr``, ``det`` and ``rec`` subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def add_input_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "inputs", nargs="*", metavar="INPUT", help="image/PDF files, folders or glob patterns"
    )
    p.add_argument(
        "--input_path",
        "--input-path",
        dest="input_path",
        action="append",
        default=[],
        help=argparse.SUPPRESS,
    )
    p.add_argument("-r", "--recursive", action="store_true", help="descend into sub-folders")
    p.add_argument(
        "--no-exif", dest="exif", action="store_false", help="ignore EXIF orientation tags"
    )


def _side_len(value: str) -> int:
    """argparse type: a detector input size of at least 32 pixels."""
    try:
        side = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
    if side < 32:
        raise argparse.ArgumentTypeError(f"must be at least 32, got {side}")
    return side


def add_model_args(p: argparse.ArgumentParser, det: bool, rec: bool) -> None:
    p.add_argument(
        "--mode", choices=("mobile", "server"), default="mobile", help="shipped model set"
    )
    p.add_argument(
        "--backend",
        choices=("onnx", "torch"),
        help="default: from the model files (onnx for .onnx)",
    )
    p.add_argument("--device", default="cpu", help="cpu | cuda (default: cpu)")
    p.add_argument("--threads", type=int, default=2, help="intra-op threads per model (default: 2)")
    if det:
        p.add_argument(
            "--det-model",
            "--onnx_det_model_path",
            dest="det_model",
            help="detector .onnx or checkpoint",
        )
        p.add_argument(
            "--det-box-type",
            "--det_box_type",
            dest="det_box_type",
            choices=("quad", "poly"),
            default="quad",
        )
        from ..postprocess.db import DBPostConfig as Post  # the engine's defaults, one place
        from ..preprocess.det import DetPreConfig

        p.add_argument(
            "--limit-side-len",
            type=_side_len,
            default=DetPreConfig.limit_side_len,
            help=f"detector input size (default {DetPreConfig.limit_side_len}): see --limit-type",
        )
        p.add_argument(
            "--limit-type",
            choices=("area", "max", "min"),
            default="area",
            help="area: shrink to at most a limit-side-len square's pixels (default; keeps tall "
            "receipts sharp); max: long side at most limit-side-len; min: short side at least",
        )
        p.add_argument(
            "--thresh", type=float, help=f"binarization threshold (default {Post.thresh})"
        )
        p.add_argument(
            "--box-thresh", type=float, help=f"box score threshold (default {Post.box_thresh})"
        )
        p.add_argument(
            "--unclip-ratio", type=float, help=f"box expansion (default {Post.unclip_ratio})"
        )
    if rec:
        p.add_argument(
            "--rec-model",
            "--onnx_rec_model_path",
            dest="rec_model",
            help="recognizer .onnx or checkpoint",
        )
        p.add_argument(
            "--lang",
            choices=("en", "ch"),
            default="en",
            help="shipped recognizer: en, or ch (Chinese + English)",
        )
        p.add_argument("--charset", help="override the recognizer charset: en | ch | path")
        p.add_argument(
            "--rec-batch-num", "--rec_batch_num", dest="rec_batch_num", type=int, default=6
        )
        add_lexicon_arg(p)


def add_lexicon_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lexicon",
        default="auto",
        help="word prior for unsure words: auto (the built-in word list of the charset: "
        "English for en, English and Chinese for ch), none (plain greedy CTC), or a word-list "
        "file (word[<TAB>zipf] per line)",
    )


def lexicon_from_args(args: argparse.Namespace) -> str | None:
    value = getattr(args, "lexicon", "auto")
    return None if value == "none" else value


def add_tilted_words_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--tilted-words",
        action="store_true",
        help="crops cut by axis-aligned boxes of rotated words (e.g. ICDAR2015 derived crops): "
        "re-read unsure short crops turned by +-12/24/36 degrees",
    )


def add_output_args(p: argparse.ArgumentParser, default_out: str) -> None:
    p.add_argument(
        "-o",
        "--out",
        "--output_path",
        dest="out",
        default=default_out,
        help=f"output folder (default: {default_out})",
    )
    p.add_argument("--vis", "--is_vis", dest="vis", action="store_true", help="save visualizations")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")


def det_overrides(args: argparse.Namespace) -> dict[str, Any]:
    kw = {"thresh": args.thresh, "box_thresh": args.box_thresh, "unclip_ratio": args.unclip_ratio}
    return {k: v for k, v in kw.items() if v is not None}


def all_inputs(args: argparse.Namespace) -> list[str]:
    inputs = list(args.inputs) + list(args.input_path)
    if not inputs:
        from ..errors import InputError

        raise InputError("no input given (pass image files, folders or glob patterns)")
    return inputs


def progress(items: Iterable[T], total: int, quiet: bool, desc: str) -> Iterator[T]:
    """A progress bar on an interactive terminal only (stderr), silent otherwise."""
    if quiet or total < 2 or not sys.stderr.isatty():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=desc, unit="img", file=sys.stderr, leave=False)


def report_error(err: Exception) -> None:
    print(f"openocr: error: {err}", file=sys.stderr)


def engine_from_args(args: argparse.Namespace, **overrides: Any) -> Any:
    """``OpenOCR`` from the model options of :func:`add_model_args` (plus ``overrides``)."""
    from ..api import OpenOCR

    kwargs: dict[str, Any] = {
        "mode": args.mode,
        "backend": args.backend,
        "drop_score": getattr(args, "drop_score", 0.5),
        "det_box_type": args.det_box_type,
        "device": args.device,
        "det_model": args.det_model,
        "rec_model": args.rec_model,
        "charset": args.charset,
        "lang": args.lang,
        "threads": args.threads,
        "rec_batch_num": args.rec_batch_num,
        "lexicon": lexicon_from_args(args),
    }
    if hasattr(args, "limit_side_len"):
        kwargs["det_limit_side_len"] = args.limit_side_len
        kwargs["det_limit_type"] = args.limit_type
    if hasattr(args, "reading_order"):
        kwargs["reading_order"] = args.reading_order
    return OpenOCR(**{**kwargs, **overrides})
