"""``openocr demo``: the Gradio web demo (extra ``[demo]``).

Opens a page where you upload or paste an image (or pick a PDF page) and read its text, with the
two-panel visualisation, a table of lines and scores, JSON download and timings. Binds
127.0.0.1 unless ``--host`` says otherwise.
"""

from __future__ import annotations

import argparse
import functools

from ._common import add_model_args, engine_from_args


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="run the web demo", description=__doc__.split("\n\n")[0])
    add_model_args(p, det=True, rec=True)
    p.add_argument("--host", default="127.0.0.1", help="bind address (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    p.add_argument("--share", action="store_true", help="create a public Gradio share link")
    p.add_argument("--drop-score", type=float, default=0.5, help="initial drop-score slider value")
    p.set_defaults(func=run)


def engine_factory(args: argparse.Namespace):
    """``factory(mode, backend)``: explicit model files override the shipped ones in every mode."""

    def factory(mode: str, backend: str):
        return engine_from_args(args, mode=mode, backend=backend, drop_score=0.0)

    return factory


def run(args: argparse.Namespace) -> int:
    try:
        import gradio  # noqa: F401

        from ..demo.app import build_demo, demo_theme
    except ImportError as e:
        from ..errors import OpenOCRError

        raise OpenOCRError(f"the demo needs {e.name}: pip install 'openocr[demo]'") from None
    factory = functools.lru_cache(maxsize=None)(engine_factory(args))
    factory(args.mode, args.backend)  # fail now, with one line, when model files are missing
    modes = tuple(dict.fromkeys((args.mode, "mobile", "server")))
    backends = tuple(dict.fromkeys((args.backend, "onnx", "torch")))
    demo = build_demo(factory, modes=modes, backends=backends, drop_score=args.drop_score)
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        theme=demo_theme(),
        max_file_size="25mb",
    )
    return 0
