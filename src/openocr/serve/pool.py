"""A bounded worker pool: ``workers`` threads run jobs, at most ``queue_size`` more wait.

``await pool.run(fn, *args)`` raises ``PoolFull`` at once when every slot is taken, so the service
can answer 503 instead of piling requests up. A slot is released when the job finishes, not when
the awaiting request goes away, so a client that disconnects cannot make the backlog exceed the
bound.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class PoolFull(Exception):
    """Every worker is busy and the queue is full."""


class WorkerPool:
    """Threads for CPU-bound work (ONNX Runtime and OpenCV release the GIL).

    >>> import asyncio
    >>> pool = WorkerPool(workers=1, queue_size=2)
    >>> asyncio.run(pool.run(sum, [1, 2]))
    3
    >>> pool.shutdown()
    """

    def __init__(self, workers: int = 1, queue_size: int = 8) -> None:
        if workers < 1 or queue_size < 0:
            raise ValueError("workers must be >= 1 and queue_size >= 0")
        self.workers, self.queue_size = workers, queue_size
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="openocr-worker")
        self._lock = threading.Lock()
        self._pending = 0  # running + waiting
        self._running = 0

    @property
    def capacity(self) -> int:
        return self.workers + self.queue_size

    @property
    def pending(self) -> int:
        return self._pending

    @property
    def running(self) -> int:
        return self._running

    @property
    def queued(self) -> int:
        return max(self._pending - self._running, 0)

    def _job(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self._lock:
            self._running += 1
        try:
            return fn(*args)
        finally:
            with self._lock:
                self._running -= 1

    def _release(self, _: Future) -> None:
        with self._lock:
            self._pending -= 1

    def submit(self, fn: Callable[..., T], *args: Any) -> Future:
        """Queue ``fn(*args)``; raises ``PoolFull`` when ``capacity`` jobs are pending."""
        with self._lock:
            if self._pending >= self.capacity:
                raise PoolFull(f"{self._pending} requests in progress (limit {self.capacity})")
            self._pending += 1
        try:
            fut = self._executor.submit(self._job, fn, args)
        except BaseException:
            with self._lock:
                self._pending -= 1
            raise
        fut.add_done_callback(self._release)
        return fut

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self.submit(fn, *args))

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
