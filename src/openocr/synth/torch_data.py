"""torch ``IterableDataset`` wrappers (the only synth module that imports torch).

Each worker builds its own generator and draws from ``np.random.default_rng([seed, worker_id,
rank])``, so a (seed, worker) pair always yields the same stream. Images stay raw RGB uint8
(the trainer resizes, normalizes and builds targets).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from torch.utils.data import IterableDataset, get_worker_info


class _SynthDataset(IterableDataset):
    kind = "rec"

    def __init__(
        self,
        generator_kwargs: dict[str, Any] | None = None,
        seed: int = 0,
        rank: int = 0,
        length: int | None = None,
    ):
        super().__init__()
        self.generator_kwargs = dict(generator_kwargs or {})
        self.seed = int(seed)
        self.rank = int(rank)
        self.length = length  # per worker; None = endless

    def _make(self) -> Any:
        if self.kind == "rec":
            from .rec import RecLineGenerator

            return RecLineGenerator(**self.generator_kwargs)
        from .det import DetPageGenerator

        return DetPageGenerator(**self.generator_kwargs)

    def __iter__(self) -> Iterator[tuple[np.ndarray, Any]]:
        info = get_worker_info()
        wid = info.id if info is not None else 0
        gen = self._make()
        rng = np.random.default_rng([self.seed, wid, self.rank])
        n = 0
        while self.length is None or n < self.length:
            yield gen.sample(rng)
            n += 1


class SynthRecDataset(_SynthDataset):
    """Endless ``(rgb_uint8 HxWx3, label)`` text lines; kwargs go to ``RecLineGenerator``."""

    kind = "rec"


class SynthDetDataset(_SynthDataset):
    """Endless ``(rgb_uint8 HxWx3, [{"points", "text", "ignore"}, ...])`` pages; kwargs go to
    ``DetPageGenerator``."""

    kind = "det"
