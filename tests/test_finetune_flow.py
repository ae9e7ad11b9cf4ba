"""The documented fine-tuning flow, end to end through the CLI:
train -> fine-tune from a checkpoint -> eval -> export -> OpenOCR inference."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from openocr.cli.main import main  # noqa: E402


def _train(out: Path, data: Path, *extra: str) -> None:
    assert (
        main(
            [
                "train",
                "-c",
                str(Path(__file__).resolve().parents[1] / "configs/rec/repsvtr_en.yml"),
                "-o",
                f"Global.output_dir={out}",
                "Global.max_steps=12",
                "Global.eval_every=0",
                "Global.log_every=4",
                "Global.num_threads=1",
                "Model.name=repsvtr_tiny",
                "Optimizer.lr=0.003",
                "Scheduler.warmup_steps=2",
                f"Train.sources=[{{type: label_file, data_dir: {data}, label_file: {data / 'train.txt'}}}]",
                "Train.transforms={height: 32, width: 128}",
                "Train.loader.batch_size=8",
                "Train.loader.num_workers=0",
                "Eval.sources=[]",
                *extra,
            ]
        )
        == 0
    )


def test_train_finetune_eval_export_infer(
    rec_label_dir: Path, det_eval_dir: Path, tmp_path: Path, capsys
):
    _train(tmp_path / "base", rec_label_dir)
    _train(
        tmp_path / "ft",
        rec_label_dir,
        f"Global.pretrained={tmp_path / 'base' / 'latest.safetensors'}",
    )
    assert "fine-tuning from" in (tmp_path / "ft" / "train.log").read_text()
    ckpt = tmp_path / "ft" / "latest.safetensors"

    # eval with the torch checkpoint, then with the exported ONNX file: same accuracy
    torch_json, onnx_json = tmp_path / "torch.json", tmp_path / "onnx.json"
    assert (
        main(
            [
                "eval",
                "rec",
                "--data",
                str(rec_label_dir),
                "--model",
                str(ckpt),
                "--protocol",
                "exact",
                "--json",
                str(torch_json),
            ]
        )
        == 0
    )
    onnx_path = tmp_path / "rec.onnx"
    assert main(["export", str(ckpt), "--out", str(onnx_path)]) == 0
    assert "parity ok" in capsys.readouterr().out
    assert (
        main(
            [
                "eval",
                "rec",
                "--data",
                str(rec_label_dir),
                "--model",
                str(onnx_path),
                "--protocol",
                "exact",
                "--json",
                str(onnx_json),
            ]
        )
        == 0
    )
    t, o = json.loads(torch_json.read_text()), json.loads(onnx_json.read_text())
    name = rec_label_dir.name
    assert t[name]["num_samples"] == o[name]["num_samples"] == 20
    assert t[name]["norm_edit_dis"] == pytest.approx(o[name]["norm_edit_dis"], abs=0.02)

    # the exported recognizer runs inside the engine next to a detector
    from openocr import OpenOCR
    from openocr.export_onnx import export_onnx
    from openocr.models.registry import create_model

    det_path = export_onnx(create_model("repvit_db_tiny"), tmp_path / "det.onnx")
    engine = OpenOCR(det_model=str(det_path), rec_model=str(onnx_path))
    outs = engine.recognize([np.full((32, 100, 3), 255, np.uint8)])
    assert len(outs) == 1 and isinstance(outs[0].text, str)
    page = engine.ocr(str(next((det_eval_dir / "images").iterdir())))
    assert page.width > 0 and isinstance(page.lines, list)
