"""The OCR engine: ``OpenOCR`` (detector + recognizer).

Two ways to call it:

* the reference's contract, ``results, time_dicts = engine(img_path)`` (§3.2 of the design:
  strings ``"<name>\\t<json>\\n"`` for path input, lists of dicts for ``img_numpy``);
* the typed API, ``engine.ocr(image) -> Page``, ``engine.detect(image)`` and
  ``engine.recognize(crops)``.

Images are RGB uint8 (numpy input is taken as RGB unless ``bgr=True``).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError, ModelError
from .geometry import crop_quad, is_tall, min_area_quad, sub_quad
from .io import ImageSource, PageImage, iter_pages, load_image
from .postprocess.db import DBPostConfig
from .postprocess.order import group_lines, sort_boxes
from .predictors import DetOutput, DetPredictor, RecOutput, RecPredictor
from .preprocess.det import DetPreConfig
from .results import Page, TextLine, Word

log = logging.getLogger("openocr")


def _words(text: str, out: RecOutput, quad: np.ndarray) -> list[Word]:
    """Split a line at spaces; each word's box spans its characters' CTC positions."""
    if " " not in text.strip() or len(out.positions) != len(text):
        return []
    pos, probs = out.positions, out.char_scores
    half = 0.5 / max(len(text), 1)
    words, start = [], None
    for i, ch in enumerate(text + " "):
        if ch != " " and start is None:
            start = i
        elif ch == " " and start is not None:
            f0 = max(float(pos[start]) - half, 0.0)
            f1 = min(float(pos[i - 1]) + half, 1.0)
            words.append(Word(text[start:i], float(probs[start:i].mean()), sub_quad(quad, f0, f1)))
            start = None
    return words


def build_detector(
    det_model: Any = None,
    *,
    mode: str = "mobile",
    backend: str | None = "onnx",
    device: str = "cpu",
    threads: int = 2,
    limit_side_len: int = DetPreConfig.limit_side_len,
    limit_type: str = "area",
    post: DBPostConfig | None = None,
) -> DetPredictor:
    """A detection-only predictor (``det_model`` defaults to the shipped weights); see
    :class:`~openocr.preprocess.det.DetPreConfig` for ``limit_side_len``/``limit_type``."""
    from .runtime.base import load_backend

    if det_model is None:
        from .weights import default_models

        (det_model,) = default_models(mode, backend or "onnx", tasks=("det",))
    return DetPredictor(
        load_backend(det_model, backend, device, threads),
        DetPreConfig(limit_side_len, limit_type),
        post,
    )


def build_recognizer(
    rec_model: Any = None,
    *,
    mode: str = "mobile",
    backend: str | None = "onnx",
    device: str = "cpu",
    threads: int = 2,
    charset: Any = None,
    batch_size: int = 6,
    lang: str = "en",
    tilted_words: bool = False,
    lexicon: Any = "auto",
) -> RecPredictor:
    """A recognition-only predictor (``rec_model`` defaults to the shipped weights for
    ``mode`` and ``lang``; ``tilted_words``, ``lexicon``: see ``RecPredictor``)."""
    from .runtime.base import load_backend

    if rec_model is None:
        from .weights import default_models

        (rec_model,) = default_models(mode, backend or "onnx", tasks=("rec",), lang=lang)
    if isinstance(charset, (str, Path)):
        from .charset import Charset

        try:
            charset = Charset.load(charset)
        except (FileNotFoundError, ValueError) as e:
            raise ModelError(str(e)) from None
    backend_obj = load_backend(rec_model, backend, device, threads)
    return RecPredictor(
        backend_obj, charset, batch_size=batch_size, tilted_words=tilted_words, lexicon=lexicon
    )


def reference_line(item: PageImage, page: Page) -> str | None:
    """The reference's ``system_results.txt`` line for one page, or None (single-page input
    without results is skipped; pages of multi-page files are always written)."""
    multi = item.num_pages > 1
    if not page.lines and not multi:
        return None
    base = os.path.basename(item.name)
    name = f"{base}_{item.page_index}" if multi else base
    return f"{name}\t{json.dumps(page.to_reference(), ensure_ascii=False)}\n"


def vis_name(item: PageImage) -> str:
    """File name of a page's visualisation (GIF/TIFF/PDF pages become PNG)."""
    base = os.path.basename(item.name)
    stem, ext = os.path.splitext(base)
    if item.num_pages > 1:
        return f"{stem}_{item.page_index}.png"
    return base if ext.lower() in (".jpg", ".jpeg", ".png", ".bmp") else f"{stem}.png"


