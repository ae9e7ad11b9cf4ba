"""`openocr synth rec|det`: render synthetic training data to disk."""

from __future__ import annotations

import argparse
import time

from ..errors import InputError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "synth",
        help="render synthetic text lines (rec) or pages with quads (det)",
        description="Render synthetic OCR data. Fonts and corpora come from "
        "scripts/install_synth_resources.sh; bundled fallback fonts are used otherwise.",
    )
    p.add_argument(
        "kind", choices=["rec", "det"], help="rec: text-line crops; det: pages with quads"
    )
    p.add_argument("--charset", default="en", help="en, ch or a dictionary file (default en)")
    p.add_argument("--n", type=int, required=True, help="number of samples")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument(
        "--format",
        dest="fmt",
        choices=["dir", "lmdb"],
        default="dir",
        help="dir: images/ + labels.tsv|labels.jsonl; lmdb: OpenOCR LMDB (default dir)",
    )
    p.add_argument("--height", type=int, default=48, help="rec: line height (default 48)")
    p.add_argument("--max-width", type=int, default=320, help="rec: max line width (default 320)")
    p.add_argument("--max-len", type=int, default=25, help="rec: max label length (default 25)")
    p.add_argument("--level", choices=["line", "word"], default="line", help="det: box level")
    p.add_argument("--exclude-fonts", default="", help="comma-separated font families to leave out")
    p.add_argument("--fonts", default="", help="comma-separated font families to use exclusively")
    p.add_argument(
        "--bundled-fonts-only",
        action="store_true",
        help="use only the small fallback fonts shipped with openocr (tests, smoke runs)",
    )
    p.add_argument("--png", action="store_true", help="store PNG instead of JPEG (q92)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..charset import Charset

    if args.n <= 0:
        raise InputError(f"--n must be positive, got {args.n}")
    try:
        charset = Charset.load(args.charset)
    except (FileNotFoundError, ValueError) as e:
        raise InputError(str(e)) from None
    from ..synth.writers import write_dataset

    exclude = tuple(s.strip() for s in args.exclude_fonts.split(",") if s.strip())
    fonts = tuple(s.strip() for s in args.fonts.split(",") if s.strip()) or None
    kw: dict = {"charset": charset, "exclude_fonts": exclude, "fonts": fonts}
    if args.bundled_fonts_only:
        kw.update(system_fonts=False)
    if args.kind == "rec":
        kw.update(height=args.height, max_width=args.max_width, max_len=args.max_len)
    else:
        kw.update(level=args.level)
    t0 = time.time()
    try:
        n = write_dataset(
            args.kind,
            args.out,
            args.n,
            fmt=args.fmt,
            seed=args.seed,
            workers=max(1, args.workers),
            ext=".png" if args.png else ".jpg",
            progress=True,
            **kw,
        )
    except RuntimeError as e:
        raise InputError(str(e)) from None
    dt = time.time() - t0
    print(
        f"wrote {n} {args.kind} samples to {args.out} ({args.fmt}) in {dt:.1f} s ({n / max(dt, 1e-9):.1f}/s)"
    )
    return 0
