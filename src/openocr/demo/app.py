"""The Gradio demo: ``build_demo(engine_factory) -> gr.Blocks`` (extra ``[demo]``).

Built only on the public API (``OpenOCR.ocr`` and ``Page``). ``engine_factory(mode, backend)``
returns an engine built with ``drop_score=0``: the demo keeps every line and filters by the
drop-score slider itself, so the slider really changes the result (the reference's slider only
changed the drawing). The detector sliders re-run the detector with per-call overrides.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import OpenOCRError
from ..io import load_pages
from ..postprocess.db import DBPostConfig
from ..preprocess.det import DetPreConfig
from ..results import Page
from .examples import example_paths

EngineFactory = Callable[[str, str], Any]
HEADERS = ["#", "text", "score", "det score"]
MAX_PDF_PAGE = 50

HEADER_MD = """# OpenOCR demo
Text detection + recognition (Chinese and English) on CPU. Drop or paste a photo, or pick a
PDF page; results update when you move a slider. Everything runs locally, nothing is uploaded
elsewhere."""


class EngineCache:
    """One engine per (mode, backend), built on first use."""

    def __init__(self, factory: EngineFactory) -> None:
        self.factory = factory
        self._engines: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def get(self, mode: str, backend: str) -> Any:
        with self._lock:
            key = (mode, backend)
            if key not in self._engines:
                self._engines[key] = self.factory(mode, backend)
            return self._engines[key]


def filter_page(page: Page, drop_score: float) -> Page:
    """The page without lines scoring below ``drop_score``."""
    lines = [ln for ln in page.lines if ln.score >= drop_score]
    return Page(page.width, page.height, lines, page.timings, page.source, page.page_index)


def line_rows(page: Page) -> list[list[Any]]:
    return [
        [
            i + 1,
            ln.text,
            round(ln.score, 3),
            None if ln.det_score is None else round(ln.det_score, 3),
        ]
        for i, ln in enumerate(page.lines)
    ]


def timing_text(page: Page, total_lines: int, wall: float | None) -> str:
    t = page.timings
    det = sum(t.get(k, 0.0) for k in ("det_pre", "det_model", "det_post"))
    rec = sum(t.get(k, 0.0) for k in ("crop", "rec_pre", "rec_model", "rec_post"))
    parts = [f"**{len(page)} lines** shown of {total_lines} detected"]
    if wall is not None:
        parts.append(f"total {wall * 1000:.0f} ms")
    parts.append(f"detection {det * 1000:.0f} ms · recognition {rec * 1000:.0f} ms")
    return " · ".join(parts)


def load_input(
    image: np.ndarray | None, pdf: str | None, pdf_page: float | None
) -> np.ndarray | None:
    """The image to run: an uploaded/pasted image, else the chosen page of the PDF."""
    if image is not None:
        return np.asarray(image)
    if not pdf:
        return None
    page = int(pdf_page or 1)
    if not 1 <= page <= MAX_PDF_PAGE:
        raise OpenOCRError(f"PDF page must be between 1 and {MAX_PDF_PAGE}")
    pages = load_pages(pdf, max_pages=page)
    if len(pages) < page:
        raise OpenOCRError(f"the PDF has only {len(pages)} page(s)")
    return pages[page - 1]


class DemoLogic:
    """The demo's callbacks, without Gradio (the UI wires them to components)."""

    def __init__(self, factory: EngineFactory, json_dir: Path | None = None) -> None:
        self.engines = EngineCache(factory)
        if json_dir is None:  # a folder of our own: removed with this object (or at exit)
            json_dir = Path(tempfile.mkdtemp(prefix="openocr-demo-"))
            weakref.finalize(self, shutil.rmtree, json_dir, ignore_errors=True)
        self.json_dir = Path(json_dir)

    def run(
        self,
        image: np.ndarray | None,
        mode: str,
        backend: str,
        thresh: float,
        box_thresh: float,
        unclip_ratio: float,
        limit_side_len: float,
        score_mode: str,
    ) -> tuple[Page | None, float]:
        """OCR with every line kept (drop score applied later by ``view``)."""
        if image is None:
            return None, 0.0
        engine = self.engines.get(mode, backend)
        t0 = time.perf_counter()
        page = engine.ocr(
            image,
            thresh=float(thresh),
            box_thresh=float(box_thresh),
            unclip_ratio=float(unclip_ratio),
            limit_side_len=int(limit_side_len),
            score_mode=score_mode,
        )
        return page, time.perf_counter() - t0

    def view(
        self, image: np.ndarray | None, page: Page | None, drop_score: float, wall: float | None
    ) -> tuple[Any, str, list[list[Any]], str | None, str]:
        """(visualisation, text, table rows, JSON file, timings) for the lines kept."""
        if image is None or page is None:
            return None, "", [], None, ""
        shown = filter_page(page, float(drop_score))
        vis = shown.draw(image)
        path = self.json_dir / f"ocr_{uuid.uuid4().hex[:12]}.json"
        self._prune()
        path.write_text(shown.to_json(indent=2), encoding="utf-8")
        return vis, shown.text, line_rows(shown), str(path), timing_text(shown, len(page), wall)

    def _prune(self, max_age: float = 3600.0) -> None:
        now = time.time()
        for p in self.json_dir.glob("ocr_*.json"):
            if now - p.stat().st_mtime > max_age:
                p.unlink(missing_ok=True)


