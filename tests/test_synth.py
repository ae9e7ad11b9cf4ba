"""openocr.synth: labels agree with images, quads hold the ink, seeds reproduce.

Every test uses only the bundled fallback fonts (``system_fonts=False``), so the suite runs on a
machine without the big font packages.
"""

from __future__ import annotations

from itertools import pairwise

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


def test_font_index_rescans_only_changed_files(tmp_path, monkeypatch):
    """Adding a font to a scanned folder scans that font only; the rest comes from the cache."""
    import shutil

    from openocr.synth import fonts

    monkeypatch.setenv("OPENOCR_CACHE", str(tmp_path / "cache"))
    src = fonts.bundled_font_dir()
    font_dir = tmp_path / "fonts"
    font_dir.mkdir()
    shutil.copy(src / "DejaVuSans-ascii.ttf", font_dir / "a.ttf")
    first = fonts.FontIndex.load(dirs=[font_dir], system=False)
    shutil.copy(src / "DejaVuSerif-Bold-ascii.ttf", font_dir / "b.ttf")
    scanned = []
    real_scan = fonts._scan_file
    monkeypatch.setattr(fonts, "_scan_file", lambda p, w: scanned.append(p.name) or real_scan(p, w))
    second = fonts.FontIndex.load(dirs=[font_dir], system=False)
    assert scanned == ["b.ttf"]
    fresh = fonts.FontIndex.load(dirs=[font_dir], system=False, cache=False)
    assert [(f.key, f.chars) for f in second.faces] == [(f.key, f.chars) for f in fresh.faces]
    assert len(second.faces) == len(first.faces) + 1


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
        # wide enough for CTC at stride 8 (T >= length + repeats), unless capped by max_width
        need = len(label) + sum(a == b for a, b in pairwise(label))
        assert img.shape[1] >= min(320, 8 * need)


def test_rec_seed_reproducible(en):
    a = [_rec(en).sample(np.random.default_rng(7)) for _ in range(2)]
    assert a[0][1] == a[1][1] and np.array_equal(a[0][0], a[1][0])
    g = _rec(en)
    s1 = [g.sample(np.random.default_rng(s))[1] for s in range(5)]
    s2 = [g.sample(np.random.default_rng(s))[1] for s in range(5)]
    assert s1 == s2


def test_rec_faint_and_dark_lines(en):
    """low_contrast_ratio / dark_ratio move the luminance spread and mean of the lines down."""

    def stats(**kw):
        gen = _rec(en, height=32, max_width=256, **kw)
        rng = np.random.default_rng(3)
        grey = [gen.sample(rng)[0].mean(axis=2) for _ in range(40)]
        spread = np.median([np.percentile(g, 95) - np.percentile(g, 5) for g in grey])
        return spread, np.median([g.mean() for g in grey])

    spread0, mean0 = stats(low_contrast_ratio=0.0, dark_ratio=0.0)
    spread1, _ = stats(low_contrast_ratio=1.0, dark_ratio=0.0)
    _, mean1 = stats(low_contrast_ratio=0.0, dark_ratio=1.0)
    assert spread1 < spread0 - 15
    assert mean1 < mean0 * 0.8


def test_rec_ch_labels():
    ch = Charset.load("ch")
    gen = _rec(ch, max_len=12)
    rng = np.random.default_rng(1)
    for _ in range(20):
        img, label = gen.sample(rng)
        assert img.shape[0] == 48 and label and len(label) <= 12
        assert ch.normalize(label) == label and ch.covers(label)


def test_glyph_warp_bends_strokes_and_keeps_the_ink_in_place():
    from PIL import ImageFont

    from openocr.synth.effects import glyph_warp, ink_bbox
    from openocr.synth.fonts import FontIndex
    from openocr.synth.rec import render_mask

    face = next(f for f in FontIndex.load(system=False).faces if f.covers("中山路出口"))
    mask = render_mask("中山路出口", ImageFont.truetype(face.path, 36, index=face.index))
    rng = np.random.default_rng(3)
    outs = [glyph_warp(mask, rng, 36) for _ in range(8)]
    for out in outs:
        assert out.shape == mask.shape and out.dtype == np.uint8
        changed = np.mean(np.abs(out.astype(int) - mask) > 64)
        assert 0.01 < changed < 0.5  # strokes move, the characters stay
        x0, y0, x1, y1 = ink_bbox(out, 64)
        bx0, by0, bx1, by1 = ink_bbox(mask, 64)
        assert abs(x0 - bx0) <= 4 and abs(x1 - bx1) <= 4 and abs(y0 - by0) <= 4
    ink = [float((o > 127).mean()) for o in outs]
    assert max(ink) / min(ink) > 1.2  # some draws change the stroke weight


