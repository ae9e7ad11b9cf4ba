"""``openocr rec``: text recognition of cropped line images.

Writes ``rec_results.txt`` to ``--out`` (default ``openocr_output/rec``), one line per image:
``<path>\\t<text>\\t<score with 3 decimals>``, and prints the same to stdout. Exit status 1 if
any input failed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    add_input_args,
    add_model_args,
    add_output_args,
    add_tilted_words_arg,
    all_inputs,
    lexicon_from_args,
    progress,
    report_error,
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "rec",
        help="recognize text in line crops",
        description=__doc__.split("\n\n")[0].replace("``", ""),
    )
    add_input_args(p)
    add_model_args(p, det=False, rec=True)
    add_tilted_words_arg(p)
    add_output_args(p, "openocr_output/rec")
    p.set_defaults(func=run)


def recognize_files(
    recognizer, inputs, out: Path, quiet: bool, recursive=False, exif=True, batch_size=None
) -> int:
    """Run ``recognizer`` (a RecPredictor) over inputs in chunks; write rec_results.txt; return #failures."""
    from ..io import expand_inputs, iter_pages

    sources = expand_inputs(inputs, recursive=recursive)
    out.mkdir(parents=True, exist_ok=True)
    failed, lines = 0, []
    chunk = max(64, batch_size or 0)
    names: list[str] = []
    images = []

    def flush() -> None:
        if not images:
            return
        outs, _ = recognizer(images, batch_size=batch_size)
        for name, res in zip(names, outs, strict=True):
            line = f"{name}\t{res.text}\t{res.score:.3f}"
            lines.append(line + "\n")
            if not quiet:
                print(line)
        names.clear()
        images.clear()

    for src in progress(sources, len(sources), quiet, "rec"):
        for item in iter_pages([src], exif=exif):
            if item.error is not None:
                failed += 1
                report_error(item.error)
                continue
            names.append(item.name if item.num_pages == 1 else f"{item.name}_{item.page_index}")
            images.append(item.image)
            if len(images) >= chunk:
                flush()
    flush()
    (out / "rec_results.txt").write_text("".join(lines), encoding="utf-8")
    return failed


def run(args: argparse.Namespace) -> int:
    from ..api import build_recognizer

    recognizer = build_recognizer(
        args.rec_model,
        mode=args.mode,
        backend=args.backend,
        device=args.device,
        threads=args.threads,
        charset=args.charset,
        batch_size=args.rec_batch_num,
        lang=args.lang,
        tilted_words=args.tilted_words,
        lexicon=lexicon_from_args(args),
    )
    failed = recognize_files(
        recognizer, all_inputs(args), Path(args.out), args.quiet, args.recursive, args.exif
    )
    return 1 if failed else 0


def config_main(argv: list[str] | None = None) -> int:
    """``python tools/infer_rec.py --c CONFIG --o Global.infer_img=PATH [Global.onnx_model_path=M]``.

    Reads ``Global.infer_img``, ``Global.onnx_model_path`` or ``Global.pretrained_model``,
    ``Global.device`` and ``Global.charset``; writes ``rec_results/rec_results.txt``.
    """
    from ..api import build_recognizer
    from ..errors import OpenOCRError
    from ._config_args import load_infer_config, model_and_backend

    try:
        _, g = load_infer_config(argv, "infer_rec.py")
        model, backend = model_and_backend(g)
        charset = g.get("charset") if backend == "torch" else None
        recognizer = build_recognizer(
            model, backend=backend, device=str(g.get("device", "cpu")), charset=charset
        )
        out = Path(g.get("save_res_path") or "rec_results")
        failed = recognize_files(recognizer, g["infer_img"], out, False)
    except OpenOCRError as e:
        report_error(e)
        return 2
    return 1 if failed else 0
