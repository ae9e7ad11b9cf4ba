"""Word prior for CTC output: re-decode unsure words, preferring common dictionary words.

Greedy CTC decoding reads each time step on its own, so a blurred "home" can come out "hone".
For every run of two or more Latin letters in a greedy reading whose weakest character is unsure
(runs touching a digit, as in codes like "B12C", are left alone), the steps between its
neighbours are decoded again by CTC prefix beam search, and the candidate with the best
``log P(word | image) + weight * zipf(word)`` wins (``zipf``: log10 frequency per billion
words, 0 for words not in the lexicon). Confident words, digits and punctuation never change;
a rare word survives when the image clearly says so.

Chinese has no spaces to find words by, so each unsure Chinese character is weighed on its own
step instead: its runner-up readings at that step compete by ``log P(char | step) +
hanzi_weight * zipf`` of the most frequent lexicon word of 2-4 characters that the character
forms with its neighbours (0 when it forms none), as "竞然" becomes "竟然". The ``ch`` lexicon is
the English list plus 50,459 Chinese words. Numpy only.
"""

from __future__ import annotations

import gzip
import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from ..charset import is_hanzi
from .ctc import CTCResult

LEXICONS = {"en": ("en_words.tsv.gz",), "ch": ("en_words.tsv.gz", "zh_words.tsv.gz")}
CHARSET_LEXICON = {"en": "en", "ch": "ch"}  # the built-in prior of each built-in charset
HANZI_WORD_LENGTHS = (2, 3, 4)


@dataclass(frozen=True)
class LexiconConfig:
    weight: float = 0.75  # nats of CTC log-probability per unit of zipf frequency
    min_conf: float = 0.95  # words whose weakest character is at least this sure stay as read
    beam: int = 8
    prune: float = 1e-3  # classes under this probability at a step are not expanded
    top_k: int = 5  # nor more than this many classes per step
    hanzi_weight: float = 1.5  # nats per unit of zipf of the word a Chinese character forms
    hanzi_min_conf: float = 0.8  # Chinese characters at least this sure stay as read


class Lexicon:
    """Lower-case words with their zipf frequencies (``word<TAB>zipf`` lines, gzip or plain)."""

    def __init__(self, zipf: dict[str, float]) -> None:
        self.zipf = zipf

    @classmethod
    def load(cls, spec: str | Path) -> Lexicon:
        """A built-in lexicon (``en``, ``ch``) or a word list file (one word per line,
        optionally ``<TAB>zipf``; words without a frequency count as zipf 3)."""
        if isinstance(spec, str) and spec in LEXICONS:
            return _builtin(spec)
        path = Path(spec)
        if not path.is_file():
            raise FileNotFoundError(
                f"lexicon {str(spec)!r} is neither a built-in ({', '.join(LEXICONS)}) nor a file"
            )
        return cls.from_bytes(path.read_bytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> Lexicon:
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        zipf: dict[str, float] = {}
        for line in data.decode("utf-8").splitlines():
            word, _, z = line.strip().partition("\t")
            if word:
                zipf[word.lower()] = float(z) if z else 3.0
        return cls(zipf)

    def __len__(self) -> int:
        return len(self.zipf)

    def prior(self, word: str) -> float:
        return self.zipf.get(word.lower(), 0.0)


@cache
def _builtin(name: str) -> Lexicon:
    zipf: dict[str, float] = {}
    for file in LEXICONS[name]:
        zipf.update(_bundled_words(file))
    return Lexicon(zipf)


@cache
def _bundled_words(file: str) -> dict[str, float]:
    """One bundled list, read once (``en`` and ``ch`` share the English one)."""
    data = resources.files("openocr.assets").joinpath("lexicon", file).read_bytes()
    return Lexicon.from_bytes(data).zipf


def prefix_beam_search(
    probs: np.ndarray, beam: int = 8, prune: float = 1e-3, top_k: int = 5
) -> list[tuple[tuple[int, ...], float]]:
    """CTC prefix beam search over [T,C] probabilities (blank = 0): up to ``beam`` label
    sequences with their total probability, best first. Each step expands at most ``top_k``
    classes, those of probability ``prune`` or more.

    >>> p = np.array([[0.1, 0.6, 0.3], [0.6, 0.2, 0.2], [0.2, 0.7, 0.1]])
    >>> [(k, round(v, 3)) for k, v in prefix_beam_search(p, beam=2)]
    [((1, 1), 0.252), ((1,), 0.18)]
    """
    probs = np.asarray(probs, dtype=np.float64)
    k = min(top_k, probs.shape[1])
    top = np.argpartition(-probs, k - 1, axis=1)[:, :k]
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (1.0, 0.0)}  # (ends blank, not)
    for row, classes in zip(probs, top, strict=True):
        cands = [(int(c), float(row[c])) for c in classes if row[c] >= prune]
        nxt: dict[tuple[int, ...], list[float]] = {}
        for prefix, (pb, pnb) in beams.items():
            last = prefix[-1] if prefix else -1
            for c, p in cands:
                if c == 0:
                    nxt.setdefault(prefix, [0.0, 0.0])[0] += (pb + pnb) * p
                elif c == last:  # a repeat extends only after a blank; else it merges
                    nxt.setdefault(prefix + (c,), [0.0, 0.0])[1] += pb * p
                    nxt.setdefault(prefix, [0.0, 0.0])[1] += pnb * p
                else:
                    nxt.setdefault(prefix + (c,), [0.0, 0.0])[1] += (pb + pnb) * p
        best = heapq.nlargest(beam, nxt.items(), key=lambda kv: kv[1][0] + kv[1][1])
        beams = {key: (v[0], v[1]) for key, v in best}
    return [(key, v[0] + v[1]) for key, v in beams.items() if v[0] + v[1] > 0]