def test_rec_glyph_warp_is_off_by_default_and_leaves_labels_alone():
    ch = Charset.load("ch")
    plain = _rec(ch, max_len=12, seed=4)
    warped = _rec(ch, max_len=12, seed=4, glyph_warp_ratio=1.0)
    a = [plain.sample(np.random.default_rng(i)) for i in range(6)]
    b = [warped.sample(np.random.default_rng(i)) for i in range(6)]
    assert [x[1] for x in a] == [x[1] for x in b]
    pairs = zip(a, b, strict=True)
    assert any(x[0].shape != y[0].shape or not np.array_equal(x[0], y[0]) for x, y in pairs)
    assert _rec(ch, seed=4).glyph_warp_ratio == 0.0


def test_rec_ch_charset_with_english_text():
    ch = Charset.load("ch")
    gen = _rec(ch, text_lang="en")
    rng = np.random.default_rng(2)
    labels = [gen.sample(rng)[1] for _ in range(20)]
    assert all(label.isascii() for label in labels) and all(ch.covers(x) for x in labels)
    with pytest.raises(ValueError, match="text_lang"):
        _rec(ch, text_lang="fr")


def test_rendered_text_ink_matches_label(en):
    """The mask renderer draws ink for every non-space character (no tofu, nothing dropped)."""
    from openocr.synth.rec import render_mask

    gen = _rec(en)
    for i in range(len(gen.latin)):
        font = gen.latin.font(i, 30)
        for ch in "AZaz09$@":
            m = render_mask(ch, font)
            assert m.max() > 0, (gen.latin.faces[i].family, ch)


def _det(**kw):
    from openocr.synth import DetPageGenerator

    return DetPageGenerator(system_fonts=False, photos=False, size=(640, 800), **kw)


def _ink_inside(ink: np.ndarray, instances: list[dict]) -> float:
    import cv2

    poly = np.zeros(ink.shape, np.uint8)
    for d in instances:
        cv2.fillPoly(poly, [np.round(np.asarray(d["points"])).astype(np.int32)], 1)
    poly = cv2.dilate(poly, np.ones((5, 5), np.uint8))  # 2 px tolerance for antialiasing
    on = ink > 127
    return float((poly[on] > 0).mean()) if on.any() else 1.0


@pytest.mark.parametrize(
    "kw", [{"level": "line"}, {"level": "word"}, {"receipt_ratio": 1.0, "doc_ratio": 1.0}]
)
def test_det_quads_contain_ink(kw):
    gen = _det(**kw)
    rng = np.random.default_rng(3)
    for _ in range(6):
        img, inst, ink = gen.sample_with_mask(rng)
        assert img.dtype == np.uint8 and img.ndim == 3 and ink.shape == img.shape[:2]
        assert inst, "a page has text"
        for d in inst:
            pts = np.asarray(d["points"])
            assert pts.shape == (4, 2) and isinstance(d["text"], str) and d["text"]
            assert isinstance(d["ignore"], bool)
            # clockwise from top-left in image coordinates: positive shoelace area
            x, y = pts[:, 0], pts[:, 1]
            assert 0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) > 0
        assert _ink_inside(ink, inst) >= 0.99


def test_det_seed_reproducible():
    gen = _det()
    a = gen.sample(np.random.default_rng(11))
    b = gen.sample(np.random.default_rng(11))
    assert np.array_equal(a[0], b[0]) and a[1] == b[1]


