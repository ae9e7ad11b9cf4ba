"""Prometheus text-format metrics without a client library: counters, a latency histogram per
endpoint, and gauges sampled at scrape time."""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable

BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def rss_bytes() -> int:
    """Resident memory of this process (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class Metrics:
    """Thread-safe request counters and latency histograms.

    >>> m = Metrics()
    >>> m.observe("/v1/ocr", 200, 0.2)
    >>> 'openocr_requests_total{endpoint="/v1/ocr",status="200"} 1' in m.render()
    True
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started = time.time()
        self.requests: dict[tuple[str, int], int] = defaultdict(int)
        self.hist: dict[str, list[int]] = {}
        self.sums: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.rejected = 0
        self.gauges: dict[str, tuple[str, Callable[[], float]]] = {}

    def observe(self, endpoint: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(endpoint, status)] += 1
            if status == 503:
                self.rejected += 1
            buckets = self.hist.setdefault(endpoint, [0] * len(BUCKETS))
            for i, b in enumerate(BUCKETS):
                if seconds <= b:
                    buckets[i] += 1
            self.sums[endpoint] += seconds
            self.counts[endpoint] += 1

    def gauge(self, name: str, help_text: str, fn: Callable[[], float]) -> None:
        self.gauges[name] = (help_text, fn)

    def render(self) -> str:
        out = [
            "# HELP openocr_requests_total HTTP requests by endpoint and status.",
            "# TYPE openocr_requests_total counter",
        ]
        with self._lock:
            for (ep, status), n in sorted(self.requests.items()):
                out.append(f'openocr_requests_total{{endpoint="{ep}",status="{status}"}} {n}')
            out += [
                "# HELP openocr_rejected_total Requests answered 503 (busy or not ready).",
                "# TYPE openocr_rejected_total counter",
                f"openocr_rejected_total {self.rejected}",
                "# HELP openocr_request_seconds Request latency.",
                "# TYPE openocr_request_seconds histogram",
            ]
            for ep, buckets in sorted(self.hist.items()):
                for b, n in zip(BUCKETS, buckets, strict=True):
                    out.append(f'openocr_request_seconds_bucket{{endpoint="{ep}",le="{b}"}} {n}')
                out.append(
                    f'openocr_request_seconds_bucket{{endpoint="{ep}",le="+Inf"}} {self.counts[ep]}'
                )
                out.append(f'openocr_request_seconds_sum{{endpoint="{ep}"}} {self.sums[ep]:.6f}')
                out.append(f'openocr_request_seconds_count{{endpoint="{ep}"}} {self.counts[ep]}')
        gauges = {
            "openocr_process_resident_memory_bytes": ("Resident memory.", lambda: rss_bytes()),
            "openocr_uptime_seconds": ("Seconds since start.", lambda: time.time() - self.started),
            **self.gauges,
        }
        for name, (help_text, fn) in gauges.items():
            out += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {fn():g}"]
        return "\n".join(out) + "\n"
