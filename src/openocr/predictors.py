"""Predictors = pre-processing + backend + post-processing, shared by every runtime.

``DetPredictor``: RGB image -> boxes in source pixels. ``RecPredictor``: list of RGB crops ->
text, score and per-character positions, in input order (batches are sorted by width inside).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError
from .geometry import turn_vertical
from .postprocess.ctc import ctc_greedy_decode, ensure_probs
from .postprocess.db import DBPostConfig, DBPostProcessor, DetResult
from .postprocess.lexicon import CHARSET_LEXICON, Lexicon, LexiconConfig, rescore_words
from .preprocess.det import DetPreConfig, det_preprocess
from .preprocess.rec import TILTED_WORD_ANGLES, RecPreConfig, make_rec_batches, rotated_band
from .runtime.base import Backend

DET_PRE_KEYS = {"limit_side_len", "limit_type", "det_input_size"}


@dataclass
class DetOutput(DetResult):
    timings: dict[str, float] = field(default_factory=dict)
    mask: np.ndarray | None = None


class DetPredictor:
    """Detector: ``predictor(rgb_image, **overrides) -> DetOutput``.

    Overrides apply to one call: ``limit_side_len`` (alias ``det_input_size``), ``limit_type``
    and any ``DBPostConfig`` field (``thresh``/``mask_thresh``, ``box_thresh``, ...).
    """

    def __init__(
        self, backend: Backend, pre: DetPreConfig | None = None, post: DBPostConfig | None = None
    ) -> None:
        if backend.info.task and backend.info.task != "det":
            raise ModelError(
                f"{backend.info.source or 'model'}: expected a detection model, got task {backend.info.task!r}"
            )
        self.backend = backend
        self.pre = pre or DetPreConfig()
        self.post = DBPostProcessor(post)

    def __call__(self, image: np.ndarray, return_mask: bool = False, **overrides: Any) -> DetOutput:
        pre_kw = {
            k: overrides.pop(k)
            for k in list(overrides)
            if k in DET_PRE_KEYS and overrides[k] is not None
        }
        if "det_input_size" in pre_kw:  # the reference's name for limit_side_len
            pre_kw["limit_side_len"] = pre_kw.pop("det_input_size")
        pre = dataclasses.replace(self.pre, **pre_kw) if pre_kw else self.pre
        t0 = time.perf_counter()
        x, meta = det_preprocess(image, pre)
        t1 = time.perf_counter()
        prob = self.backend(x)
        t2 = time.perf_counter()
        res = self.post(prob, meta, **overrides)
        t3 = time.perf_counter()
        timings = {"det_pre": t1 - t0, "det_model": t2 - t1, "det_post": t3 - t2}
        return DetOutput(res.boxes, res.scores, timings, prob if return_mask else None)


@dataclass
class RecOutput:
    """``positions``: each character's centre as a fraction (0..1) of the crop width."""

    text: str
    score: float
    char_scores: np.ndarray
    positions: np.ndarray