def test_writers_dir_and_lmdb(tmp_path, en):
    import json

    import lmdb

    from openocr.synth.writers import write_dataset

    kw = {"charset": en, "system_fonts": False, "photos": False}
    assert write_dataset("rec", tmp_path / "rec", 5, fmt="dir", seed=1, **kw) == 5
    rows = (tmp_path / "rec" / "labels.tsv").read_text("utf-8").splitlines()
    assert len(rows) == 5
    rel, text = rows[0].split("\t")
    assert (tmp_path / "rec" / rel).is_file() and text

    write_dataset("rec", tmp_path / "lmdb", 5, fmt="lmdb", seed=1, **kw)
    env = lmdb.open(str(tmp_path / "lmdb"), readonly=True, lock=False)
    with env.begin() as txn:
        assert txn.get(b"num-samples") == b"5"
        assert txn.get(b"label-000000001").decode() == text  # same seed, same sample
        w, h = (int(v) for v in txn.get(b"wh-000000005").decode().split("_"))
        assert h == 48 and w > 0 and txn.get(b"image-000000005")[:2] == b"\xff\xd8"
        assert txn.get(b"image-000000000") is None
    env.close()

    dkw = {"system_fonts": False, "photos": False, "size": (400, 500)}
    write_dataset("det", tmp_path / "det", 2, fmt="dir", seed=2, **dkw)
    recs = [
        json.loads(ln) for ln in (tmp_path / "det" / "labels.jsonl").read_text("utf-8").splitlines()
    ]
    assert len(recs) == 2 and recs[0]["image"].startswith("images/")
    assert all({"points", "text", "ignore"} <= set(i) for i in recs[0]["instances"])


def test_cli_synth(tmp_path):
    import argparse

    from openocr.cli import synth as cli

    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers())
    args = parser.parse_args(
        [
            "synth",
            "rec",
            "--n",
            "3",
            "--out",
            str(tmp_path / "o"),
            "--seed",
            "4",
            "--bundled-fonts-only",
        ]
    )
    assert args.func(args) == 0
    assert len((tmp_path / "o" / "labels.tsv").read_text("utf-8").splitlines()) == 3


def test_torch_datasets_deterministic(en):
    pytest.importorskip("torch")
    from openocr.synth.torch_data import SynthDetDataset, SynthRecDataset

    kw = {"charset": en, "system_fonts": False, "photos": False}
    a = list(SynthRecDataset(kw, seed=5, length=3))
    b = list(SynthRecDataset(kw, seed=5, length=3))
    c = list(SynthRecDataset(kw, seed=6, length=3))
    assert [x[1] for x in a] == [x[1] for x in b] and all(
        np.array_equal(x[0], y[0]) for x, y in zip(a, b, strict=True)
    )
    assert [x[1] for x in a] != [x[1] for x in c]
    img, inst = next(
        iter(
            SynthDetDataset(
                {"system_fonts": False, "photos": False, "size": (300, 400)}, seed=1, length=1
            )
        )
    )
    assert img.ndim == 3 and isinstance(inst, list)


def test_corpus_snapshot_round_trip(tmp_path, monkeypatch):
    from openocr.synth import text

    loaders = (
        text.english_words,
        text.dict_words,
        text.english_sentences,
        text.chinese_words,
        text.chinese_sentences,
    )
    before = [f() for f in loaders]
    counts = text.export_corpus(str(tmp_path), max_zh_words=1000)
    assert counts["en_words"] == len(before[0][0]) and counts["zh_words"] <= 1000
    monkeypatch.setenv(text.CORPUS_ENV, str(tmp_path))
    for f in loaders:
        f.cache_clear()
    try:
        after = [f() for f in loaders]
    finally:
        monkeypatch.delenv(text.CORPUS_ENV)
        for f in loaders:
            f.cache_clear()
    assert after[0][0] == before[0][0]
    assert np.allclose(after[0][1], before[0][1], rtol=1e-5)
    assert after[1:3] == before[1:3] and after[4] == before[4]
    zh_words, zh_weights = after[3]
    assert len(zh_words) == min(1000, len(before[3][0]))
    assert list(zh_weights) == sorted(zh_weights, reverse=True)


