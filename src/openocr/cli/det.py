"""``openocr det``: text detection only.

Writes ``det_results.txt`` to ``--out`` (default ``openocr_output/det``), one line per image:
``<path>\\t[{"points": [[x, y], ...]}, ...]``; with ``--vis`` the boxes drawn in cyan under
``vis_results/``. ``--det-box-type poly`` returns polygons. Exit status 1 if any input failed.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ._common import (
    add_input_args,
    add_model_args,
    add_output_args,
    all_inputs,
    det_overrides,
    progress,
    report_error,
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "det", help="detect text boxes", description=__doc__.split("\n\n")[0].replace("``", "")
    )
    add_input_args(p)
    add_model_args(p, det=True, rec=False)
    add_output_args(p, "openocr_output/det")
    p.set_defaults(func=run)


def det_line(name: str, boxes) -> str:
    items = [{"points": [[int(x), int(y)] for x, y in box]} for box in boxes]
    return f"{name}\t{json.dumps(items)}\n"


def detect_files(
    detector, inputs, out: Path, vis: bool, quiet: bool, recursive=False, exif=True, **overrides
) -> int:
    """Run ``detector`` (a DetPredictor) over inputs; write det_results.txt; return #failures."""
    from ..io import expand_inputs, iter_pages
    from ..postprocess.order import sort_boxes
    from ..viz import draw_boxes, save_image

    sources = expand_inputs(inputs, recursive=recursive)
    out.mkdir(parents=True, exist_ok=True)
    failed, lines = 0, []
    for src in progress(sources, len(sources), quiet, "det"):
        for item in iter_pages([src], exif=exif):
            if item.error is not None:
                failed += 1
                report_error(item.error)
                continue
            res = detector(item.image, **overrides)
            boxes = [res.boxes[i] for i in sort_boxes(res.boxes)]
            name = item.name if item.num_pages == 1 else f"{item.name}_{item.page_index}"
            lines.append(det_line(name, boxes))
            if vis:
                stem = os.path.splitext(os.path.basename(item.name))[0]
                suffix = f"_{item.page_index}" if item.num_pages > 1 else ""
                (out / "vis_results").mkdir(exist_ok=True)
                save_image(
                    out / "vis_results" / f"{stem}{suffix}.png", draw_boxes(item.image, boxes)
                )
            if not quiet:
                print(f"{name}\t{len(boxes)} boxes")
    (out / "det_results.txt").write_text("".join(lines), encoding="utf-8")
    return failed


def run(args: argparse.Namespace) -> int:
    from ..api import build_detector
    from ..postprocess.db import DBPostConfig

    detector = build_detector(
        args.det_model,
        mode=args.mode,
        backend=args.backend,
        device=args.device,
        threads=args.threads,
        limit_side_len=args.limit_side_len,
        limit_type=args.limit_type,
        post=DBPostConfig(box_type=args.det_box_type),
    )
    failed = detect_files(
        detector,
        all_inputs(args),
        Path(args.out),
        args.vis,
        args.quiet,
        args.recursive,
        args.exif,
        **det_overrides(args),
    )
    return 1 if failed else 0


def config_main(argv: list[str] | None = None) -> int:
    """``python tools/infer_det.py --c CONFIG --o Global.infer_img=PATH [Global.onnx_model_path=M]``.

    Reads ``Global.infer_img``, ``Global.onnx_model_path`` or ``Global.pretrained_model``
    (checkpoint), ``Global.device``, ``Global.is_visualize`` and the ``PostProcess`` thresholds;
    writes ``det_results/det_results.txt`` (``Global.save_res_path`` overrides the folder).
    """
    from ..api import build_detector
    from ..errors import ConfigError, OpenOCRError
    from ..postprocess.db import DBPostConfig
    from ._config_args import load_infer_config, model_and_backend

    try:
        cfg, g = load_infer_config(argv, "infer_det.py")
        post_keys = (
            "thresh",
            "box_thresh",
            "unclip_ratio",
            "score_mode",
            "box_type",
            "max_candidates",
        )
        post = {k: v for k, v in (cfg.get("PostProcess") or {}).items() if k in post_keys}
        model, backend = model_and_backend(g)
        try:
            post_cfg = DBPostConfig(**post)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"PostProcess: {e}") from None
        detector = build_detector(
            model, backend=backend, device=str(g.get("device", "cpu")), post=post_cfg
        )
        out = Path(g.get("save_res_path") or "det_results")
        failed = detect_files(detector, g["infer_img"], out, bool(g.get("is_visualize")), False)
    except OpenOCRError as e:
        report_error(e)
        return 2
    return 1 if failed else 0
