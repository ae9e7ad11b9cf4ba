"""Benchmark the model zoo: params, GFLOPs, ONNX size, CPU latency (torch and onnxruntime).

Usage (the numbers in docs/models.md were produced with exactly this):

    python benchmarks/bench_models.py --threads 2 --json benchmarks/results_models.json

Random weights (latency does not depend on them). Latency = median of ``--runs`` timed calls
after ``--warmup`` calls, batch 1, fp32, re-parameterised eval models, on the same inputs for
both runtimes. GFLOPs come from ``torch.utils.flop_counter.FlopCounterMode`` (conv, linear,
matmul; one multiply-add = 2 FLOPs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

# (label, registry name, kwargs, input sizes as (H, W))
MODELS = [
    ("repsvtr (en, 96 classes)", "repsvtr", {"num_classes": 96}, [(48, 320), (48, 640)]),
    ("repsvtr (6625 classes)", "repsvtr", {"num_classes": 6625}, [(48, 320), (48, 640)]),
    ("svtrv2 (6625 classes)", "svtrv2", {"num_classes": 6625}, [(48, 320), (48, 640)]),
    ("repvit_db", "repvit_db", {}, [(640, 640), (960, 960)]),
]


def _median_ms(fn, warmup: int, runs: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def bench(threads: int, warmup: int, runs: int, only: str | None) -> list[dict]:
    import numpy as np
    import onnxruntime as ort
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from openocr.export_onnx import export_onnx
    from openocr.models import create_model
    from openocr.models.reparam import reparameterize

    torch.set_num_threads(threads)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, name, kwargs, sizes in MODELS:
            if only and only not in name:
                continue
            torch.manual_seed(0)
            model = create_model(name, **kwargs)
            n_train = sum(p.numel() for p in model.parameters())
            onnx_path = export_onnx(model, Path(tmp) / f"{name}.onnx")
            deploy = reparameterize(model)
            n_fused = sum(p.numel() for p in deploy.parameters())
            sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
            row = {
                "model": label,
                "name": name,
                "kwargs": kwargs,
                "params": n_train,
                "params_fused": n_fused,
                "onnx_mb": round(os.path.getsize(onnx_path) / 1e6, 2),
                "sizes": {},
            }
            for h, w in sizes:
                x = torch.rand(1, 3, h, w) * 2 - 1
                xn = x.numpy()
                with torch.inference_mode():
                    with FlopCounterMode(display=False) as fc:
                        out = deploy(x)
                    torch_ms = _median_ms(lambda x=x, m=deploy: m(x), warmup, runs)
                ort_out = sess.run(None, {"input": xn})[0]
                ort_ms = _median_ms(lambda xn=xn, s=sess: s.run(None, {"input": xn}), warmup, runs)
                row["sizes"][f"{h}x{w}"] = {
                    "gflops": round(fc.get_total_flops() / 1e9, 2),
                    "output": list(out.shape),
                    "torch_ms": round(torch_ms, 1),
                    "ort_ms": round(ort_ms, 1),
                    "max_abs_diff": float(np.abs(ort_out - out.numpy()).max()),
                }
                print(label, h, w, row["sizes"][f"{h}x{w}"], flush=True)
            results.append(row)
    return results


def to_markdown(results: list[dict]) -> str:
    lines = [
        "| model | params (train) | params (fused) | ONNX MB | input | GFLOPs | torch ms | ORT ms |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r in results:
        for i, (size, s) in enumerate(r["sizes"].items()):
            head = (
                f"| {r['model']} | {r['params']:,} | {r['params_fused']:,} | {r['onnx_mb']} "
                if i == 0
                else "| | | | "
            )
            lines.append(f"{head}| {size} | {s['gflops']} | {s['torch_ms']} | {s['ort_ms']} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--only", help="substring of a registry name to benchmark just that model")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = ap.parse_args()
    import onnxruntime
    import torch

    env = {
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "threads": args.threads,
        "runs": args.runs,
    }
    results = bench(args.threads, args.warmup, args.runs, args.only)
    print()
    print(json.dumps(env))
    print(to_markdown(results))
    if args.json:
        args.json.write_text(json.dumps({"env": env, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