class RecPredictor:
    """Recognizer: ``predictor(crops) -> (list[RecOutput], timings)``, in input order.

    Without ``cfg`` the preprocessing follows the model's training (a model trained on
    batch-padded lines is padded to its batch's widest crop, not to the training width).
    ``tilted_words`` turns on the rotation re-read (``TILTED_WORD_ANGLES``) for crops cut by
    axis-aligned boxes of rotated words. ``lexicon``: the word prior that re-decodes unsure
    words (``postprocess.lexicon``): 'auto' (the built-in lexicon of a built-in charset: English
    for ``en``, English and Chinese for ``ch``), a ``Lexicon``, a word-list path, or None (greedy
    decoding only)."""

    def __init__(
        self,
        backend: Backend,
        charset: Any = None,
        cfg: RecPreConfig | None = None,
        batch_size: int | None = None,
        tilted_words: bool = False,
        lexicon: Lexicon | str | Path | None = "auto",
        lexicon_cfg: LexiconConfig | None = None,
    ) -> None:
        if backend.info.task and backend.info.task != "rec":
            raise ModelError(
                f"{backend.info.source or 'model'}: expected a recognition model, got task {backend.info.task!r}"
            )
        self.backend = backend
        self.charset = charset or backend.info.charset
        if self.charset is None:
            raise ModelError(
                f"{backend.info.source or 'recognizer'}: no charset in the model metadata; pass charset='en'|'ch'|path"
            )
        self.lookup = self.charset.lookup_table()
        if lexicon == "auto":
            lexicon = CHARSET_LEXICON.get(self.charset.name)
        if isinstance(lexicon, (str, Path)):
            try:
                lexicon = Lexicon.load(lexicon)
            except (OSError, ValueError) as e:
                raise ModelError(f"lexicon: {e}") from None
        self.lexicon = lexicon
        self.lexicon_cfg = lexicon_cfg or LexiconConfig()
        if cfg is None:
            cfg = RecPreConfig()
            transforms = (backend.info.config.get("Train") or {}).get("transforms") or {}
            if transforms.get("pad") == "batch":  # trained on tight batches: pad like training
                cfg = dataclasses.replace(cfg, min_width=2 * cfg.height)
        if batch_size:
            cfg = dataclasses.replace(cfg, batch_size=batch_size)
        if tilted_words:
            cfg = dataclasses.replace(cfg, rotate_angles=TILTED_WORD_ANGLES)
        height = backend.info.input_height or cfg.height
        if height != cfg.height:  # widths are given for height 48: scale them

            def scale(v: int) -> int:
                return int(round(v * height / cfg.height / 8) * 8)

            cfg = dataclasses.replace(
                cfg,
                height=height,
                min_width=scale(cfg.min_width),
                max_width=scale(cfg.max_width),
                overlap=scale(cfg.overlap),
            )
        self.cfg = cfg

    def __call__(
        self, crops: Sequence[np.ndarray], batch_size: int | None = None
    ) -> tuple[list[RecOutput], dict[str, float]]:
        cfg = self.cfg if not batch_size else dataclasses.replace(self.cfg, batch_size=batch_size)
        crops = list(crops)
        outputs, timings = self._read(crops, cfg)
        if cfg.tall_ratio:  # vertical lines: read again turned to reading order left to right
            tall = [i for i, c in enumerate(crops) if c.shape[0] >= cfg.tall_ratio * c.shape[1]]
            turned = [turn_vertical(crops[i]) for i in tall]
            for k in self._keep_best(outputs, timings, tall, turned, cfg) if tall else ():
                crops[tall[k]] = turned[k]  # later re-reads start from the better orientation
        if cfg.retry_density:  # dense text: read again stretched
            dense = [
                i
                for i, (crop, out) in enumerate(zip(crops, outputs, strict=True))
                if len(out.text) * crop.shape[0] > cfg.retry_density * crop.shape[1]
            ]
            picked = [crops[i] for i in dense]
            for scale in cfg.retry_scales if dense else ():
                stretched = dataclasses.replace(cfg, x_scale=scale)
                self._keep_best(outputs, timings, dense, picked, stretched)
        if cfg.rotate_angles:  # unsure short crops: read again turned
            unsure = [
                i
                for i, (crop, out) in enumerate(zip(crops, outputs, strict=True))
                if out.score < cfg.rotate_score
                and crop.shape[1] < cfg.rotate_aspect * crop.shape[0]
            ]
            for angle in cfg.rotate_angles if unsure else ():
                bands = [(i, rotated_band(crops[i], angle)) for i in unsure]
                bands = [(i, band) for i, band in bands if band is not None]
                if bands:
                    index, turned = zip(*bands, strict=True)
                    self._keep_best(outputs, timings, list(index), list(turned), cfg)
        return outputs, timings

    def _keep_best(
        self,
        outputs: list[RecOutput],
        timings: dict[str, float],
        index: list[int],
        crops: list[np.ndarray],
        cfg: RecPreConfig,
    ) -> list[int]:
        """Read ``crops`` (variants of ``outputs[index]``); keep each reading that scores better.
        Returns the positions in ``index`` whose new reading was kept."""
        again, t = self._read(crops, cfg)
        for k, v in t.items():
            timings[k] += v
        kept = []
        for k, (i, out) in enumerate(zip(index, again, strict=True)):
            if out.score > outputs[i].score:
                outputs[i] = out
                kept.append(k)
        return kept

    def _read(
        self, crops: Sequence[np.ndarray], cfg: RecPreConfig
    ) -> tuple[list[RecOutput], dict[str, float]]:
        t0 = time.perf_counter()
        batches = make_rec_batches(crops, cfg)
        t_pre = time.perf_counter() - t0
        t_model = t_post = 0.0
        weighted = 0.0  # sum over crops of their batch's model time (the reference's avg_rec_time)
        parts: list[list[tuple[float, str, float]]] = [[] for _ in crops]
        for batch in batches:
            t1 = time.perf_counter()
            out = self.backend(batch.x)
            t2 = time.perf_counter()
            probs = ensure_probs(out)
            decoded = ctc_greedy_decode(probs, self.lookup)
            width = batch.x.shape[3]
            for j, (seg, res) in enumerate(zip(batch.segments, decoded, strict=True)):
                if self.lexicon is not None and seg.x0 == 0 and seg.x1 == seg.crop_width:
                    res = rescore_words(probs[j], res, self.lookup, self.lexicon, self.lexicon_cfg)
                step = width / max(res.num_steps, 1)
                for ch, t, p in zip(res.text, res.timesteps, res.char_probs, strict=True):
                    pos = seg.x0 + (t + 0.5) * step
                    if seg.keep0 <= pos < seg.keep1:
                        parts[seg.crop_index].append((pos / seg.crop_width, ch, float(p)))
            t_model += t2 - t1
            weighted += (t2 - t1) * len(batch.segments)
            t_post += time.perf_counter() - t2
        t3 = time.perf_counter()
        outputs = []
        for chars in parts:
            chars.sort(key=lambda c: c[0])
            probs = np.array([c[2] for c in chars], dtype=np.float32)
            outputs.append(
                RecOutput(
                    text="".join(c[1] for c in chars),
                    score=float(probs.mean()) if len(probs) else 0.0,
                    char_scores=probs,
                    positions=np.array([min(c[0], 1.0) for c in chars], dtype=np.float32),
                )
            )
        t_post += time.perf_counter() - t3
        timings = {
            "rec_pre": t_pre,
            "rec_model": t_model,
            "rec_post": t_post,
            "rec_item_sum": weighted,
        }
        return outputs, timings
