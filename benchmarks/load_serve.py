"""Load benchmark for ``openocr serve`` (not a test): a bounded load from this process against a
server subprocess on loopback.

For each client count (default 1, 4, 16) it runs closed-loop clients for ``--duration`` seconds:
each client alternates ``POST /v1/ocr`` (the bundled receipt photo) and ``POST /v1/rec`` (8 line
strips of the receipt), honouring ``Retry-After`` on 503. Reports throughput, p50/p95/p99
latency, status counts (5xx other than the deliberate 503s must be zero) and the server's
resident memory at start and end of each phase.

Usage (the numbers in docs/service.md came from exactly this):

    python benchmarks/load_serve.py --clients 1 4 16 --duration 15 --json benchmarks/results_serve.json

Models: ``--det-model/--rec-model``, or by default the real architectures (``repvit_db``
detector, ``repsvtr`` recognizer, English charset) exported to ONNX with random weights:
latency depends on shapes, not weights. A random detector finds no boxes, which is why the
recognizer is loaded through ``/v1/rec`` with real line strips.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from importlib import resources
from pathlib import Path

import httpx
import numpy as np
from PIL import Image


def export_models(out: Path) -> tuple[Path, Path]:
    import torch

    from openocr.charset import Charset
    from openocr.export_onnx import export_onnx
    from openocr.models.registry import create_model

    torch.manual_seed(0)
    en = Charset.load("en")
    det = export_onnx(create_model("repvit_db").eval(), out / "det.onnx")
    rec = export_onnx(
        create_model("repsvtr", num_classes=en.num_classes).eval(), out / "rec.onnx", charset=en
    )
    return det, rec


def payloads() -> tuple[bytes, list[bytes]]:
    path = resources.files("openocr.assets").joinpath("examples", "receipt.png")
    data = path.read_bytes()
    img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    strips = []
    for k in range(8):  # item lines of the receipt, ~30 px apart
        y = 250 + 30 * k
        buf = io.BytesIO()
        Image.fromarray(img[y : y + 36, 60:460]).save(buf, "PNG")
        strips.append(buf.getvalue())
    return data, strips


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client_loop(base: str, stop: float, page: bytes, strips: list[bytes], out: list) -> None:
    files_rec = [("files", (f"l{i}.png", s, "image/png")) for i, s in enumerate(strips)]
    with httpx.Client(base_url=base, timeout=60) as c:
        k = 0
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            if k % 2 == 0:
                r = c.post("/v1/ocr", content=page, headers={"content-type": "image/png"})
                kind = "ocr"
            else:
                r = c.post("/v1/rec", files=files_rec)
                kind = "rec"
            out.append((kind, r.status_code, time.perf_counter() - t0))
            k += 1
            if r.status_code == 503:
                time.sleep(float(r.headers.get("retry-after", "1")))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return float(np.percentile(values, q))


def run_phase(base: str, pid: int, clients: int, duration: float, page: bytes, strips) -> dict:
    rss0 = rss_mb(pid)
    results: list = []
    stop = time.monotonic() + duration
    threads = [
        threading.Thread(target=client_loop, args=(base, stop, page, strips, results))
        for _ in range(clients)
    ]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ok = [lat for _, s, lat in results if s == 200]
    statuses = Counter(s for _, s, _ in results)
    by_kind = {
        kind: {
            "n": len(lats),
            "p50_ms": pct(lats, 50) * 1000,
            "p95_ms": pct(lats, 95) * 1000,
            "p99_ms": pct(lats, 99) * 1000,
        }
        for kind in ("ocr", "rec")
        for lats in [[lat for k, s, lat in results if k == kind and s == 200]]
    }
    return {
        "clients": clients,
        "seconds": wall,
        "requests": len(results),
        "ok_per_s": len(ok) / wall,
        "p50_ms": pct(ok, 50) * 1000,
        "p95_ms": pct(ok, 95) * 1000,
        "p99_ms": pct(ok, 99) * 1000,
        "by_endpoint": by_kind,
        "status": dict(statuses),
        "server_5xx_not_503": sum(n for s, n in statuses.items() if s >= 500 and s != 503),
        "rss_start_mb": rss0,
        "rss_end_mb": rss_mb(pid),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--duration", type=float, default=15.0, help="seconds per client count")
    ap.add_argument("--det-model")
    ap.add_argument("--rec-model")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--queue-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads per model")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()

    page, strips = payloads()
    with tempfile.TemporaryDirectory() as tmp:
        if args.det_model and args.rec_model:
            det, rec = Path(args.det_model), Path(args.rec_model)
        else:
            det, rec = export_models(Path(tmp))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "openocr.cli.main", "serve", "--det-model", str(det),
               "--rec-model", str(rec), "--port", str(port), "--workers", str(args.workers),
               "--queue-size", str(args.queue_size), "--threads", str(args.threads),
               "--log-level", "warning"]  # fmt: skip
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        env.pop("OPENOCR_API_KEY", None)
        server = subprocess.Popen(cmd, env=env)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(base + "/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("server did not start")
                time.sleep(0.2)
            rss_ready = rss_mb(server.pid)
            phases = []
            for n in args.clients:
                phase = run_phase(base, server.pid, n, args.duration, page, strips)
                phases.append(phase)
                print(
                    f"{n:3d} clients: {phase['ok_per_s']:6.2f} req/s  p50 {phase['p50_ms']:7.1f} ms"
                    f"  p95 {phase['p95_ms']:7.1f}  p99 {phase['p99_ms']:7.1f}  status {phase['status']}"
                    f"  RSS {phase['rss_start_mb']:.0f} -> {phase['rss_end_mb']:.0f} MB",
                    flush=True,
                )
            healthy = httpx.get(base + "/healthz").status_code == 200
        finally:
            server.terminate()
            server.wait(10)
    result = {
        "command": " ".join(["python", "benchmarks/load_serve.py", *sys.argv[1:]]),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "server": {"workers": args.workers, "queue_size": args.queue_size, "threads": args.threads},
        "models": "given" if args.det_model else "repvit_db + repsvtr (random weights, ONNX)",
        "rss_ready_mb": rss_ready,
        "healthy_after": healthy,
        "phases": phases,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "phases"}))
    bad = sum(p["server_5xx_not_503"] for p in phases)
    return 0 if healthy and bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
