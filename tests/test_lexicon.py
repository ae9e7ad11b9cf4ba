"""Word prior for CTC output (postprocess.lexicon)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from openocr.charset import Charset
from openocr.errors import ModelError
from openocr.postprocess.ctc import ctc_greedy_decode
from openocr.postprocess.lexicon import (
    Lexicon,
    LexiconConfig,
    ctc_align,
    prefix_beam_search,
    rescore_words,
)
from openocr.predictors import RecPredictor
from openocr.runtime.base import ModelInfo

CS = Charset.load("en")
LOOKUP = CS.lookup_table()


def line_probs(steps: list[dict[str, float]], lookup: list[str] = LOOKUP) -> np.ndarray:
    """[T, C] probabilities: each step's listed characters ('' = blank) share their mass,
    the rest goes to blank."""
    p = np.full((len(steps), len(lookup)), 1e-5, np.float32)
    for t, step in enumerate(steps):
        for ch, v in step.items():
            p[t, lookup.index(ch) if ch else 0] = v
        p[t, 0] += max(0.0, 1.0 - p[t].sum())
    return p / p.sum(1, keepdims=True)


def sure(text: str) -> list[dict[str, float]]:
    out: list[dict[str, float]] = []
    for ch in text:
        out += [{ch: 0.98}, {"": 0.98}]
    return out


LEX = Lexicon({"home": 5.8, "hone": 3.2, "the": 7.7})


def decode(p: np.ndarray, lexicon: Lexicon = LEX, **kw) -> str:
    res = ctc_greedy_decode(p[None], LOOKUP)[0]
    return rescore_words(p, res, LOOKUP, lexicon, LexiconConfig(**kw)).text


def test_unsure_letter_goes_to_the_common_word():
    # "ho?e": 'n' (0.5) a little ahead of 'm' (0.45), as a blurred m reads
    p = line_probs(sure("ho") + [{"n": 0.5, "m": 0.45}, {"": 0.98}] + sure("e"))
    assert ctc_greedy_decode(p[None], LOOKUP)[0].text == "hone"
    assert decode(p) == "home"
    assert decode(p, weight=0.0) == "hone"  # no prior: the image alone decides


def test_clear_evidence_beats_the_prior():
    p = line_probs(sure("ho") + [{"n": 0.9, "m": 0.08}, {"": 0.98}] + sure("e"))
    assert decode(p) == "hone"  # 'n' is sure enough (min_conf) and far ahead of 'm'
    assert decode(p, min_conf=0.95) == "hone"  # re-decoded, but log(0.9/0.08) > 0.5 * 2.6


def test_only_unsure_letter_runs_change_and_positions_follow():
    # "12 ho?e 34": digits and the space are kept; the word's characters get new steps
    p = line_probs(sure("12 ho") + [{"n": 0.5, "m": 0.45}, {"": 0.98}] + sure("e 34"))
    res = ctc_greedy_decode(p[None], LOOKUP)[0]
    out = rescore_words(p, res, LOOKUP, LEX, LexiconConfig())
    assert out.text == "12 home 34"
    assert out.timesteps.tolist() == res.timesteps.tolist()
    assert out.char_probs[5] == pytest.approx(p[10, LOOKUP.index("m")])
    assert out.score == pytest.approx(float(out.char_probs.mean()))


def test_confident_lines_are_returned_unchanged():
    p = line_probs(sure("hone 42"))
    res = ctc_greedy_decode(p[None], LOOKUP)[0]
    assert rescore_words(p, res, LOOKUP, LEX, LexiconConfig()) is res


def test_prefix_beam_search_sums_alignments():
    p = line_probs([{"a": 0.5}, {"a": 0.5}])  # "a" = aa, a_, _a; "aa" needs a blank between
    hyps = dict(prefix_beam_search(p, beam=4))
    a = LOOKUP.index("a")
    assert hyps[(a,)] == pytest.approx(0.75, abs=1e-3)
    assert (a, a) not in hyps


def test_ctc_align_finds_each_label_first_step():
    p = line_probs([{"": 0.9}, {"h": 0.9}, {"h": 0.9}, {"": 0.9}, {"i": 0.6}, {"": 0.9}])
    labels = [LOOKUP.index("h"), LOOKUP.index("i")]
    assert ctc_align(p, labels).tolist() == [1, 4]


def test_lexicon_files_and_builtin(tmp_path):
    plain = tmp_path / "words.txt"
    plain.write_text("Alpha\t4.5\nbeta\n", encoding="utf-8")
    lex = Lexicon.load(plain)
    assert lex.prior("ALPHA") == 4.5 and lex.prior("beta") == 3.0 and lex.prior("x") == 0.0
    packed = tmp_path / "words.tsv.gz"
    packed.write_bytes(gzip.compress(b"gamma\t2.0\n"))
    assert Lexicon.load(packed).prior("gamma") == 2.0
    en = Lexicon.load("en")
    assert len(en) > 40000 and en.prior("the") > en.prior("home") > en.prior("hone") > 0
    with pytest.raises(FileNotFoundError, match="neither a built-in"):
        Lexicon.load(tmp_path / "missing.txt")


def test_letters_touching_digits_and_single_letters_stay():
    p = line_probs(sure("12ho") + [{"n": 0.5, "m": 0.45}, {"": 0.98}] + sure("e"))
    assert decode(p) == "12hone"  # part of a code
    p = line_probs(sure("7 ") + [{"x": 0.5, "a": 0.45}, {"": 0.98}])
    assert decode(p, lexicon=Lexicon({"a": 7.4})) == "7 x"  # one letter: no prior


class HoneRec:
    """A recognizer that reads every crop as ``prefix`` + "ho?e", 'n' just ahead of 'm'."""

    def __init__(self, charset: Charset = CS, prefix: list[dict[str, float]] | None = None) -> None:
        self.info = ModelInfo(model_name="fake", task="rec", charset=charset, input_height=32)
        self.steps = (prefix or []) + sure("ho") + [{"n": 0.5, "m": 0.45}, {"": 0.98}] + sure("e")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        p = line_probs(self.steps, self.info.charset.lookup_table())
        steps = x.shape[3] // 8
        pad = np.zeros((max(0, steps - len(p)), p.shape[1]), np.float32)
        pad[:, 0] = 1.0
        return np.repeat(np.concatenate([p, pad])[None, :steps], x.shape[0], 0)


def test_predictor_uses_the_charset_lexicon_unless_turned_off(tmp_path):
    crop = np.full((32, 160, 3), 255, np.uint8)
    assert RecPredictor(HoneRec())([crop])[0][0].text == "home"
    assert RecPredictor(HoneRec(), lexicon=None)([crop])[0][0].text == "hone"
    words = tmp_path / "words.txt"
    words.write_text("hone\t6\n", encoding="utf-8")
    assert RecPredictor(HoneRec(), lexicon=words)([crop])[0][0].text == "hone"
    with pytest.raises(ModelError, match="lexicon"):
        RecPredictor(HoneRec(), lexicon=tmp_path / "missing.txt")


def test_chinese_models_rescore_latin_words_and_unsure_hanzi():
    ch = Charset.load("ch")
    unsure_han = [{"中": 0.5, "山": 0.45}, {"": 0.98}]  # 中山 is a word, 山山 is not
    rec = HoneRec(ch, prefix=unsure_han + sure("山 "))
    crop = np.full((32, 320, 3), 255, np.uint8)
    assert RecPredictor(rec)([crop])[0][0].text == "中山 home"
    assert RecPredictor(rec, lexicon=None)([crop])[0][0].text == "中山 hone"
    lookup = ch.lookup_table()

    def read(steps: list[dict[str, float]], lexicon: Lexicon, **kw) -> str:
        p = line_probs(steps, lookup)
        res = ctc_greedy_decode(p[None], lookup)[0]
        return rescore_words(p, res, lookup, lexicon, LexiconConfig(**kw)).text

    lex = Lexicon({"竟然": 4.8})
    blurred = [{"竞": 0.5, "竟": 0.45}, {"": 0.98}] + sure("然")
    assert read(blurred, lex) == "竟然"  # the runner-up makes a word
    assert read(blurred, lex, hanzi_weight=0.0) == "竞然"  # no prior: the image decides
    assert read(blurred, Lexicon({})) == "竞然"  # no word either way: kept as read
    clear = [{"竞": 0.9, "竟": 0.09}, {"": 0.98}] + sure("然")
    assert read(clear, lex) == "竞然"  # sure characters are never re-read
    builtin = Lexicon.load("ch")
    assert builtin.prior("竟然") > 4 and builtin.prior("the") > 7