class OpenOCR:
    """Text detection + recognition.

    Args:
        mode: 'mobile' (RepSVTR recognizer) or 'server' (SVTRv2); picks the shipped weights.
        lang: 'en' (English recognizer) or 'ch' (Chinese + English); picks the shipped
            mobile recognizer (the server recognizer reads both).
        backend: 'onnx' (onnxruntime, default) or 'torch'; None picks it from the model files.
        drop_score: lines with a recognition score below this are dropped.
        det_box_type: 'quad' (perspective crops of 4-point boxes) or 'poly' (polygon boxes,
            cropped through their minimum-area rectangle).
        device: 'cpu', 'cuda' / 'gpu'.
        det_model, rec_model: model files (.onnx, or checkpoints for torch), nn.Modules or
            backends; default to the shipped weights for ``mode``.
        charset: override the recognizer's charset ('en', 'ch' or a path).
        threads: intra-op threads per model (2 by default).
        rec_batch_num: recognition batch size.
        reading_order: 'reference' (the reference's sorted_boxes) or 'lines' (line clustering).
        lexicon: word prior that re-decodes unsure words: 'auto' (the built-in English
            word list, for the Latin words of 'en' and 'ch' recognizers), None (greedy CTC),
            a path or a ``Lexicon``.

    Raises:
        ModelError: no model files given and no trained weights shipped, or a bad model file.

    >>> engine = OpenOCR(det_model="det.onnx", rec_model="rec.onnx")  # doctest: +SKIP
    >>> page = engine.ocr("receipt.jpg")  # doctest: +SKIP
    >>> print(page.text)  # doctest: +SKIP
    """

    def __init__(
        self,
        mode: str = "mobile",
        backend: str | None = "onnx",
        drop_score: float = 0.5,
        det_box_type: str = "quad",
        device: str = "cpu",
        det_model: Any = None,
        rec_model: Any = None,
        *,
        charset: Any = None,
        threads: int = 2,
        rec_batch_num: int = 6,
        det_limit_side_len: int = DetPreConfig.limit_side_len,
        det_limit_type: str = "area",
        det_post: DBPostConfig | None = None,
        reading_order: str = "reference",
        lang: str = "en",
        lexicon: Any = "auto",
        use_gpu: str | bool | None = None,
        onnx_det_model_path: str | None = None,
        onnx_rec_model_path: str | None = None,
    ) -> None:
        if backend not in ("onnx", "torch", None):
            raise ModelError(f"backend must be 'onnx' or 'torch', got {backend!r}")
        if det_box_type not in ("quad", "poly"):
            raise ValueError(f"det_box_type must be 'quad' or 'poly', got {det_box_type!r}")
        if reading_order not in ("reference", "lines"):
            raise ValueError(f"reading_order must be 'reference' or 'lines', got {reading_order!r}")
        if use_gpu is not None and str(use_gpu).lower() in ("true", "1"):
            device = "cuda"
        det_model = det_model if det_model is not None else onnx_det_model_path
        rec_model = rec_model if rec_model is not None else onnx_rec_model_path
        missing = tuple(t for t, m in (("det", det_model), ("rec", rec_model)) if m is None)
        if missing:
            from .weights import default_models

            found = dict(
                zip(
                    missing,
                    default_models(mode, backend or "onnx", tasks=missing, lang=lang),
                    strict=True,
                )
            )
            det_model = found.get("det", det_model)
            rec_model = found.get("rec", rec_model)
        self.mode, self.backend_name, self.device = mode, backend, device
        self.drop_score = float(drop_score)
        self.det_box_type = det_box_type
        self.reading_order = reading_order
        self.det = build_detector(
            det_model,
            backend=backend,
            device=device,
            threads=threads,
            limit_side_len=det_limit_side_len,
            limit_type=det_limit_type,
            post=det_post or DBPostConfig(box_type=det_box_type),
        )
        self.rec = build_recognizer(
            rec_model,
            backend=backend,
            device=device,
            threads=threads,
            charset=charset,
            batch_size=rec_batch_num,
            lexicon=lexicon,
        )

    # --- components -----------------------------------------------------------------------
    def _order(self, boxes: Any) -> tuple[list[int], list[np.ndarray]]:
        """Reading order of ``boxes`` and each box's ordered quad (polygons are sorted and
        cropped through their minimum-area rectangle)."""
        quads = [np.asarray(b, np.float32) if len(b) == 4 else min_area_quad(b)[0] for b in boxes]
        order = group_lines(quads) if self.reading_order == "lines" else sort_boxes(quads)
        return order, quads

    def detect(
        self, image: ImageSource, *, bgr: bool = False, return_mask: bool = False, **overrides: Any
    ) -> DetOutput:
        """Detect text boxes (source pixels, reading order). ``overrides`` apply to this call
        only: ``limit_side_len``/``det_input_size``, ``limit_type``, ``thresh``/``mask_thresh``,
        ``box_thresh``, ``unclip_ratio``, ``score_mode``, ``box_type``."""
        img = load_image(image, bgr=bgr)
        out = self.det(img, return_mask=return_mask, **overrides)
        order, _ = self._order(out.boxes)
        boxes = (
            out.boxes[order] if isinstance(out.boxes, np.ndarray) else [out.boxes[i] for i in order]
        )
        return DetOutput(
            boxes, out.scores[order] if len(order) else out.scores, out.timings, out.mask
        )

    def recognize(
        self,
        crops: Sequence[ImageSource] | ImageSource,
        *,
        bgr: bool = False,
        batch_size: int | None = None,
    ) -> list[RecOutput]:
        """Recognize text crops (RGB arrays, paths, ...); returns one RecOutput per crop, in order."""
        if isinstance(crops, (str, os.PathLike, bytes, np.ndarray)):
            crops = [crops]
        imgs = [load_image(c, bgr=bgr) for c in crops]
        return self.rec(imgs, batch_size=batch_size)[0]

    # --- typed end-to-end -----------------------------------------------------------------
    def _run(
        self,
        img: np.ndarray,
        rec_batch_num: int | None = None,
        return_mask: bool = False,
        drop_score: float | None = None,
        **overrides: Any,
    ) -> tuple[Page, DetOutput]:
        drop = self.drop_score if drop_score is None else drop_score
        t0 = time.perf_counter()
        det = self.det(img, return_mask=return_mask, **overrides)
        order, all_quads = self._order(det.boxes)
        t1 = time.perf_counter()
        quads = [all_quads[i] for i in order]
        crops = [crop_quad(img, q) for q in quads]
        t_crop = time.perf_counter() - t1
        recs, rt = self.rec(crops, batch_size=rec_batch_num) if crops else ([], {})
        t2 = time.perf_counter()
        lines = []
        for k, (i, quad, rec) in enumerate(zip(order, quads, recs, strict=True)):
            if rec.score < drop:
                continue
            points = det.boxes[i] if self.det_box_type == "poly" else quads[k]
            words = [] if is_tall(quad) else _words(rec.text, rec, quad)
            lines.append(TextLine(rec.text, rec.score, points, float(det.scores[i]), words))
        t3 = time.perf_counter()
        timings = dict(det.timings)
        timings.update({"order": t1 - t0 - sum(det.timings.values()), "crop": t_crop})
        timings.update({k: rt.get(k, 0.0) for k in ("rec_pre", "rec_model", "rec_post")})
        timings["rec_avg"] = rt.get("rec_item_sum", 0.0) / max(len(crops), 1)
        timings["assemble"] = t3 - t2
        timings["total"] = t3 - t0
        h, w = img.shape[:2]
        return Page(w, h, lines, timings), det

    def ocr(
        self, image: ImageSource, *, bgr: bool = False, exif: bool = True, **overrides: Any
    ) -> Page:
        """OCR one image (first page of multi-page files) -> ``Page`` in reading order.

        ``overrides`` apply to this call only: ``drop_score``, ``rec_batch_num`` and the
        detector options of :meth:`detect`.
        """
        img = load_image(image, bgr=bgr, exif=exif)
        page, _ = self._run(img, **overrides)
        if isinstance(image, (str, os.PathLike)):
            page.source = str(image)
        return page

    def iter_ocr(
        self,
        inputs: ImageSource | Iterable[ImageSource],
        *,
        recursive: bool = False,
        exif: bool = True,
        bgr: bool = False,
        **overrides: Any,
    ) -> Iterator[tuple[PageImage, Page | None]]:
        """OCR files, folders, globs, lists: yields (page input, Page) per page; a bad input
        yields (item with ``.error``, None) and the iteration continues."""
        for item in iter_pages(inputs, recursive=recursive, exif=exif, bgr=bgr):
            if item.error is not None:
                yield item, None
                continue
            page, _ = self._run(item.image, **overrides)
            page.source, page.page_index = item.name, item.page_index
            yield item, page

    # --- reference contract ---------------------------------------------------------------
    @staticmethod
    def time_dict(page: Page) -> dict[str, float]:
        t = page.timings
        det = t.get("det_pre", 0) + t.get("det_model", 0) + t.get("det_post", 0)
        rec = t.get("total", 0) - det
        return {
            "time_cost": det + rec,
            "detection_time": det,
            "recognition_time": rec,
            "avg_rec_time_cost": t.get("rec_avg", 0.0),
        }

    def __call__(
        self,
        img_path: Any = None,
        save_dir: str | None = None,
        is_visualize: bool = False,
        img_numpy: Any = None,
        rec_batch_num: int | None = None,
        crop_infer: bool = False,
        return_mask: bool = False,
        bgr: bool = False,
        **kwargs: Any,
    ) -> Any:
        """The reference call: ``results, time_dicts = engine(img_path)``.

        Path input (file, folder, glob or list of paths) returns ``(lines, time_dicts)`` with
        ``lines[i] = "<name>\\t<json>\\n"`` for each image with results (multi-page files:
        ``"<name>_<page>"``, empty pages included), or ``(None, None)`` when nothing was found.
        Unreadable files are logged and skipped. With ``save_dir`` the lines are also written
        to ``<save_dir>/system_results.txt`` (and ``is_visualize`` images to
        ``<save_dir>/vis_results/``). Numpy input (``img_numpy`` or an array as first
        argument) returns ``(results, time_dicts)`` with one list of dicts per image, plus the
        last probability map when ``return_mask=True``.
        """
        if crop_infer:
            raise ValueError("crop_infer (tiled detection) is not supported")
        if isinstance(img_path, np.ndarray) or (
            isinstance(img_path, list)
            and img_path
            and all(isinstance(a, np.ndarray) for a in img_path)
        ):
            img_numpy, img_path = img_path, None
        if img_numpy is not None:
            arrays = [img_numpy] if isinstance(img_numpy, np.ndarray) else list(img_numpy)
            results, times, mask = [], [], None
            for arr in arrays:
                page, det = self._run(
                    load_image(arr, bgr=bgr), rec_batch_num, return_mask, **kwargs
                )
                results.append(page.to_reference())
                times.append(self.time_dict(page))
                mask = det.mask
            return (results, times, mask) if return_mask else (results, times)
        if img_path is None:
            raise InputError("give img_path (file, folder, glob or list) or img_numpy")
        single = (
            isinstance(img_path, (str, os.PathLike))
            and not Path(img_path).is_dir()
            and not any(c in str(img_path) for c in "*?[")
        )
        lines, times = [], []
        vis_dir = Path(save_dir or "e2e_results") / "vis_results" if is_visualize else None
        for item, page in self.iter_ocr(img_path, bgr=bgr, rec_batch_num=rec_batch_num, **kwargs):
            if page is None:
                if single:
                    raise item.error  # type: ignore[misc]
                log.warning("skipping %s", item.error)
                continue
            times.append(self.time_dict(page))
            line = reference_line(item, page)
            if line is not None:
                lines.append(line)
            if vis_dir is not None:
                self.save_vis(vis_dir / vis_name(item), item.image, page)
        if save_dir is not None:
            Path(save_dir).mkdir(parents=True, exist_ok=True)
            with open(Path(save_dir) / "system_results.txt", "w", encoding="utf-8") as f:
                f.writelines(lines)
        if not lines:
            return None, None
        return lines, times

    def save_vis(self, path: Path, image: np.ndarray, page: Page) -> None:
        """Write the two-panel visualisation of ``page`` to ``path``."""
        from .viz import draw_ocr, save_image

        path.parent.mkdir(parents=True, exist_ok=True)
        save_image(path, draw_ocr(image, page, drop_score=self.drop_score))