def test_distractors_stay_out_of_text_cells():
    from openocr.synth.det import add_distractors

    rng = np.random.default_rng(0)
    img = np.full((400, 600, 3), 200.0, np.float32)
    occupied = np.zeros((400 // 8 + 1, 600 // 8 + 1), bool)
    occupied[:, :38] = True  # left half holds text
    add_distractors(rng, img, occupied, 8)
    changed = (img != 200.0).any(axis=2)
    assert changed[:, 38 * 8 :].any() and not changed[:, : 38 * 8].any()


def _derived_font(tmp_path, name, remap=None, drop=""):
    """The bundled DejaVu Sans with its cmap edited: ``remap`` maps characters to the glyph of
    other characters (e.g. lower case drawn as capitals), ``drop`` removes characters."""
    from fontTools.ttLib import TTFont

    from openocr.synth.fonts import bundled_font_dir

    font = TTFont(str(bundled_font_dir() / "DejaVuSans-ascii.ttf"))
    for table in font["cmap"].tables:
        cmap = table.cmap
        glyphs = {chr(k): v for k, v in cmap.items()}
        for c, src in (remap or {}).items():
            cmap[ord(c)] = glyphs[src]
        for c in drop:
            cmap.pop(ord(c), None)
    font["name"].setName(name, 1, 3, 1, 0x409)
    font["name"].setName(name, 16, 3, 1, 0x409)
    path = tmp_path / f"{name.replace(' ', '')}.ttf"
    font.save(str(path))
    return path


def test_all_caps_faces_are_not_used_for_lower_case(tmp_path):
    """A face that draws capitals for lower-case letters would label an image of 'SALE' as
    'sale': the index drops its lower case, so it is only picked for text without it."""
    import string

    from openocr.synth.fonts import _builtin_chars, _scan_file

    caps = _derived_font(
        tmp_path, "Caps Test", remap={c: c.upper() for c in string.ascii_lowercase}
    )
    (face,) = _scan_file(caps, _builtin_chars())
    assert not any(c in face.chars for c in string.ascii_lowercase)
    assert face.covers("SALE 1947") and not face.covers("Sale")
    plain = _derived_font(tmp_path, "Plain Test")
    (face,) = _scan_file(plain, _builtin_chars())
    assert face.covers(string.ascii_letters + string.digits)


def test_partial_latin_faces_join_the_rec_pool_only(tmp_path):
    """Sign faces without some symbols draw the lines they cover in recognition training; the
    detection pages (which do not check coverage per line) keep full-ASCII faces only."""
    from openocr.synth.fonts import FontIndex
    from openocr.synth.rec import split_pools

    _derived_font(tmp_path, "Sign Test", drop="#$&*_{}~")
    faces = FontIndex.load(dirs=[tmp_path], system=False).faces
    sign = [f for f in faces if f.family == "Sign Test"]
    assert sign and not sign[0].is_latin
    assert sign[0] in split_pools(faces, partial_latin=True)[0]
    assert sign[0] not in split_pools(faces)[0]
    from openocr.synth import RecLineGenerator

    gen = RecLineGenerator(
        "en",
        height=32,
        seed=3,
        fonts=["Sign Test"],
        font_dirs=[tmp_path],
        system_fonts=False,
        photos=False,
    )
    for _ in range(40):  # lines only use what the face draws
        img, text = gen.sample()
        assert img.shape[0] == 32 and text and not set(text) & set("#$&*_{}~")


def test_design_family_counts_named_cuts_once():
    from openocr.synth.fonts import design_family

    assert design_family("CMU Serif") == design_family("CMU Bright") == "cmu"
    assert design_family("Tiresias Infofont Z") == design_family("Tiresias Signfont")
    assert design_family("OCRABold") == design_family("OCRA")
    assert design_family("Roadgeek 2014 Series EM") == "roadgeek"
    assert design_family("DejaVu Sans") != design_family("Liberation Sans")


def test_cjk_pool_counts_weights_and_cuts_of_one_design_once():
    from openocr.synth.fonts import Face, FontPool

    names = ["Noto Sans CJK SC", "Noto Sans CJK SC Black", "Noto Sans CJK TC", "kiloji"]
    names += ["kiloji - B", "kiloji - P", "TW-Kai", "TW-Sung"]
    names += ["KouzanBrushFont", "KouzanBrushFontGyousyo"]
    pool = FontPool([Face(f"/x/{i}.ttf", 0, n, "Regular", "中") for i, n in enumerate(names)])
    assert sorted(len(f) for f in pool.families) == [1, 1, 2, 3, 3]


def test_cursive_brush_cut_is_blocked():
    from openocr.synth.fonts import _blocked

    assert _blocked("KouzanBrushFontSousyo") and not _blocked("KouzanBrushFontGyousyo")
