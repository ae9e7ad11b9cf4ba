"""The OpenOCR engine: reference call contract, typed API, batching, backends, weights."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from engine_models import (
    FAKE_CHARS,
    LevelRec,
    export_tiny_rec,
    level_crop,
    make_dark_det_onnx,
    rect_page,
    render_page,
    tiny_rec_model,
)
from openocr import OpenOCR
from openocr.errors import InputError, ModelError
from openocr.predictors import RecPredictor
from openocr.preprocess.rec import RecPreConfig, rec_resize, rotated_band
from openocr.results import Page, TextLine


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    return make_dark_det_onnx(d / "det.onnx"), export_tiny_rec(d / "rec.onnx")


@pytest.fixture(scope="session")
def engine(models):
    return OpenOCR(det_model=models[0], rec_model=models[1], drop_score=0.0)


RECTS = [(300, 40, 500, 70), (40, 45, 240, 75), (60, 200, 400, 240)]


def test_refuses_without_weights(monkeypatch, tmp_path):
    monkeypatch.setattr("openocr.weights.models_dir", lambda: tmp_path)
    with pytest.raises(ModelError, match=r"no trained weights.*det_model=.*rec_model="):
        OpenOCR()
    with pytest.raises(ModelError, match="server"):
        OpenOCR(mode="server")
    with pytest.raises(ModelError, match=r"missing rec_mobile in .*rec_model=") as exc:
        OpenOCR(det_model="det.onnx")
    assert "det_model=" not in str(exc.value)
    with pytest.raises(ModelError, match=r"missing rec_mobile_ch"):
        OpenOCR(det_model="det.onnx", lang="ch")
    with pytest.raises(ModelError, match="lang must be one of en, ch"):
        OpenOCR(lang="fr")


def test_weights_manifest_sha256(tmp_path, models):
    from openocr import weights

    blob = tmp_path / "det.onnx"
    blob.write_bytes(models[0].read_bytes())
    manifest = tmp_path / "manifest.json"
    good = {
        "det_mobile": {
            "file": "det.onnx",
            "sha256": weights.sha256_file(blob),
            "task": "det",
            "charset": None,
        }
    }
    manifest.write_text(json.dumps(good))
    assert weights.resolve("det_mobile", manifest) == blob
    bad = {"det_mobile": {**good["det_mobile"], "sha256": "0" * 64}}
    manifest.write_text(json.dumps(bad))
    weights._verified.clear()
    with pytest.raises(ModelError, match="sha256 mismatch"):
        weights.resolve("det_mobile", manifest)


def test_import_is_light():
    code = (
        "import sys, openocr; from openocr import OpenOCR, load_image, Page; "
        "bad = [m for m in ('torch', 'onnxruntime') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_detect_reading_order_and_source_coordinates(engine):
    page = rect_page(RECTS)
    det = engine.detect(page)
    assert det.boxes.shape == (3, 4, 2)
    # reading order: the two boxes of the first line left to right, then the second line
    for box, (x0, y0, x1, y1) in zip(det.boxes, [RECTS[1], RECTS[0], RECTS[2]], strict=True):
        assert box[:, 0].min() <= x0 and box[:, 0].max() >= x1 - 1
        assert box[:, 1].min() <= y0 and box[:, 1].max() >= y1 - 1
        assert box[:, 0].min() > x0 - 50 and box[:, 1].max() < y1 + 50  # unclip 2.2: ~40 px
    # a page twice as large is read at its own scale and mapped back to its own pixels
    big = np.asarray(Image.fromarray(page).resize((1200, 800), Image.NEAREST))
    det2 = engine.detect(
        big
    )  # (its two top boxes are 10 px apart: separate lines by the 10 px rule)
    key = lambda b: (b[:, 1].mean() // 100, b[:, 0].mean())  # noqa: E731
    np.testing.assert_allclose(
        sorted(det2.boxes / 2.0, key=key), sorted(det.boxes, key=key), atol=6
    )


def test_reference_call_on_a_folder(engine, tmp_path):
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    Image.fromarray(render_page(["HELLO WORLD", "openocr 42"])).save(imgs / "b.png")
    Image.fromarray(rect_page(RECTS)).save(imgs / "a.jpg")
    Image.fromarray(rect_page([])).save(imgs / "blank.png")  # no result: skipped
    (imgs / "broken.png").write_bytes(b"not an image")  # reported, the batch continues
    out = tmp_path / "out"
    results, time_dicts = engine(str(imgs), save_dir=str(out), is_visualize=True)
    assert [r.split("\t")[0] for r in results] == ["a.jpg", "b.png"]
    for line in results:
        assert re.fullmatch(r"[^\t\n]+\t\[.*\]\n", line)
        items = json.loads(line.split("\t", 1)[1])
        for it in items:
            assert list(it) == ["transcription", "points", "score"]
            assert isinstance(it["transcription"], str) and isinstance(it["score"], float)
            assert len(it["points"]) == 4 and all(
                isinstance(v, int) for p in it["points"] for v in p
            )
    assert len(json.loads(results[0].split("\t", 1)[1])) == 3
    assert (out / "system_results.txt").read_text(encoding="utf-8") == "".join(results)
    assert sorted(p.name for p in (out / "vis_results").iterdir()) == [
        "a.jpg",
        "b.png",
        "blank.png",
    ]
    assert len(time_dicts) == 3
    assert set(time_dicts[0]) == {
        "time_cost",
        "detection_time",
        "recognition_time",
        "avg_rec_time_cost",
    }
    assert engine(str(imgs / "blank.png")) == (None, None)
    with pytest.raises(InputError, match="broken.png"):
        engine(str(imgs / "broken.png"))
    with pytest.raises(InputError, match="missing.png: no such file"):
        engine(str(imgs / "missing.png"))


def test_reference_call_on_arrays(engine):
    page = rect_page(RECTS)
    results, times = engine(img_numpy=[page, rect_page([])])
    assert len(results) == 2 and len(results[0]) == 3 and results[1] == []
    assert set(results[0][0]) == {"transcription", "points", "score"}
    res, _, mask = engine(page, return_mask=True)
    assert mask.ndim == 4 and mask.shape[:2] == (1, 1) and len(res[0]) == 3


def test_typed_ocr_page(engine):
    img = rect_page(RECTS)
    page = engine.ocr(img)
    assert isinstance(page, Page) and (page.width, page.height) == (600, 400) and len(page) == 3
    assert page.text == "\n".join(line.text for line in page.lines)
    assert Page.from_dict(json.loads(page.to_json())) == page
    for key in ("det_pre", "det_model", "det_post", "rec_pre", "rec_model", "rec_post", "total"):
        assert page.timings[key] >= 0
    assert engine.ocr(img, box_thresh=1.0).lines == []
    assert len(engine.ocr(img)) == 3  # per-call overrides did not persist
    vis = page.draw(img)
    assert vis.shape == (400, 1200, 3) and vis.dtype == np.uint8


def test_drop_score_filters(models):
    strict = OpenOCR(det_model=models[0], rec_model=models[1], drop_score=1.01)
    assert strict.ocr(rect_page(RECTS)).lines == []
    assert len(strict.ocr(rect_page(RECTS), drop_score=0.0)) == 3  # per-call override
    assert strict.drop_score == 1.01
    auto = OpenOCR(backend=None, det_model=models[0], rec_model=models[1], drop_score=0.0)
    assert len(auto.ocr(rect_page(RECTS))) == 3


def test_recognize_and_torch_backend_agree(models, tmp_path):
    from openocr.api import build_recognizer
    from openocr.charset import Charset
    from openocr.checkpoint import save_checkpoint

    model = tiny_rec_model()
    crops = [
        render_page(["Hello"], width=160)[10:60],
        render_page(["a much longer line"], width=400)[10:60],
    ]
    onnx_engine = OpenOCR(det_model=models[0], rec_model=models[1])
    a = onnx_engine.recognize(crops)
    ckpt = save_checkpoint(tmp_path / "rec.safetensors", model, charset=Charset.load("en"))
    for rec in (
        build_recognizer(model, backend="torch", charset="en"),
        build_recognizer(ckpt, backend="torch"),
    ):
        b, _ = rec(crops)
        assert [r.text for r in a] == [r.text for r in b]
        np.testing.assert_allclose([r.score for r in a], [r.score for r in b], atol=1e-4)
    from openocr.models.reparam import is_reparameterized

    assert not is_reparameterized(model)  # the caller's model was not fused in place


def test_poly_box_type(models):
    eng = OpenOCR(det_model=models[0], rec_model=models[1], drop_score=0.0, det_box_type="poly")
    page = eng.ocr(rect_page([(40, 45, 240, 75)]))
    assert len(page) == 1 and len(page.lines[0].points) >= 4


def test_rec_resize_averages_when_shrinking():
    # a 1-px line that bilinear sampling at 4x reduction steps over (rows 49-50, 53-54 sampled)
    crop = np.zeros((128, 256, 3), np.uint8)
    crop[52] = 255
    x = rec_resize(crop, 32)
    assert x.shape == (3, 32, 64)
    assert x.max() == pytest.approx(255 / 4 / 127.5 - 1, abs=0.02)


def test_rec_batches_sorted_by_width_and_order_restored():
    rng = np.random.default_rng(0)
    backend = LevelRec()
    rec = RecPredictor(backend, cfg=RecPreConfig(batch_size=3))
    classes = list(rng.integers(1, 11, 11))
    crops = [
        level_crop([k], block=int(w), height=32)
        for k, w in zip(classes, rng.integers(10, 400, 11), strict=True)
    ]
    outs, timings = rec(crops)
    assert [o.text for o in outs] == [FAKE_CHARS[k - 1] for k in classes]
    assert len(backend.calls) == 4  # 11 crops / batch 3
    widths = [c[3] for c in backend.calls]
    assert widths == sorted(widths)  # sorted by aspect ratio: each batch padded to its own max
    assert timings["rec_model"] > 0


class WidthScoredRec(LevelRec):
    """LevelRec whose confidence grows with the input width (so a stretched re-read wins)."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        probs = super().__call__(x)
        content = (x[:, 0, x.shape[2] // 2] != 0).sum(1)  # columns that are not padding
        return np.where(probs > 0.5, np.minimum(0.99, content / 1000)[:, None, None], probs)


def test_dense_crops_are_read_again_stretched():
    levels = [1, 2, 3, 4, 5, 6, 7, 8]
    dense = level_crop(levels, block=6)  # 6-px characters: stride-8 steps skip some of them
    sparse = level_crop([1, 2])  # 1 character per height: read once
    backend = WidthScoredRec()
    once = RecPredictor(backend, cfg=RecPreConfig(retry_density=0))([dense, sparse])[0]
    wide = RecPredictor(backend, cfg=RecPreConfig(retry_density=0, x_scale=1.5))([dense])[0]
    assert once[0].text == "abcefg" and wide[0].text == "abcdefgh"  # x1 skips "d" and "h"
    backend.calls.clear()
    cfg = RecPreConfig(retry_scales=(1.25, 1.5), rotate_angles=())
    outs, _ = RecPredictor(backend, cfg=cfg)([dense, sparse])
    assert [o.text for o in outs] == [wide[0].text, "ab"]  # the best-scored (x1.5) reading
    assert len(backend.calls) == 3 and [c[0] for c in backend.calls[1:]] == [1, 1]


def test_tall_crops_are_read_again_turned():
    tall = np.ascontiguousarray(np.rot90(level_crop([1, 2, 3]), k=-1))  # top to bottom: a, b, c
    square = level_crop([4])
    backend = WidthScoredRec()
    plain = RecPredictor(backend, cfg=RecPreConfig(tall_ratio=0))([tall, square])[0]
    assert plain[0].text == "b"  # squeezed to 16 px wide: only the middle block is seen
    backend.calls.clear()
    outs, _ = RecPredictor(backend)([tall, square])
    assert [o.text for o in outs] == ["abc", "d"]  # turned reading wins; square read once
    assert [c[0] for c in backend.calls] == [2, 1]


class MiddleRowRec(LevelRec):
    """Reads one "a" whose confidence is the dark share of the input's middle row (padding left
    out): a dark bar turned level scores best."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.calls.append(x.shape)
        b, _, h, w = x.shape
        row = x[:, 0, h // 2]
        dark = ((row < -0.5).sum(1) / np.maximum(1, (row != 0).sum(1))).astype(np.float32)
        n = len(FAKE_CHARS) + 1
        probs = np.full((b, w // 8, n), 0.001, np.float32)
        probs[:, :, 0] = 1 - 0.001 * (n - 1)  # blank
        dark = np.clip(dark, 0.2, 0.99)  # "a" stays the first step's best class
        probs[:, 0] = ((1 - dark) / (n - 1))[:, None]
        probs[:, 0, 1] = dark
        return probs


def tilted_bar(angle: float, w: int = 120, h: int = 24) -> np.ndarray:
    """White axis-aligned crop around a black w x h bar rotated by ``angle`` degrees."""
    pts = cv2.boxPoints(((0.0, 0.0), (float(w), float(h)), angle))
    pts -= pts.min(0)
    size = np.ceil(pts.max(0)).astype(int) + 1
    img = np.full((size[1], size[0], 3), 255, np.uint8)
    cv2.fillPoly(img, [np.round(pts).astype(np.int32)], (0, 0, 0))
    return img


def test_rotated_band_levels_a_tilted_word():
    crop = tilted_bar(24)
    bands = [rotated_band(crop, a) for a in (24, -24)]
    level = max(bands, key=lambda b: (b[b.shape[0] // 2] < 128).mean())
    assert abs(level.shape[0] - 24 * 1.3) <= 3 and abs(level.shape[1] - (120 + 24 * 0.3)) <= 3
    assert (level[level.shape[0] // 2] < 128).mean() > 0.9
    assert rotated_band(crop, 45) is None  # no word fills its box at 45 degrees
    assert rotated_band(np.zeros((10, 200, 3), np.uint8), 36) is None  # too flat for 36


def test_unsure_short_crops_are_read_again_turned():
    crop, wide = tilted_bar(24), np.full((20, 200, 3), 255, np.uint8)
    wide[10:, :60] = 0  # dark share 0.3 on the middle row: unsure, but too wide to be a tilt
    backend = MiddleRowRec()
    plain = RecPredictor(backend, cfg=RecPreConfig(rotate_angles=()))([crop, wide])[0]
    assert len(backend.calls) == 1 and plain[0].score < 0.9
    backend.calls.clear()
    outs, _ = RecPredictor(backend, cfg=RecPreConfig(rotate_angles=(24.0, -24.0)))([crop, wide])
    assert outs[0].text == "a" and outs[0].score > 0.9  # the level reading wins
    assert outs[1].score == plain[1].score  # wide crop not retried
    assert [c[0] for c in backend.calls] == [2, 1, 1]  # one crop re-read per angle


def test_long_line_split_with_overlap_loses_and_repeats_nothing():
    levels = [1 + (i * 7) % 10 for i in range(60)]  # 60 blocks of 48 px: 2880 px, ratio 60
    crop = level_crop(levels)
    whole_backend, split_backend = LevelRec(), LevelRec()
    whole = RecPredictor(whole_backend, cfg=RecPreConfig(max_width=10_000))([crop])[0][0]
    split = RecPredictor(split_backend, cfg=RecPreConfig(max_width=1920, overlap=96))([crop])[0][0]
    assert whole.text == "".join(FAKE_CHARS[k - 1] for k in levels)
    assert split.text == whole.text
    assert max(c[3] for c in split_backend.calls) <= 1920  # no window wider than the cap
    assert np.all(np.diff(split.positions) > 0)


def test_words_from_ctc_positions():
    backend = LevelRec()
    rec = RecPredictor(backend)
    out = rec([level_crop([1, 2, 3])])[0][0]
    assert out.text == "abc" and np.all(np.diff(out.positions) > 0) and out.positions.max() <= 1


def test_exported_registry_detector_runs(models, tmp_path):
    """A detector exported from the registry (random weights) goes through the same path."""
    import torch

    from openocr.export_onnx import export_onnx
    from openocr.models import create_model

    torch.manual_seed(0)
    det_path = export_onnx(create_model("repvit_db_tiny"), tmp_path / "det.onnx")
    eng = OpenOCR(det_model=det_path, rec_model=models[1], drop_score=0.0)
    assert eng.det.backend.info.task == "det"
    det = eng.detect(rect_page(RECTS), thresh=0.0, box_thresh=0.0)
    assert det.boxes.dtype == np.int32 and det.boxes.ndim == 3 and det.boxes.shape[1:] == (4, 2)
    res, times = eng(img_numpy=rect_page(RECTS), thresh=0.0, box_thresh=0.0)
    assert len(res) == 1 and len(times) == 1
    with pytest.raises(ModelError, match="expected a detection model"):
        OpenOCR(det_model=models[1], rec_model=models[1])


def test_word_boxes_follow_ctc_positions():
    from openocr.api import _words
    from openocr.predictors import RecOutput

    quad = np.array([[0, 0], [100, 0], [100, 10], [0, 10]], np.float32)
    out = RecOutput(
        "ab cd", 0.9, np.full(5, 0.9, np.float32), np.array([0.1, 0.2, 0.5, 0.7, 0.8], np.float32)
    )
    words = _words("ab cd", out, quad)
    assert [w.text for w in words] == ["ab", "cd"]
    assert words[0].points[0][0] <= 10 and 20 <= words[0].points[1][0] < 50
    assert 50 < words[1].points[0][0] <= 70 and words[1].points[1][0] >= 80
    line = TextLine("ab cd", np.float32(0.9), quad, det_score=np.float32(0.8), words=words)
    page = json.loads(Page(100, 10, [line]).to_json())  # jsonl output of `openocr ocr`
    assert page["lines"][0]["words"][1] == words[1].to_dict()
    assert type(page["lines"][0]["words"][0]["points"][0][0]) is int
    assert _words("single", RecOutput("single", 0.9, np.ones(6), np.linspace(0, 1, 6)), quad) == []


def test_rec_padding_follows_the_training_config():
    """A recognizer trained with per-batch padding is not padded to the fixed training width."""
    short = level_crop([1, 2])
    fixed, tight = LevelRec(height=32), LevelRec(height=32)
    tight.info.config = {"Train": {"transforms": {"height": 32, "pad": "batch"}}}
    assert RecPredictor(fixed)([short])[0][0].text == "ab"
    assert RecPredictor(tight)([short])[0][0].text == "ab"
    assert fixed.calls[0][3] >= 200 and tight.calls[0][3] < fixed.calls[0][3]
