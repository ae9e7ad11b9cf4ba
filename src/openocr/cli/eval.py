"""`openocr eval det|rec|e2e`: evaluate torch or ONNX models on a labelled dataset."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ._common import add_lexicon_arg, add_tilted_words_arg, lexicon_from_args


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="evaluate models on a dataset (det P/R/H, rec accuracy, e2e char F1)",
        description="Datasets: a folder with images/ + labels.tsv (rec) or labels.jsonl (det, e2e).",
    )
    p.add_argument("task", choices=["det", "rec", "e2e"])
    p.add_argument("--data", required=True, nargs="+", help="one or more dataset folders")
    p.add_argument("--model", help="det or rec model file (.onnx or .safetensors) for det/rec")
    p.add_argument(
        "--det-model",
        help="detector for e2e (default: shipped model); 'gt' reads the ground-truth boxes, "
        "which measures the recognizer's share of the end-to-end error",
    )
    p.add_argument("--rec-model", help="recognizer for e2e (default: shipped model)")
    p.add_argument("--backend", choices=["onnx", "torch"], default=None)
    p.add_argument(
        "--protocol",
        choices=["auto", "standard", "exact"],
        default="auto",
        help="rec: standard = case-insensitive [0-9a-z] word accuracy; exact = full string; "
        "auto = standard for Latin-script labels, else exact (Chinese)",
    )
    p.add_argument("--drop-score", type=float, default=0.5, help="e2e: drop lines below this score")
    p.add_argument(
        "--max-samples", type=int, default=0, help="evaluate only the first N items (0 = all)"
    )
    add_tilted_words_arg(p)  # rec only
    add_lexicon_arg(p)
    p.add_argument("--json", dest="json_out", help="write the results as JSON to this file")
    p.set_defaults(func=run)


def _default_model(task: str, backend: str | None) -> str:
    from ..weights import default_models

    det, rec = default_models("mobile", backend or "onnx")
    return str(det if task == "det" else rec)


def print_table(results: dict[str, dict[str, object]]) -> None:
    keys = sorted({k for r in results.values() for k in r if isinstance(r[k], (int, float))})
    width = max(len(n) for n in results) + 2
    print("dataset".ljust(width) + "".join(k[:14].rjust(15) for k in keys))
    for name, r in results.items():
        cells = [f"{r[k]:.4f}" if isinstance(r.get(k), float) else str(r.get(k, "")) for k in keys]
        print(name.ljust(width) + "".join(c.rjust(15) for c in cells))


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..eval.evaluate import evaluate_det, evaluate_e2e, evaluate_rec

    results = {}
    for data in args.data:
        name = Path(data).name
        if args.task == "rec":
            model = args.model or _default_model("rec", args.backend)
            results[name] = evaluate_rec(
                model,
                data,
                args.protocol,
                args.backend,
                args.max_samples,
                tilted=args.tilted_words,
                lexicon=lexicon_from_args(args),
            )
        elif args.task == "det":
            model = args.model or _default_model("det", args.backend)
            results[name] = evaluate_det(model, data, args.backend, args.max_samples)
        else:
            if args.model:
                raise ConfigError("e2e takes --det-model and --rec-model, not --model")
            results[name] = evaluate_e2e(
                args.det_model or _default_model("det", args.backend),
                args.rec_model or _default_model("rec", args.backend),
                data,
                args.backend,
                args.max_samples,
                args.drop_score,
                lexicon=lexicon_from_args(args),
            )
    print_table(results)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0
