"""Greedy CTC decoding, vectorized over the batch, keeping per-character confidences and
timesteps (for word boxes and long-line merging).

Repeats are collapsed first, then blanks (index 0) dropped. A line's score is the mean of the
max-probabilities at the kept steps (0 when nothing is kept). Spaces are kept as predicted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class CTCResult:
    text: str
    score: float
    char_probs: np.ndarray  # float32 [n]
    timesteps: np.ndarray  # int [n], index into the T output steps
    num_steps: int  # T


def ensure_probs(out: np.ndarray) -> np.ndarray:
    """Return softmax probabilities; logits (rows not summing to 1) are softmaxed."""
    out = np.asarray(out, dtype=np.float32)
    if out.size and (out.min() < 0 or not np.allclose(out[..., :1, :].sum(-1), 1.0, atol=1e-2)):
        e = np.exp(out - out.max(-1, keepdims=True))
        out = e / e.sum(-1, keepdims=True)
    return out


def ctc_greedy_decode(probs: np.ndarray, lookup: Sequence[str], blank: int = 0) -> list[CTCResult]:
    """Decode [B,T,C] probabilities with a class-index -> character table ('' at blank).

    >>> p = np.eye(3, dtype=np.float32)[[1, 1, 0, 1, 2]][None]
    >>> ctc_greedy_decode(p, ["", "a", "b"])[0].text
    'aab'
    """
    probs = np.asarray(probs)
    if probs.ndim != 3:
        raise ValueError(f"expected [B,T,C] probabilities, got shape {probs.shape}")
    b, t, c = probs.shape
    if c != len(lookup):
        raise ValueError(
            f"model has {c} classes but the charset has {len(lookup)} (blank included)"
        )
    idx = probs.argmax(-1)
    conf = np.take_along_axis(probs, idx[..., None], -1)[..., 0].astype(np.float32)
    keep = idx != blank
    keep[:, 1:] &= idx[:, 1:] != idx[:, :-1]
    table = np.asarray(lookup, dtype=object)
    results = []
    for i in range(b):
        steps = np.flatnonzero(keep[i])
        cp = conf[i, steps]
        text = "".join(table[idx[i, steps]].tolist())
        score = float(cp.mean()) if len(steps) else 0.0
        results.append(CTCResult(text, score, cp, steps, t))
    return results
