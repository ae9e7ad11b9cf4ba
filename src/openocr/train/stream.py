"""Deterministic batch streams: batch ``b`` is built from an RNG seeded by (seed, b), so a run
resumed at step k sees exactly the batches an uninterrupted run would have seen."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from .sources import SynthSource

log = logging.getLogger("openocr.train")


class BatchStream(torch.utils.data.IterableDataset):
    """Endless stream of collated batches drawn from a weighted mix of sources.

    Finite sources are read in a per-epoch permutation (epoch = sample slot // len), so a single
    label file is reshuffled every epoch; rejected samples are replaced by random draws.

    With ``sort_group`` G > 1 and a ``sort_key``, the samples of G consecutive batches are drawn
    together, sorted by the key (e.g. image width) and cut into G batches of similar samples.
    """

    def __init__(
        self,
        sources: list[Any],
        weights: list[float],
        prepare: Callable[..., Any],
        collate: Callable[[list[Any]], Any],
        batch_size: int,
        seed: int,
        start_batch: int = 0,
        sort_group: int = 1,
        sort_key: Callable[[Any], Any] | None = None,
    ):
        self.sources = sources
        self.probs = np.asarray(weights, np.float64) / float(np.sum(weights))
        self.prepare = prepare
        self.collate = collate
        self.batch_size = batch_size
        self.seed = seed
        self.start_batch = start_batch
        self.synth_errors = 0
        self.sort_group = max(1, int(sort_group)) if sort_key is not None else 1
        self.sort_key = sort_key
        self._group: tuple[int, list[Any]] | None = None

    def _finite_index(self, k: int, slot: int) -> int:
        n = len(self.sources[k])
        epoch, pos = divmod(slot, n)
        perm = np.random.default_rng([self.seed, k, epoch]).permutation(n)
        return int(perm[pos])

    def _sample(
        self, rng: np.random.Generator, slot: int, first_try: bool, reused: dict[int, list[Any]]
    ) -> Any:
        k = int(rng.choice(len(self.sources), p=self.probs))
        src = self.sources[k]
        if isinstance(src, SynthSource):
            if reused.get(k):  # copies of a sample rendered earlier in this draw
                raw = reused[k].pop()
                return self.prepare(raw[0], raw[1], rng)
            try:
                raw = src.sample(rng)
            except Exception as e:  # a generator bug must not kill a long run: skip the sample
                self.synth_errors += 1
                if self.synth_errors in (1, 10, 100, 1000):
                    log.warning("synthetic sample failed (%d so far): %r", self.synth_errors, e)
                return None
            reused[k] = [raw] * (src.reuse - 1)
        else:
            idx = self._finite_index(k, slot) if first_try else int(rng.integers(len(src)))
            raw = src.load(idx)
        if raw is None:
            return None
        return self.prepare(raw[0], raw[1], rng)

    def make_batch(self, b: int) -> Any:
        if self.sort_group == 1:
            return self.collate(self._draw(b, self.batch_size))
        g, i = divmod(b, self.sort_group)
        if self._group is None or self._group[0] != g:
            items = self._draw(g, self.batch_size * self.sort_group, salt=self.sort_group)
            items.sort(key=self.sort_key)
            self._group = (g, items)
        return self.collate(self._group[1][i * self.batch_size : (i + 1) * self.batch_size])

    def _draw(self, index: int, n: int, salt: int = 0) -> list[Any]:
        """``n`` valid samples from an RNG seeded by (seed, index): sample slots index*n..+n.
        A synth source's ``reuse`` shares a rendered sample between slots of this draw only, so
        a resumed run still sees the same batches."""
        rng = np.random.default_rng([self.seed, 7919, index] + ([salt] if salt else []))
        items = []
        reused: dict[int, list[Any]] = {}
        for j in range(n):
            slot = index * n + j
            item = self._sample(rng, slot, True, reused)
            tries = 0
            while item is None and tries < 100:
                item = self._sample(rng, slot, False, reused)
                tries += 1
            if item is None:
                raise RuntimeError("could not draw a valid training sample in 100 tries")
            items.append(item)
        return items

    def __iter__(self) -> Iterator[Any]:
        info = torch.utils.data.get_worker_info()
        wid, nw = (info.id, info.num_workers) if info else (0, 1)
        b = self.start_batch + wid
        while True:
            yield self.make_batch(b)
            b += nw