def ctc_align(probs: np.ndarray, labels: Sequence[int]) -> np.ndarray:
    """Most likely CTC path (Viterbi) for ``labels``: the step each label is read at."""
    t_len, n = len(probs), len(labels)
    ext = [0]
    for c in labels:
        ext += [c, 0]
    s_len = len(ext)
    logp = np.log(np.maximum(np.asarray(probs, dtype=np.float64), 1e-30))[:, ext]  # [T, S]
    score = np.full((t_len, s_len), -np.inf)
    back = np.zeros((t_len, s_len), dtype=np.int64)
    score[0, 0] = logp[0, 0]
    if s_len > 1:
        score[0, 1] = logp[0, 1]
    for t in range(1, t_len):
        for s in range(s_len):
            cands = [(score[t - 1, s], s)]
            if s >= 1:
                cands.append((score[t - 1, s - 1], s - 1))
            if s >= 2 and ext[s] != 0 and ext[s] != ext[s - 2]:
                cands.append((score[t - 1, s - 2], s - 2))
            best, frm = max(cands)
            score[t, s] = best + logp[t, s]
            back[t, s] = frm
    s = s_len - 1 if s_len < 2 or score[-1, -1] >= score[-1, -2] else s_len - 2
    first = np.full(n, -1, dtype=np.int64)
    for t in range(t_len - 1, -1, -1):
        if s % 2 == 1:
            first[s // 2] = t  # overwritten down to the label's first step
        s = back[t, s]
    return first


def rescore_words(
    probs: np.ndarray,
    result: CTCResult,
    lookup: Sequence[str],
    lexicon: Lexicon,
    cfg: LexiconConfig,
) -> CTCResult:
    """``result`` (the greedy reading of [T,C] ``probs``) with each unsure run of letters
    re-decoded and each unsure Chinese character re-read under the word prior."""
    result = rescore_hanzi(probs, result, lookup, lexicon, cfg)
    text, steps = result.text, result.timesteps
    runs = [
        (a, b)
        for a, b in _letter_runs(text)
        if result.char_probs[a:b].min() < cfg.min_conf
        and not (a > 0 and text[a - 1].isdigit())  # part of a code such as "B12C": left alone
        and not (b < len(text) and text[b].isdigit())
    ]
    if not runs:
        return result
    idx = probs.argmax(-1)
    chars, probs_out, steps_out = list(text), list(result.char_probs), list(steps)
    for a, b in reversed(runs):  # right to left: earlier indices stay valid
        lo = _run_end(idx, int(steps[a - 1])) + 1 if a > 0 else 0
        hi = int(steps[b]) if b < len(text) else len(probs)
        if hi - lo < 1:
            continue
        window = probs[lo:hi]
        hyps = prefix_beam_search(window, cfg.beam, cfg.prune, cfg.top_k)
        if not hyps:
            continue
        current = tuple(int(idx[s]) for s in steps[a:b])

        def score(labels: tuple[int, ...], p: float) -> float:
            word = "".join(lookup[c] for c in labels)
            return math.log(max(p, 1e-300)) + cfg.weight * lexicon.prior(word)

        labels, _ = max(hyps, key=lambda h: score(*h))
        if labels == current or not labels:
            continue
        at = ctc_align(window, labels) + lo
        chars[a:b] = [lookup[c] for c in labels]
        probs_out[a:b] = [float(probs[t, c]) for t, c in zip(at, labels, strict=True)]
        steps_out[a:b] = at.tolist()
    cp = np.asarray(probs_out, dtype=np.float32)
    return CTCResult(
        "".join(chars),
        float(cp.mean()) if len(cp) else 0.0,
        cp,
        np.asarray(steps_out, dtype=np.int64),
        result.num_steps,
    )


def rescore_hanzi(
    probs: np.ndarray,
    result: CTCResult,
    lookup: Sequence[str],
    lexicon: Lexicon,
    cfg: LexiconConfig,
) -> CTCResult:
    """``result`` with each unsure Chinese character replaced by the reading at its own step
    that scores best with the word it forms (left to right; same steps, same length)."""
    text = result.text
    unsure = [
        i for i, ch in enumerate(text) if is_hanzi(ch) and result.char_probs[i] < cfg.hanzi_min_conf
    ]
    if not unsure:
        return result
    chars, char_probs = list(text), result.char_probs.copy()
    for i in unsure:
        row = probs[int(result.timesteps[i])]
        k = min(cfg.top_k, len(row))
        top = np.argpartition(-row, k - 1)[:k]
        cands = [(text[i], float(char_probs[i]))] + [
            (lookup[c], float(row[c]))
            for c in top[np.argsort(-row[top])]
            if row[c] >= cfg.prune and lookup[c] != text[i] and is_hanzi(lookup[c])
        ]
        scored = []
        for ch, p in cands:
            chars[i] = ch
            zipf = _word_zipf(lexicon, chars, i)
            scored.append((math.log(max(p, 1e-300)) + cfg.hanzi_weight * zipf, -len(scored), ch, p))
        _, _, chars[i], char_probs[i] = max(scored)  # ties: the image's first choice
    if "".join(chars) == text:
        return result
    return CTCResult(
        "".join(chars),
        float(char_probs.mean()),
        char_probs,
        result.timesteps,
        result.num_steps,
    )


def _word_zipf(lexicon: Lexicon, chars: list[str], i: int) -> float:
    """Zipf of the most frequent lexicon word of 2-4 characters in ``chars`` covering ``i``."""
    best = 0.0
    for n in HANZI_WORD_LENGTHS:
        for a in range(max(0, i - n + 1), min(i, len(chars) - n) + 1):
            best = max(best, lexicon.prior("".join(chars[a : a + n])))
    return best


def _letter_runs(text: str) -> list[tuple[int, int]]:
    """[start, end) of each maximal run of two or more ASCII letters."""
    runs, start = [], None
    for i, ch in enumerate(text + " "):
        if ch.isascii() and ch.isalpha() and i < len(text):
            start = i if start is None else start
        elif start is not None:
            if i - start >= 2:
                runs.append((start, i))
            start = None
    return runs


def _run_end(idx: np.ndarray, step: int) -> int:
    """Last step of the run of equal argmax classes that starts at ``step``."""
    end = step
    while end + 1 < len(idx) and idx[end + 1] == idx[step]:
        end += 1
    return end
