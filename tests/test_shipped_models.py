"""Shipped weights: the ship script's round trip, and (once models ship) that every manifest entry
loads with a matching sha256 and that ``OpenOCR()`` reads the bundled receipt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openocr import weights
from openocr.eval.metrics import CharF1

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = weights.read_manifest()


def test_ship_script_writes_verified_entries(tmp_path, monkeypatch, load_script):
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from openocr.charset import Charset
    from openocr.checkpoint import save_checkpoint
    from openocr.models import create_model
    from openocr.runtime.onnx_backend import OnnxBackend

    ship = load_script("scripts/ship_model.py")
    monkeypatch.setattr(ship, "MODELS", tmp_path / "models")
    ckpt = save_checkpoint(
        tmp_path / "tiny.safetensors", create_model("repsvtr_tiny"), Charset.load("en"), {"a": 1}
    )
    card = tmp_path / "card.md"
    with pytest.raises(SystemExit):
        ship.main(["rec_mobile", str(ckpt), "--card", str(card)])  # no card: refused
    card.write_text("# rec_mobile\n")
    assert ship.main(["rec_mobile", str(ckpt), "--card", str(card)]) == 0
    manifest_path = tmp_path / "models" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert set(manifest) == {"rec_mobile", "rec_mobile_torch"}
    assert manifest["rec_mobile"]["charset"] == "en" and manifest["rec_mobile"]["task"] == "rec"
    onnx_path = weights.resolve("rec_mobile", manifest_path)
    torch_path = weights.resolve("rec_mobile_torch", manifest_path)
    assert (tmp_path / "models" / "rec_mobile.md").is_file()
    assert torch_path.stat().st_size < 0.6 * ckpt.stat().st_size  # fp16
    assert OnnxBackend(onnx_path).info.task == "rec"


needs_weights = pytest.mark.skipif(not SHIPPED, reason="no weights shipped yet (manifest absent)")


@needs_weights
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_entry_loads_and_matches_sha256(name):
    entry = SHIPPED[name]
    weights._verified.clear()
    path = weights.resolve(name)
    assert path is not None and weights.sha256_file(path) == entry["sha256"]
    assert (weights.models_dir() / entry["card"]).is_file(), "every shipped model has a card"
    if path.suffix == ".onnx":
        from openocr.runtime.onnx_backend import OnnxBackend

        info = OnnxBackend(path).info
    else:
        pytest.importorskip("torch")
        from openocr.runtime.torch_backend import TorchBackend

        info = TorchBackend.from_checkpoint(path).info
    assert info.task == entry["task"]
    if entry["task"] == "rec":
        assert info.charset.name == entry["charset"]


@needs_weights
def test_default_engine_reads_the_bundled_receipt():
    from openocr import OpenOCR
    from openocr.demo.examples import example_paths, receipt_text

    receipt = next(p for p in example_paths() if Path(p).name == "receipt.png")
    page = OpenOCR().ocr(receipt)
    truth = receipt_text()
    f1 = CharF1()
    f1.update([line.text for line in page.lines], truth)
    assert f1.result()["char_f1"] >= 0.95, [line.text for line in page.lines]


CARRIED = sorted((ROOT / "weights").glob("*.safetensors"))


@pytest.mark.skipif(not CARRIED, reason="no training weights carried in weights/")
@pytest.mark.parametrize("path", CARRIED, ids=lambda p: p.name)
def test_carried_training_weights_load_as_warm_start_and_have_cards(path: Path):
    """weights/ holds the newest training weights between sessions: each loads as a
    ``Global.pretrained`` warm start (fp16 -> fp32, every key) and has a card."""
    pytest.importorskip("torch")
    from openocr.checkpoint import load_checkpoint, load_weights_into
    from openocr.models import create_model

    _, meta = load_checkpoint(path)  # strict
    report = load_weights_into(create_model(meta["model_name"], **meta["model_kwargs"]), path)
    assert not any(report.values()), report
    card = path.with_suffix(".md")
    assert card.is_file() and path.name in card.read_text(encoding="utf-8")
