"""scripts/gpu_chunk.py: what travels back from the device fits its limits and merges locally."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from openocr.charset import Charset
from openocr.checkpoint import load_checkpoint, save_checkpoint
from openocr.models import create_model


@pytest.fixture(scope="module")
def chunk(load_script):
    return load_script("scripts/gpu_chunk.py")


def _run_dir(tmp_path: Path, log_lines: list[str]) -> Path:
    run = tmp_path / "run"
    charset = Charset.load("en")
    model = create_model("repsvtr_tiny", num_classes=len(charset) + 1)
    for name in ("latest.safetensors", "best.safetensors"):
        save_checkpoint(run / name, model, charset, {"Global": {"task": "rec"}})
    torch.save({"step": 3, "pad": torch.zeros(200_000)}, run / "latest_state.pt")
    (run / "train.log").write_text("".join(ln + "\n" for ln in log_lines))
    return run


def test_pack_whole_checkpoint_then_collect_merges_logs(chunk, tmp_path):
    run = _run_dir(tmp_path, ["a", "b", "c"])
    names = chunk.pack(run, tmp_path / "out")
    assert set(names) == {"latest.safetensors", "latest_state.pt", "best.safetensors", "train.log"}
    local = tmp_path / "local"
    local.mkdir()
    (local / "train.log").write_text("a\nb\n")  # the previous chunk brought these already
    chunk.collect(type("A", (), {"files_at": str(tmp_path / "out"), "run_dir": str(local)}))
    assert (local / "train.log").read_text() == "a\nb\nc\n"
    assert (local / "latest_state.pt").is_file() and not (local / "chunk").exists()
    load_checkpoint(local / "latest.safetensors")


def test_pack_over_budget_sends_fp16_weights_only(chunk, tmp_path):
    run = _run_dir(tmp_path, ["x"])
    weights = (run / "latest.safetensors").stat().st_size
    names = chunk.pack(run, tmp_path / "out", budget=weights)  # fp32 + state cannot fit
    assert names[0] == "latest_fp16.safetensors" and "latest_state.pt" not in names
    load_checkpoint(run / "latest_fp16.safetensors")
    stored = load_file(run / "latest_fp16.safetensors")
    assert any(t.dtype == torch.float16 for t in stored.values())
    parts = sorted((tmp_path / "out").glob("ckpt.tar.part*"))
    assert parts and all(p.stat().st_size <= chunk.PART for p in parts)
