"""The Gradio demo driven in headless Chromium (Playwright with the system browser): upload a
bundled example, see the recognized text appear (equal to the Python API's), move the drop-score
slider and see lines disappear, move the box threshold and see the detector re-run, and save a
screenshot to docs/images/demo.png. Models: synthetic ONNX detector and recognizer, so the
text is deterministic (not real words)."""

from __future__ import annotations

import gc
import os
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from openocr.demo.app import DemoLogic, filter_page, line_rows
from openocr.demo.examples import EXAMPLE_NAMES, example_paths, render_examples

DOCS_IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
# the screenshot goes to docs/ only on request (OPENOCR_UPDATE_DOCS=1): tests never dirty the tree
UPDATE_DOCS = os.environ.get("OPENOCR_UPDATE_DOCS") == "1"


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def factory(tmp_path_factory):
    from demo_models import make_shade_rec_onnx
    from engine_models import make_dark_det_onnx
    from openocr import OpenOCR

    d = tmp_path_factory.mktemp("demo_models")
    det, rec = make_dark_det_onnx(d / "det.onnx"), make_shade_rec_onnx(d / "rec.onnx")
    engines = {}

    def make(mode: str, backend: str):
        if (mode, backend) not in engines:
            engines[mode, backend] = OpenOCR(
                det_model=det, rec_model=rec, drop_score=0.0, threads=1
            )
        return engines[mode, backend]

    return make


def test_examples_bundled_and_small(tmp_path):
    paths = example_paths()
    assert sorted(Path(p).name for p in paths) >= sorted(EXAMPLE_NAMES)
    for p in paths:
        assert Path(p).stat().st_size < 100_000
    fresh = render_examples(tmp_path)  # the renderer still reproduces them
    for p in fresh:
        shipped = Image.open(Path(example_paths()[0]).parent / p.name)
        assert Image.open(p).size == shipped.size


def test_demo_logic_filters_and_writes_json(factory, tmp_path):
    img = np.asarray(Image.open(Path(example_paths()[0]).parent / "sign.png").convert("RGB"))
    logic = DemoLogic(factory, tmp_path)
    page, wall = logic.run(img, "mobile", "onnx", 0.3, 0.6, 1.5, 960, "slow")
    assert len(page) >= 3 and wall > 0
    cut = float(np.median([ln.score for ln in page.lines]))
    vis, text, rows, json_path, timings = logic.view(img, page, cut, wall)
    kept = filter_page(page, cut)
    assert 0 < len(kept) < len(page) and text == kept.text and rows == line_rows(kept)
    assert vis.shape == (img.shape[0], 2 * img.shape[1], 3)
    assert Path(json_path).read_text().count('"text"') == len(kept)
    assert f"{len(kept)} lines" in timings
    fewer, _ = logic.run(img, "mobile", "onnx", 0.3, 0.99, 1.5, 960, "slow")
    assert len(fewer) < len(page)  # the box threshold reaches the detector
    assert logic.view(None, None, 0.5, None)[1] == ""


def test_demo_temp_folder_is_removed_with_the_demo(factory):
    logic = DemoLogic(factory)
    folder = logic.json_dir
    assert folder.is_dir()
    (folder / "ocr_x.json").write_text("{}")
    del logic
    gc.collect()
    assert not folder.exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_in_chromium(factory, tmp_path):
    browser_path = chromium_path()
    if browser_path is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    pytest.importorskip("gradio")
    from openocr.demo.app import build_demo, demo_theme

    sign = str(Path(example_paths()[0]).parent / "sign.png")
    img = np.asarray(Image.open(sign).convert("RGB"))
    page = factory("mobile", "onnx").ocr(img)
    scores = sorted(ln.score for ln in page.lines)
    assert len(scores) >= 3 and scores[0] >= 0.5
    cut = round((scores[0] + scores[-1]) / 2, 2)
    kept = filter_page(page, cut)
    assert 0 < len(kept) < len(page)

    demo = build_demo(factory, drop_score=0.5)
    port = free_port()
    demo.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        theme=demo_theme(),
    )
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=browser_path, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                tab = browser.new_page(viewport={"width": 1400, "height": 1000})
                local = f"http://127.0.0.1:{port}"
                tab.route(  # no network in tests: refuse anything not served by the demo
                    lambda url: not url.startswith(local),
                    lambda route: route.abort(),
                )
                tab.goto(local + "/", wait_until="domcontentloaded")
                tab.locator("#input-image input[type=file]").set_input_files(sign)
                text = tab.locator("#ocr-text textarea")
                tab.wait_for_function(
                    "([sel, want]) => document.querySelector(sel)?.value === want",
                    arg=["#ocr-text textarea", page.text],
                    timeout=30_000,
                )
                assert text.input_value() == page.text
                grid = tab.locator("#ocr-lines [role=grid]")

                def rows() -> int:  # the table is virtualized: ask its ARIA row count
                    return int(grid.get_attribute("aria-rowcount")) - 1

                assert rows() == len(page)
                assert "lines" in tab.locator("#ocr-timings").inner_text()
                assert ".json" in tab.locator("#ocr-json").inner_text()

                drop = tab.locator("#drop-score input[type=number]")
                drop.fill(str(cut))
                drop.press("Enter")
                tab.wait_for_function(
                    "([sel, want]) => document.querySelector(sel)?.value === want",
                    arg=["#ocr-text textarea", kept.text],
                    timeout=30_000,
                )
                assert rows() == len(kept)
                shot = DOCS_IMAGES / "demo.png" if UPDATE_DOCS else tmp_path / "demo.png"
                tab.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000

                track = tab.locator("#box-thresh input[type=range]").bounding_box()
                tab.mouse.click(track["x"] + track["width"] - 1, track["y"] + track["height"] / 2)
                tab.wait_for_function(
                    "sel => document.querySelector(sel)?.value === ''",
                    arg="#ocr-text textarea",
                    timeout=30_000,
                )  # box threshold 1.0: the detector keeps no box
                assert "0 lines" in tab.locator("#ocr-timings").inner_text()
            finally:
                browser.close()
    finally:
        demo.close()


def test_cli_demo_refuses_without_models(monkeypatch, tmp_path, capsys):
    from openocr.cli.main import main

    monkeypatch.setattr("openocr.weights.models_dir", lambda: tmp_path)
    assert main(["demo", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "no trained weights" in err and "--det-model" in err and "Traceback" not in err
