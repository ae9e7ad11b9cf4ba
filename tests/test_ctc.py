"""Greedy CTC decoding."""

from __future__ import annotations

import numpy as np
import pytest

from openocr.charset import Charset
from openocr.postprocess.ctc import ctc_greedy_decode, ensure_probs

LOOKUP = ["", "a", "b", " ", "c"]


def probs_for(ids, conf=0.9, c=5):
    p = np.full((len(ids), c), (1 - conf) / (c - 1), np.float32)
    p[np.arange(len(ids)), ids] = conf
    return p


def test_blank_and_repeat_collapse():
    res = ctc_greedy_decode(probs_for([0, 1, 1, 0, 1, 2, 2, 2, 0, 0, 4])[None], LOOKUP)[0]
    assert res.text == "aabc"
    assert res.timesteps.tolist() == [1, 4, 5, 10]
    assert res.num_steps == 11


def test_confidences_and_score_is_mean_of_kept():
    p = probs_for([1, 1, 0, 2])
    p[0, 1], p[1, 1], p[3, 2] = 0.8, 0.99, 0.6  # the repeat at t=1 is not kept
    res = ctc_greedy_decode(p[None], LOOKUP)[0]
    assert res.text == "ab"
    np.testing.assert_allclose(res.char_probs, [0.8, 0.6], rtol=1e-6)
    assert res.score == pytest.approx(0.7)


def test_spaces_kept_as_predicted_and_empty_scores_zero():
    res = ctc_greedy_decode(probs_for([3, 1, 3, 3, 0, 3, 2, 3])[None], LOOKUP)[0]
    assert res.text == " a  b "
    empty = ctc_greedy_decode(probs_for([0, 0, 0])[None], LOOKUP)[0]
    assert empty.text == "" and empty.score == 0.0 and len(empty.timesteps) == 0


def test_batch_vectorized_matches_per_row():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 20, 5)).astype(np.float32)
    probs = ensure_probs(logits)
    np.testing.assert_allclose(probs.sum(-1), 1, rtol=1e-5)
    batch = ctc_greedy_decode(probs, LOOKUP)
    for i in range(6):
        one = ctc_greedy_decode(probs[i : i + 1], LOOKUP)[0]
        assert one.text == batch[i].text and one.score == pytest.approx(batch[i].score)


def test_with_charset_lookup_and_class_mismatch():
    cs = Charset.load("en")
    ids = [0, *cs.encode("Hi 5")]
    p = np.zeros((len(ids) * 2, cs.num_classes), np.float32)
    for t, i in enumerate(ids):
        p[2 * t, i] = 1
        p[2 * t + 1, 0] = 1
    assert ctc_greedy_decode(p[None], cs.lookup_table())[0].text == "Hi 5"
    with pytest.raises(ValueError, match="classes"):
        ctc_greedy_decode(p[None, :, :10], cs.lookup_table())
