"""``openocr ocr``: detection + recognition on images, folders, globs, PDFs.

Writes to ``--out`` (default ``openocr_output/ocr``): ``system_results.txt`` (the reference's
``<name>\\t<json>`` lines), ``results.jsonl`` (one Page per line; failed inputs as
``{"source", "error"}``), with ``--format`` ``txt`` one plain-text file per page under ``text/``,
and with ``--vis`` two-panel images under ``vis_results/``. Recognized text goes to stdout.
Exit status 1 if any input failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from pathlib import Path

from ._common import (
    add_input_args,
    add_model_args,
    add_output_args,
    all_inputs,
    det_overrides,
    engine_from_args,
    progress,
    report_error,
)

FORMATS = ("system", "jsonl", "txt")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "ocr",
        help="detect and recognize text",
        description=__doc__.split("\n\n")[0].replace("``", ""),
    )
    add_input_args(p)
    add_model_args(p, det=True, rec=True)
    add_output_args(p, "openocr_output/ocr")
    p.add_argument("--drop-score", "--drop_score", dest="drop_score", type=float, default=0.5)
    p.add_argument(
        "--format",
        default="system,jsonl",
        help=f"comma-separated outputs among {','.join(FORMATS)} (default: system,jsonl)",
    )
    p.add_argument("--reading-order", choices=("reference", "lines"), default="reference")
    p.set_defaults(func=run)


def build_engine(args: argparse.Namespace):
    return engine_from_args(args)


def run(args: argparse.Namespace) -> int:
    from ..api import reference_line, vis_name
    from ..io import expand_inputs

    formats = {f.strip() for f in args.format.split(",") if f.strip()}
    bad = formats - set(FORMATS)
    if bad:
        from ..errors import ConfigError

        raise ConfigError(f"unknown --format {sorted(bad)[0]!r}; choose from {', '.join(FORMATS)}")
    sources = expand_inputs(all_inputs(args), recursive=args.recursive)
    engine = build_engine(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    sys_lines: list[str] = []
    with contextlib.ExitStack() as stack:
        jsonl = (
            stack.enter_context(open(out / "results.jsonl", "w", encoding="utf-8"))
            if "jsonl" in formats
            else None
        )
        for src in progress(sources, len(sources), args.quiet, "ocr"):
            for item, page in engine.iter_ocr([src], exif=args.exif, **det_overrides(args)):
                if page is None:
                    failed += 1
                    report_error(item.error)
                    if jsonl:
                        jsonl.write(
                            json.dumps(
                                {"source": item.name, "error": str(item.error)}, ensure_ascii=False
                            )
                            + "\n"
                        )
                    continue
                line = reference_line(item, page)
                if line is not None:
                    sys_lines.append(line)
                if jsonl:
                    jsonl.write(page.to_json() + "\n")
                stem = os.path.splitext(os.path.basename(item.name))[0]
                suffix = f"_{item.page_index}" if item.num_pages > 1 else ""
                if "txt" in formats:
                    (out / "text").mkdir(exist_ok=True)
                    (out / "text" / f"{stem}{suffix}.txt").write_text(
                        page.text + "\n", encoding="utf-8"
                    )
                if args.vis:
                    engine.save_vis(out / "vis_results" / vis_name(item), item.image, page)
                if not args.quiet:
                    if len(sources) > 1 or item.num_pages > 1:
                        print(f"== {item.name}{suffix.replace('_', ' page ')} ==")
                    print(page.text)
    if "system" in formats:
        (out / "system_results.txt").write_text("".join(sys_lines), encoding="utf-8")
    return 1 if failed else 0


def legacy_main(argv: list[str] | None = None) -> int:
    """``python tools/infer_e2e.py --img_path=... [--save_dir=...] [--is_vis]`` (reference flags)."""
    from ..api import OpenOCR
    from ..errors import OpenOCRError

    p = argparse.ArgumentParser(prog="infer_e2e.py", description="OpenOCR system: det + rec")
    p.add_argument("--img_path", required=True)
    p.add_argument("--mode", choices=("mobile", "server"), default="mobile")
    p.add_argument("--backend", choices=("onnx", "torch"), default="onnx")
    p.add_argument("--onnx_det_model_path", "--det_model_path", dest="det_model")
    p.add_argument("--onnx_rec_model_path", "--rec_model_path", dest="rec_model")
    p.add_argument("--save_dir", default="e2e_results/")
    p.add_argument("--is_vis", action="store_true")
    p.add_argument("--drop_score", type=float, default=0.5)
    p.add_argument("--det_box_type", choices=("quad", "poly"), default="quad")
    p.add_argument("--use_gpu", choices=("auto", "true", "false"), default="false")
    p.add_argument("--device", choices=("cpu", "gpu", "cuda"), default=None)
    args = p.parse_args(argv)
    device = args.device or ("cuda" if args.use_gpu == "true" else "cpu")
    try:
        engine = OpenOCR(
            mode=args.mode,
            backend=args.backend,
            drop_score=args.drop_score,
            det_box_type=args.det_box_type,
            device=device,
            det_model=args.det_model,
            rec_model=args.rec_model,
        )
        results, _ = engine(args.img_path, save_dir=args.save_dir, is_visualize=args.is_vis)
    except OpenOCRError as e:
        report_error(e)
        return 2
    for line in results or []:
        print(line, end="")
    return 0
