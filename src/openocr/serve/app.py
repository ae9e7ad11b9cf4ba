"""The HTTP service: ``create_app(engine) -> FastAPI``.

Endpoints: ``POST /v1/ocr``, ``/v1/det`` (multipart file, raw image/PDF body, or JSON with
base64) and ``/v1/rec`` (line crops); ``GET /healthz``, ``/readyz``, ``/metrics``; OpenAPI at
``/docs``. The engine is loaded once; OCR runs in a bounded ``WorkerPool`` off the event loop, and
a full pool answers 503 with ``Retry-After``. Set ``OPENOCR_API_KEY`` to require
``Authorization: Bearer <key>`` (or ``X-API-Key``) on everything but the health checks.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from ..errors import OpenOCRError
from ..results import Page
from .inputs import Limits, RequestError, check_media_type, decode_base64, decode_pages, safe_name
from .metrics import Metrics
from .pool import PoolFull, WorkerPool
from .schemas import (
    DetOptions,
    DetResponse,
    ErrorResponse,
    OCRJSONRequest,
    OCROptions,
    OCRResponse,
    RecJSONRequest,
    RecResponse,
)

API_KEY_ENV = "OPENOCR_API_KEY"
log = logging.getLogger("openocr.serve")

Payload = tuple[str, bytes]  # (label, raw bytes)


@dataclass
class ServeConfig:
    """Service settings. ``api_key`` defaults to the ``OPENOCR_API_KEY`` environment variable."""

    workers: int = 1
    queue_size: int = 8
    retry_after: int = 1
    drop_score: float = 0.5
    limits: Limits = field(default_factory=Limits)
    api_key: str | None = field(default_factory=lambda: os.environ.get(API_KEY_ENV) or None)
    warmup: bool = True


class _State:
    """The engine (loaded once, in the background) and the worker pool."""

    def __init__(self, engine: Any, factory: Callable[[], Any] | None, cfg: ServeConfig) -> None:
        self.engine, self.factory, self.cfg = engine, factory, cfg
        self.pool = WorkerPool(cfg.workers, cfg.queue_size)
        self.ready = threading.Event()
        self.error: str | None = None

    def load(self) -> None:
        try:
            if self.engine is None:
                self.engine = self.factory()  # type: ignore[misc]
            if self.cfg.warmup:
                self.engine.ocr(np.full((64, 256, 3), 255, np.uint8))
                self.engine.recognize([np.full((48, 192, 3), 255, np.uint8)])
            self.ready.set()
        except Exception as e:  # reported by /readyz and every OCR request
            log.exception("engine failed to load")
            self.error = f"{type(e).__name__}: {e}"

    def get_engine(self) -> Any:
        if not self.ready.is_set():
            if self.error:
                raise RequestError(503, f"engine failed to load: {self.error}")
            raise RequestError(503, "engine is loading", {"Retry-After": str(self.cfg.retry_after)})
        return self.engine


# --- request bodies --------------------------------------------------------------------------
async def _read_body(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"request body exceeds {limit // (1024 * 1024)} MiB")
        chunks.append(chunk)
    return b"".join(chunks)


async def _form_files(request: Request, body: bytes, max_files: int) -> list[UploadFile]:
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=max_files, max_fields=64)
    except Exception as e:  # malformed multipart
        raise RequestError(400, f"malformed multipart body ({getattr(e, 'detail', e)})") from None
    return [v for _, v in form.multi_items() if isinstance(v, UploadFile)]


def _parse_json(body: bytes, model: type[BaseModel]) -> Any:
    try:
        return model.model_validate_json(body)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(x) for x in err.get("loc", ())) or "body"
        if err.get("type") == "json_invalid":
            raise RequestError(400, "malformed JSON body") from None
        raise RequestError(422, f"{where}: {err.get('msg')}") from None


async def _payloads(
    request: Request, limits: Limits, json_model: type[BaseModel], many: bool
) -> tuple[list[Payload], BaseModel | None]:
    """The uploaded images (label, bytes) and, for JSON bodies, the parsed body."""
    body = await _read_body(request, limits.max_body_bytes)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    max_files = limits.max_rec_images if many else 1
    if ctype == "multipart/form-data":
        files = await _form_files(request, body, max_files + 1)
        if not files:
            raise RequestError(400, "no file in the multipart form (use the field 'file')")
        if len(files) > max_files:
            raise RequestError(413, f"too many files: at most {max_files} per request")
        out = []
        for f in files:
            name = safe_name(f.filename)
            check_media_type(f.content_type, name)
            out.append((name, await f.read()))
        return out, None
    if ctype == "application/json":
        parsed = _parse_json(body, json_model)
        if isinstance(parsed, RecJSONRequest):
            if len(parsed.images) > max_files:
                raise RequestError(413, f"too many images: at most {max_files} per request")
            names = [f"image[{i}]" for i in range(len(parsed.images))]
            return [
                (n, decode_base64(s, n)) for n, s in zip(names, parsed.images, strict=True)
            ], parsed
        name = safe_name(parsed.filename, "image")
        return [(name, decode_base64(parsed.image, name))], parsed
    if not body:
        raise RequestError(400, "empty request body; send a multipart file, JSON or an image")
    if ctype == "":
        raise RequestError(415, "missing Content-Type header")
    check_media_type(ctype, "body")
    return [("upload", body)], None


def _merge(query: BaseModel, parsed: BaseModel | None, cls: type[BaseModel]) -> Any:
    """Query options, overridden by the same fields of a JSON body."""
    values = query.model_dump(exclude_none=True)
    if parsed is not None:
        names = set(cls.model_fields)
        values.update({k: v for k, v in parsed.model_dump(exclude_none=True).items() if k in names})
    return cls(**values)


def _det_kwargs(opts: DetOptions) -> dict[str, Any]:
    keys = ("thresh", "box_thresh", "unclip_ratio", "score_mode", "limit_side_len", "limit_type")
    return {k: getattr(opts, k) for k in keys if getattr(opts, k) is not None}


# --- jobs (run in worker threads) --------------------------------------------------------------
def _ocr_job(engine: Any, payloads: list[Payload], opts: OCROptions, cfg: ServeConfig) -> dict:
    t0 = time.perf_counter()
    drop = cfg.drop_score if opts.drop_score is None else opts.drop_score
    pages = []
    for name, data in payloads:
        for i, img in enumerate(decode_pages(data, name, cfg.limits, opts.max_pages)):
            page = engine.ocr(img, **_det_kwargs(opts))
            lines = [ln for ln in page.lines if ln.score >= drop]
            pages.append(Page(page.width, page.height, lines, page.timings, name, i))
    return {
        "pages": [p.to_dict() for p in pages],
        "text": "\n\n".join(p.text for p in pages),
        "elapsed": time.perf_counter() - t0,
    }


def _det_job(engine: Any, payloads: list[Payload], opts: DetOptions, cfg: ServeConfig) -> dict:
    t0 = time.perf_counter()
    pages = []
    for name, data in payloads:
        for i, img in enumerate(decode_pages(data, name, cfg.limits, opts.max_pages)):
            det = engine.detect(img, **_det_kwargs(opts))
            boxes = [
                {"points": np.asarray(b).round().astype(int).tolist(), "score": float(s)}
                for b, s in zip(det.boxes, det.scores, strict=True)
            ]
            h, w = img.shape[:2]
            pages.append(
                {
                    "source": name,
                    "page_index": i,
                    "width": w,
                    "height": h,
                    "boxes": boxes,
                    "timings": det.timings,
                }
            )
    return {"pages": pages, "elapsed": time.perf_counter() - t0}


def _rec_job(engine: Any, payloads: list[Payload], cfg: ServeConfig) -> dict:
    t0 = time.perf_counter()
    crops = [decode_pages(data, name, cfg.limits, 1)[0] for name, data in payloads]
    outs = engine.recognize(crops)
    results = [
        {"text": o.text, "score": float(o.score), "char_scores": [float(p) for p in o.char_scores]}
        for o in outs
    ]
    return {"results": results, "elapsed": time.perf_counter() - t0}


# --- app ---------------------------------------------------------------------------------------
def _body_doc(rec: bool) -> dict[str, Any]:
    field_name = "files" if rec else "file"
    file_schema = {"type": "string", "format": "binary"}
    multipart = {
        "type": "object",
        "properties": {field_name: {"type": "array", "items": file_schema} if rec else file_schema},
        "required": [field_name],
    }
    json_ref = "#/components/schemas/" + ("RecJSONRequest" if rec else "OCRJSONRequest")
    content: dict[str, Any] = {
        "multipart/form-data": {"schema": multipart},
        "application/json": {"schema": {"$ref": json_ref}},
    }
    if not rec:
        content["image/*"] = {"schema": file_schema}
        content["application/pdf"] = {"schema": file_schema}
    return {"requestBody": {"required": True, "content": content}}


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": desc}
    for code, desc in {
        400: "malformed input (not decodable, bad base64 or JSON)",
        401: "missing or wrong API key",
        413: "request, image, page count or file count over the limit",
        415: "unsupported media type",
        422: "invalid option value",
        503: "busy (Retry-After) or engine not ready",
    }.items()
}


def create_app(
    engine: Any = None,
    *,
    engine_factory: Callable[[], Any] | None = None,
    config: ServeConfig | None = None,
) -> FastAPI:
    """Build the service around an ``OpenOCR`` engine (or a factory called once at start-up).

    Args:
        engine: a ready engine (``ocr``, ``detect`` and ``recognize`` are used).
        engine_factory: called in a background thread at start-up when ``engine`` is None.
        config: workers, queue size, limits, default drop score, API key.

    >>> app = create_app(engine_factory=lambda: OpenOCR(det_model="det.onnx", rec_model="rec.onnx"))  # doctest: +SKIP
    >>> uvicorn.run(app, host="127.0.0.1", port=8000)  # doctest: +SKIP
    """
    if engine is None and engine_factory is None:
        raise ValueError("give an engine or an engine_factory")
    cfg = config or ServeConfig()
    state = _State(engine, engine_factory, cfg)
    metrics = Metrics()
    metrics.gauge(
        "openocr_engine_ready", "1 when the engine is loaded.", lambda: float(state.ready.is_set())
    )
    metrics.gauge("openocr_workers_busy", "Jobs running.", lambda: state.pool.running)
    metrics.gauge("openocr_queue_depth", "Jobs waiting for a worker.", lambda: state.pool.queued)
    metrics.gauge("openocr_pool_capacity", "Workers + queue slots.", lambda: state.pool.capacity)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        threading.Thread(target=state.load, name="openocr-load", daemon=True).start()
        yield
        state.pool.shutdown()

    from .. import __version__

    app = FastAPI(
        title="openocr",
        version=__version__,
        description="Text detection and recognition. Results: pages -> lines -> words, source pixels.",
        lifespan=lifespan,
    )
    app.state.openocr = state

    @app.exception_handler(RequestError)
    async def _request_error(_: Request, e: RequestError) -> JSONResponse:
        return JSONResponse({"detail": e.message}, e.status, headers=e.headers)

    @app.middleware("http")
    async def _guard(request: Request, call_next: Callable) -> Any:
        t0 = time.perf_counter()
        length = request.headers.get("content-length")
        response = None
        if length is not None:
            if not length.isdigit():
                response = JSONResponse({"detail": "invalid Content-Length"}, 400)
            elif int(length) > cfg.limits.max_body_bytes:
                limit = cfg.limits.max_body_bytes // (1024 * 1024)
                response = JSONResponse({"detail": f"request body exceeds {limit} MiB"}, 413)
        if response is None:
            response = await call_next(request)
        route = request.scope.get("route")
        metrics.observe(
            getattr(route, "path", "other"), response.status_code, time.perf_counter() - t0
        )
        return response

    def require_key(request: Request) -> None:
        if not cfg.api_key:
            return
        given = request.headers.get("x-api-key", "")
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        if not hmac.compare_digest(given.encode(), cfg.api_key.encode()):
            raise RequestError(401, "missing or invalid API key", {"WWW-Authenticate": "Bearer"})

    async def run_job(fn: Callable[..., dict], *args: Any) -> dict:
        try:
            return await state.pool.run(fn, *args)
        except PoolFull:
            raise RequestError(
                503, "server busy, retry later", {"Retry-After": str(cfg.retry_after)}
            ) from None
        except RequestError:
            raise
        except OpenOCRError as e:  # bad input found by the engine itself
            raise RequestError(400, str(e)) from None
        except Exception as e:
            log.exception("OCR job failed")
            raise RequestError(500, f"internal error ({type(e).__name__})") from None

    protected = [Depends(require_key)]

    @app.post(
        "/v1/ocr",
        response_model=OCRResponse,
        dependencies=protected,
        responses=ERRORS,
        openapi_extra=_body_doc(False),
    )
    async def ocr(request: Request, options: Annotated[OCROptions, Query()]) -> dict:
        """Detect and recognize text: one image (all pages of a PDF/TIFF, up to the limit)."""
        payloads, parsed = await _payloads(request, cfg.limits, OCRJSONRequest, many=False)
        opts = _merge(options, parsed, OCROptions)
        return await run_job(_ocr_job, state.get_engine(), payloads, opts, cfg)

    @app.post(
        "/v1/det",
        response_model=DetResponse,
        dependencies=protected,
        responses=ERRORS,
        openapi_extra=_body_doc(False),
    )
    async def det(request: Request, options: Annotated[DetOptions, Query()]) -> dict:
        """Detect text boxes only."""
        payloads, parsed = await _payloads(request, cfg.limits, OCRJSONRequest, many=False)
        opts = _merge(options, parsed, DetOptions)
        return await run_job(_det_job, state.get_engine(), payloads, opts, cfg)

    @app.post(
        "/v1/rec",
        response_model=RecResponse,
        dependencies=protected,
        responses=ERRORS,
        openapi_extra=_body_doc(True),
    )
    async def rec(request: Request) -> dict:
        """Recognize crops of single text lines (multipart ``files`` or JSON ``images``)."""
        payloads, _ = await _payloads(request, cfg.limits, RecJSONRequest, many=True)
        return await run_job(_rec_job, state.get_engine(), payloads, cfg)

    @app.get("/healthz")
    async def healthz() -> dict:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"description": "loading or failed"}})
    async def readyz() -> JSONResponse:
        """Readiness: the engine is loaded and warmed up."""
        info = {"pending": state.pool.pending, "capacity": state.pool.capacity}
        if state.ready.is_set():
            return JSONResponse({"status": "ready", **info})
        status = "error" if state.error else "loading"
        return JSONResponse({"status": status, "detail": state.error, **info}, 503)

    @app.get("/metrics", dependencies=protected, response_class=PlainTextResponse)
    async def prometheus() -> PlainTextResponse:
        """Prometheus text format."""
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    return app
