"""``openocr serve``: the HTTP OCR service (FastAPI + uvicorn, extra ``[serve]``).

Loads the engine once, then serves ``POST /v1/ocr``, ``/v1/det``, ``/v1/rec``, ``/healthz``,
``/readyz``, ``/metrics`` and the OpenAPI docs at ``/docs``. Binds 127.0.0.1 unless ``--host``
says otherwise. Set ``OPENOCR_API_KEY`` to require an API key.
"""

from __future__ import annotations

import argparse

from ._common import add_model_args, det_overrides, engine_from_args


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve", help="run the HTTP OCR service", description=__doc__.split("\n\n")[0]
    )
    add_model_args(p, det=True, rec=True)
    p.add_argument("--host", default="127.0.0.1", help="bind address (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--workers", type=int, default=1, help="OCR worker threads (default: 1)")
    p.add_argument(
        "--queue-size", type=int, default=8, help="requests waiting beyond the workers before 503"
    )
    p.add_argument(
        "--drop-score",
        type=float,
        default=0.5,
        help="default drop score (per request: ?drop_score=)",
    )
    p.add_argument("--max-body-mb", type=float, default=20, help="request size limit (MiB)")
    p.add_argument("--max-megapixels", type=float, default=40, help="image size limit (MP)")
    p.add_argument("--max-pages", type=int, default=10, help="PDF/TIFF pages per request")
    p.add_argument("--log-level", default="info", help="uvicorn log level")
    p.set_defaults(func=run)


def build_engine(args: argparse.Namespace):
    """An engine keeping every line (drop score is applied per request by the service)."""
    from ..postprocess.db import DBPostConfig

    post = DBPostConfig(box_type=args.det_box_type, **det_overrides(args))
    return engine_from_args(args, drop_score=0.0, det_post=post)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..serve import Limits, ServeConfig, create_app
    except ImportError as e:
        from ..errors import OpenOCRError

        raise OpenOCRError(f"the service needs {e.name}: pip install 'openocr[serve]'") from None
    engine = build_engine(args)  # fails here, with one line, when model files are missing
    limits = Limits(
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
        max_pixels=int(args.max_megapixels * 1_000_000),
        max_pages=args.max_pages,
    )
    cfg = ServeConfig(
        workers=args.workers, queue_size=args.queue_size, drop_score=args.drop_score, limits=limits
    )
    app = create_app(engine, config=cfg)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0