def demo_theme() -> Any:
    """Gradio's Soft theme with local system fonts (no font requests to the internet)."""
    import gradio as gr

    return gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


def build_demo(
    engine_factory: EngineFactory,
    *,
    examples: list[str] | None = None,
    modes: tuple[str, ...] = ("mobile", "server"),
    backends: tuple[str, ...] = ("onnx", "torch"),
    drop_score: float = 0.5,
) -> Any:
    """The Gradio app. ``engine_factory(mode, backend)`` returns an ``OpenOCR`` built with
    ``drop_score=0``; engines are cached per (mode, backend).

    >>> demo = build_demo(lambda m, b: OpenOCR(mode=m, backend=b, drop_score=0))  # doctest: +SKIP
    >>> demo.launch(server_name="127.0.0.1")  # doctest: +SKIP
    """
    import gradio as gr

    logic = DemoLogic(engine_factory)
    examples = example_paths() if examples is None else examples

    def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any) -> Any:
            try:
                return fn(*args)
            except (OpenOCRError, ValueError) as e:
                raise gr.Error(str(e)) from None

        return wrapped

    def run(
        image, pdf, pdf_page, mode, backend, thresh, box_thresh, unclip, side, score_mode, drop
    ):
        img = load_input(image, pdf, pdf_page)
        page, wall = logic.run(img, mode, backend, thresh, box_thresh, unclip, side, score_mode)
        state = None if page is None else {"image": img, "page": page, "wall": wall}
        return (*logic.view(img, page, drop, wall), state)

    def refilter(state, drop):
        if not state:
            return None, "", [], None, ""
        return logic.view(state["image"], state["page"], drop, state["wall"])

    with gr.Blocks(
        title="OpenOCR demo", analytics_enabled=False, delete_cache=(3600, 3600)
    ) as demo:
        gr.Markdown(HEADER_MD)
        state = gr.State(None)
        with gr.Row():
            with gr.Column(scale=1):
                image = gr.Image(
                    label="Image (upload, drop or paste)",
                    type="numpy",
                    sources=["upload", "clipboard"],
                    elem_id="input-image",
                )
                with gr.Accordion("PDF page", open=False):
                    pdf = gr.File(label="PDF", file_types=[".pdf"], elem_id="input-pdf")
                    pdf_page = gr.Number(
                        label="Page", value=1, minimum=1, maximum=MAX_PDF_PAGE, precision=0
                    )
                with gr.Row():
                    mode = gr.Dropdown(list(modes), value=modes[0], label="Model")
                    backend = gr.Dropdown(list(backends), value=backends[0], label="Backend")
                drop = gr.Slider(
                    0,
                    1,
                    value=drop_score,
                    step=0.01,
                    label="Drop score",
                    info="hide lines whose recognition score is below this",
                    elem_id="drop-score",
                )
                box_thresh = gr.Slider(
                    0,
                    1,
                    value=DBPostConfig.box_thresh,
                    step=0.01,
                    label="Box threshold",
                    info="minimum detector score of a box",
                    elem_id="box-thresh",
                )
                unclip = gr.Slider(
                    1.0,
                    3.0,
                    value=DBPostConfig.unclip_ratio,
                    step=0.05,
                    label="Unclip ratio",
                    info="how much each box is expanded",
                    elem_id="unclip-ratio",
                )
                with gr.Accordion("More detector options", open=False):
                    thresh = gr.Slider(
                        0, 1, value=DBPostConfig.thresh, step=0.01, label="Mask threshold"
                    )
                    side = gr.Number(
                        label="Detection input size (pixel budget: a square of this side)",
                        value=DetPreConfig.limit_side_len,
                        minimum=32,
                        maximum=4096,
                        precision=0,
                    )
                    score_mode = gr.Dropdown(["slow", "fast"], value="slow", label="Box score mode")
                button = gr.Button("Run OCR", variant="primary", elem_id="run")
                if examples:
                    gr.Examples(examples=examples, inputs=image, label="Examples")
            with gr.Column(scale=2):
                vis = gr.Image(
                    label="Result", type="numpy", format="png", interactive=False, elem_id="vis"
                )
                timings = gr.Markdown(elem_id="ocr-timings")
                text = gr.Textbox(
                    label="Text (reading order)", lines=8, buttons=["copy"], elem_id="ocr-text"
                )
                table = gr.Dataframe(
                    headers=HEADERS,
                    type="array",
                    interactive=False,
                    label="Lines",
                    elem_id="ocr-lines",
                )
                download = gr.File(label="JSON result", interactive=False, elem_id="ocr-json")

        run_inputs = [
            image,
            pdf,
            pdf_page,
            mode,
            backend,
            thresh,
            box_thresh,
            unclip,
            side,
            score_mode,
            drop,
        ]
        outputs = [vis, text, table, download, timings, state]
        run_fn = guarded(run)
        button.click(run_fn, run_inputs, outputs)
        for trigger in (image.change, pdf.change, mode.change, backend.change, score_mode.change):
            trigger(run_fn, run_inputs, outputs, trigger_mode="always_last")
        for slider in (box_thresh, unclip, thresh):  # dragging or typing a value
            slider.change(run_fn, run_inputs, outputs, trigger_mode="always_last")
        drop.change(guarded(refilter), [state, drop], outputs[:-1], trigger_mode="always_last")
    return demo
