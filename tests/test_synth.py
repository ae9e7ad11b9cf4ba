"""openocr.synth: labels agree with images, quads hold the ink, seeds reproduce.

Every test uses only the bundled fallback fonts (``system_fonts=False``), so the suite runs on a
machine without the big font packages.
"""

from __future__ import annotations

import numpy as np
import pytest

from openocr.charset import Charset


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("OPENOCR_CACHE", str(tmp_path_factory.getbasetemp() / "openocr_cache"))


@pytest.fixture(scope="module")
def en():
    return Charset.load("en")


def _rec(charset, **kw):
    from openocr.synth import RecLineGenerator

    return RecLineGenerator(charset, system_fonts=False, photos=False, **kw)


def test_font_index_fallback_fonts():
    from openocr.synth.fonts import FontIndex

    idx = FontIndex.load(system=False)
    assert len(idx.faces) >= 4
    latin = [f for f in idx.faces if f.is_latin]
    assert latin, "bundled Latin fallback fonts must cover printable ASCII"
    cjk = [f for f in idx.faces if "中" in f.chars]
    assert cjk and all(" " in f.chars for f in latin)
    # cached: a second load reads the JSON and gives the same faces
    again = FontIndex.load(system=False)
    assert [f.key for f in again.faces] == [f.key for f in idx.faces]
    assert not idx.filter(exclude=("dejavu", "noto")).faces


def test_rec_labels_and_shapes(en):
    gen = _rec(en, height=48, max_width=320, max_len=25)
    rng = np.random.default_rng(0)
    for _ in range(60):
        img, label = gen.sample(rng)
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
        assert img.shape[0] == 48 and 1 <= img.shape[1] <= 320
        assert label and len(label) <= 25
        assert en.normalize(label) == label
        assert en.decode(en.encode(label)) == label
        assert img.std() > 3  # something is drawn


def test_rec_seed_reproducible(en):
    a = [_rec(en).sample(np.random.default_rng(7)) for _ in range(2)]
    assert a[0][1] == a[1][1] and np.array_equal(a[0][0], a[1][0])
    g = _rec(en)
    s1 = [g.sample(np.random.default_rng(s))[1] for s in range(5)]
    s2 = [g.sample(np.random.default_rng(s))[1] for s in range(5)]
    assert s1 == s2


def test_rec_ch_labels():
    ch = Charset.load("ch")
    gen = _rec(ch, max_len=12)
    rng = np.random.default_rng(1)
    for _ in range(20):
        img, label = gen.sample(rng)
        assert img.shape[0] == 48 and label and len(label) <= 12
        assert ch.normalize(label) == label and ch.covers(label)


def test_rendered_text_ink_matches_label(en):
    """The mask renderer draws ink for every non-space character (no tofu, nothing dropped)."""
    from openocr.synth.rec import render_mask

    gen = _rec(en)
    for i in range(len(gen.latin)):
        font = gen.latin.font(i, 30)
        for ch in "AZaz09$@":
            m = render_mask(ch, font)
            assert m.max() > 0, (gen.latin.faces[i].family, ch)
