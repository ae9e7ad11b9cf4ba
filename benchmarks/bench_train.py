"""Training-step throughput (forward + backward + AdamW step) on this machine.

    python benchmarks/bench_train.py --model repsvtr --size 48x320 --batch 64
    python benchmarks/bench_train.py --model repvit_db --size 640x640 --batch 8

Prints img/s for fp32, bf16 autocast, and bf16 + channels_last.
"""

from __future__ import annotations

import argparse
import time

import torch

from openocr.models.registry import create_model


def bench(
    model_name: str,
    h: int,
    w: int,
    batch: int,
    precision: str,
    channels_last: bool,
    steps: int,
    classes: int,
) -> float:
    kwargs = {"num_classes": classes} if model_name.startswith(("repsvtr", "svtr")) else {}
    model = create_model(model_name, **kwargs).train()
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randn(batch, 3, h, w).contiguous(memory_format=fmt)
    ctx = (
        torch.autocast("cpu", dtype=torch.bfloat16)
        if precision == "bf16"
        else torch.autocast("cpu", enabled=False)
    )
    times = []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        with ctx:
            out = model(x)
        loss = out.float().mean()
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if i:  # first step is warm-up
            times.append(time.perf_counter() - t0)
    return batch / (sum(times) / len(times))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="repsvtr")
    ap.add_argument("--size", default="48x320")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--classes", type=int, default=96)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--modes", default="fp32,bf16,bf16+cl")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    h, w = map(int, a.size.split("x"))
    for mode in a.modes.split(","):
        rate = bench(
            a.model,
            h,
            w,
            a.batch,
            "bf16" if "bf16" in mode else "fp32",
            mode.endswith("+cl"),
            a.steps,
            a.classes,
        )
        print(f"{a.model} {a.size} batch {a.batch} {mode:8s} {rate:7.1f} img/s", flush=True)


if __name__ == "__main__":
    main()
