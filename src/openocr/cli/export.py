"""`openocr export CHECKPOINT --out model.onnx`: reparameterized ONNX export + parity check."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a checkpoint to ONNX (reparameterized, opset 17)",
        description="Export a training checkpoint (.safetensors) to ONNX with dynamic batch/width "
        "(det: height/width) and the charset/config in the metadata; then check that "
        "ONNX Runtime agrees with torch within --atol.",
    )
    p.add_argument(
        "checkpoint", help="checkpoint written by 'openocr train' (e.g. runs/x/best.safetensors)"
    )
    p.add_argument("--out", "-O", required=True, help="output .onnx path")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument(
        "--atol", type=float, default=1e-4, help="parity tolerance (torch vs onnxruntime)"
    )
    p.add_argument("--no-check", action="store_true", help="skip the parity check")
    p.add_argument(
        "--fp16-weights",
        action="store_true",
        help="store the ONNX weights as float16 (half the size; ONNX Runtime still computes "
        "in float32); the parity check compares with the fp16-rounded torch model",
    )
    p.add_argument(
        "--fp16-checkpoint", metavar="PATH", help="also write an fp16 copy of the checkpoint"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import torch

    from ..checkpoint import load_checkpoint, save_checkpoint
    from ..export_onnx import FP16_ATOL, export_onnx, verify_export

    model, meta = load_checkpoint(args.checkpoint)
    out = export_onnx(
        model,
        args.out,
        charset=meta["charset"],
        config=meta["config"],
        opset=args.opset,
        fp16_weights=args.fp16_weights,
    )
    print(f"wrote {out} ({Path(out).stat().st_size / 1e6:.1f} MB)")
    if not args.no_check:
        diff, fp16_diff = verify_export(model, out, args.atol, args.fp16_weights)
        print(f"parity ok: max |torch - onnxruntime| = {diff:.2e} (atol {args.atol})")
        if fp16_diff is not None:
            print(f"fp16 vs fp32 weights: max difference {fp16_diff:.2e} (atol {FP16_ATOL})")
    if args.fp16_checkpoint:
        save_checkpoint(
            args.fp16_checkpoint,
            model,
            meta["charset"],
            meta["config"],
            meta["extra"],
            dtype=torch.float16,
        )
        print(f"wrote {args.fp16_checkpoint}")
    return 0
