"""The `openocr ocr|det|rec` subcommands and the reference's tools/infer_*.py scripts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from engine_models import export_tiny_rec, make_dark_det_onnx, rect_page, render_page
from openocr.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
RECTS = [(300, 40, 500, 70), (40, 45, 240, 75), (60, 200, 400, 240)]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli_models")
    return str(make_dark_det_onnx(d / "det.onnx")), str(export_tiny_rec(d / "rec.onnx"))


@pytest.fixture
def images(tmp_path):
    d = tmp_path / "imgs"
    d.mkdir()
    Image.fromarray(rect_page(RECTS)).save(d / "page.png")
    Image.fromarray(render_page(["HELLO 42"], width=240)).save(d / "line.jpg")
    frames = [Image.fromarray(rect_page(RECTS[:k])) for k in (1, 0)]
    frames[0].save(d / "doc.tiff", save_all=True, append_images=frames[1:])
    return d


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_ocr_outputs_and_exit_code(models, images, tmp_path, capsys):
    (images / "bad.png").write_bytes(b"garbage")
    out = tmp_path / "out"
    argv = [
        "ocr",
        str(images),
        "--det-model",
        models[0],
        "--rec-model",
        models[1],
        "--drop-score",
        "0",
    ]
    rc = main([*argv, "--out", str(out), "--format", "system,jsonl,txt", "--vis"])
    captured = capsys.readouterr()
    assert rc == 1  # one input failed, the rest were processed
    err = [ln for ln in captured.err.splitlines() if ln]
    assert len(err) == 1 and re.fullmatch(r"openocr: error: .*bad\.png: not an image.*", err[0])
    lines = _lines(out / "system_results.txt")
    names = [ln.split("\t")[0] for ln in lines]
    assert names == ["doc.tiff_0", "doc.tiff_1", "line.jpg", "page.png"]
    for ln in lines:
        name, payload = ln.rstrip("\n").split("\t")
        for item in json.loads(payload):
            assert list(item) == ["transcription", "points", "score"]
    assert json.loads(lines[1].split("\t")[1]) == []  # empty multi-page page is still written
    assert len(json.loads(lines[3].split("\t")[1])) == 3
    records = [json.loads(x) for x in _lines(out / "results.jsonl")]
    assert sum("error" in r for r in records) == 1 and len(records) == 5
    page = next(r for r in records if r.get("source", "").endswith("page.png"))
    assert page["width"] == 600 and len(page["lines"]) == 3
    assert sorted(p.name for p in (out / "text").iterdir()) == [
        "doc_0.txt",
        "doc_1.txt",
        "line.txt",
        "page.txt",
    ]
    assert sorted(p.name for p in (out / "vis_results").iterdir()) == [
        "doc_0.png",
        "doc_1.png",
        "line.jpg",
        "page.png",
    ]
    rc = main([*argv[:1], str(images / "page.png"), *argv[2:], "--out", str(tmp_path / "o2"), "-q"])
    assert rc == 0 and capsys.readouterr().out == ""


def test_ocr_without_models_fails_cleanly(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("openocr.weights.models_dir", lambda: tmp_path)
    Image.fromarray(rect_page(RECTS)).save(tmp_path / "a.png")
    assert main(["ocr", str(tmp_path / "a.png"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--det-model" in err and "--rec-model" in err


def test_det_and_rec_subcommands(models, images, tmp_path, capsys):
    out = tmp_path / "det"
    assert (
        main(
            ["det", str(images / "page.png"), "--det-model", models[0], "--out", str(out), "--vis"]
        )
        == 0
    )
    (line,) = _lines(out / "det_results.txt")
    path, payload = line.rstrip("\n").split("\t")
    assert path.endswith("page.png")
    boxes = json.loads(payload)
    assert len(boxes) == 3 and all(list(b) == ["points"] and len(b["points"]) == 4 for b in boxes)
    assert (out / "vis_results" / "page.png").is_file()
    assert (
        main(
            [
                "det",
                str(images / "page.png"),
                "--det-model",
                models[0],
                "--out",
                str(out),
                "--det-box-type",
                "poly",
            ]
        )
        == 0
    )
    assert all(
        len(b["points"]) >= 4 for b in json.loads(_lines(out / "det_results.txt")[0].split("\t")[1])
    )
    det = ["det", str(images / "page.png"), "--det-model", models[0], "--out", str(out)]
    assert main([*det, "--limit-type", "max", "--limit-side-len", "480"]) == 0
    assert len(json.loads(_lines(out / "det_results.txt")[0].split("\t")[1])) == 3
    for bad in (["--limit-type", "long"], ["--limit-side-len", "0"]):
        with pytest.raises(SystemExit):  # argparse: one-line usage error
            main([*det, *bad])
    out = tmp_path / "rec"
    assert (
        main(
            [
                "rec",
                str(images / "line.jpg"),
                str(images / "nope.png"),
                "--rec-model",
                models[1],
                "--out",
                str(out),
            ]
        )
        == 1
    )
    (line,) = _lines(out / "rec_results.txt")
    assert re.fullmatch(r"[^\t]+line\.jpg\t[^\t\n]*\t\d\.\d{3}\n", line)
    assert "nope.png: no such file" in capsys.readouterr().err
    tilted = ["rec", str(images / "line.jpg"), "--rec-model", models[1], "--out", str(out)]
    assert main([*tilted, "--tilted-words"]) == 0
    assert _lines(out / "rec_results.txt")[0].split("\t")[0].endswith("line.jpg")
    assert main([*tilted, "--lexicon", "none"]) == 0
    capsys.readouterr()
    assert main([*tilted, "--lexicon", str(tmp_path / "no_words.txt")]) == 2
    assert "lexicon" in capsys.readouterr().err


def _run_tool(script: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_tools_infer_e2e(models, images, tmp_path):
    r = _run_tool(
        "infer_e2e.py",
        [
            f"--img_path={images}",
            f"--onnx_det_model_path={models[0]}",
            f"--onnx_rec_model_path={models[1]}",
            "--drop_score=0",
        ],
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    lines = _lines(tmp_path / "e2e_results" / "system_results.txt")
    assert [ln.split("\t")[0] for ln in lines] == [
        "doc.tiff_0",
        "doc.tiff_1",
        "line.jpg",
        "page.png",
    ]
    assert r.stdout == "".join(lines)


def test_tools_infer_det_and_rec_with_config(models, images, tmp_path):
    cfg = tmp_path / "cfg.yml"
    cfg.write_text(
        "Global:\n  device: cpu\nPostProcess:\n  name: DBPostProcess\n  box_thresh: 0.6\n"
    )
    r = _run_tool(
        "infer_det.py",
        [
            "--c",
            str(cfg),
            "--o",
            f"Global.infer_img={images / 'page.png'}",
            f"Global.onnx_model_path={models[0]}",
        ],
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    (line,) = _lines(tmp_path / "det_results" / "det_results.txt")
    assert len(json.loads(line.split("\t")[1])) == 3
    r = _run_tool(
        "infer_rec.py",
        [
            "--c",
            str(cfg),
            "--o",
            f"Global.infer_img={images}",
            f"Global.onnx_model_path={models[1]}",
        ],
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert len(_lines(tmp_path / "rec_results" / "rec_results.txt")) == 4  # 2 images + 2 TIFF pages
    r = _run_tool("infer_det.py", ["--c", str(cfg)], tmp_path)
    assert r.returncode == 2 and "Global.infer_img" in r.stderr
