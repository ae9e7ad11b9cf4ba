"""Request payloads -> RGB pages, with limits. Every refusal is a ``RequestError`` carrying the
HTTP status and a one-line message. Client-supplied file names are labels only: nothing a
client sends is ever opened as a path."""

from __future__ import annotations

import base64
import binascii
import io
import os
import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

IMAGE_TYPES = {
    "image/png",
    "image/jpeg",
    "image/jpg",
    "image/bmp",
    "image/x-ms-bmp",
    "image/tiff",
    "image/gif",
    "image/webp",
}
PDF_TYPES = {"application/pdf", "application/x-pdf"}
SNIFF_TYPES = {"", "application/octet-stream"}  # decide from the bytes


@dataclass(frozen=True)
class Limits:
    """Per-request limits (defaults suit one receipt photo or a short PDF)."""

    max_body_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_pages: int = 10
    max_rec_images: int = 64


class RequestError(Exception):
    """A refused request: ``status`` (4xx/5xx) and a one-line ``message``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def safe_name(filename: str | None, default: str = "upload") -> str:
    """A printable label from a client file name (basename, at most 120 characters)."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(c for c in name if c.isprintable())[:120]
    return name or default


def check_media_type(content_type: str | None, name: str) -> None:
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct in IMAGE_TYPES or ct in PDF_TYPES or ct in SNIFF_TYPES:
        return
    raise RequestError(
        415, f"{name}: unsupported media type {ct!r}; send an image (PNG, JPEG, ...) or a PDF"
    )


def decode_base64(data: str, name: str) -> bytes:
    """Standard or URL-safe base64, optionally a ``data:<type>;base64,`` URL."""
    if not isinstance(data, str) or not data:
        raise RequestError(400, f"{name}: empty base64 string")
    if data.startswith("data:"):
        head, _, data = data.partition(",")
        if ";base64" not in head:
            raise RequestError(400, f"{name}: data URL is not base64-encoded")
        check_media_type(head[5:].split(";")[0], name)
    compact = "".join(data.split())
    if "-" in compact or "_" in compact:
        compact = compact.replace("-", "+").replace("_", "/")
    compact += "=" * (-len(compact) % 4)
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise RequestError(400, f"{name}: malformed base64") from None
    if not raw:
        raise RequestError(400, f"{name}: empty image")
    return raw


def _pdf_page_count(data: bytes, name: str) -> int:
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise RequestError(
            415, f"{name}: PDF input is not enabled on this server (needs pypdfium2)"
        ) from None
    try:
        return len(pdfium.PdfDocument(data))
    except Exception:  # pdfium raises its own PdfiumError
        raise RequestError(400, f"{name}: cannot open PDF (corrupt or encrypted)") from None


def _image_size(data: bytes, name: str) -> tuple[int, int]:
    """Width and height from the header only (nothing is decoded)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                return img.size
    except Image.DecompressionBombError:
        raise RequestError(413, f"{name}: image looks like a decompression bomb") from None
    except UnidentifiedImageError:
        raise RequestError(
            415, f"{name}: not a supported image (PNG, JPEG, BMP, TIFF, GIF, WebP) or PDF"
        ) from None
    except (OSError, SyntaxError, ValueError) as e:
        raise RequestError(400, f"{name}: cannot read image ({e})") from None


def decode_pages(
    data: bytes, name: str, limits: Limits, max_pages: int | None = None
) -> list[np.ndarray]:
    """Decode an image or PDF into RGB pages: the first ``max_pages`` pages (TIFF pages, GIF
    frames, PDF pages), at most ``limits.max_pages``. A PDF longer than the limit is refused
    unless the request asks for fewer pages."""
    from ..io import load_pages

    if not data:
        raise RequestError(400, f"{name}: empty file")
    take = min(max_pages or limits.max_pages, limits.max_pages)
    if data[:5] == b"%PDF-":
        n = _pdf_page_count(data, name)
        if max_pages is None and n > limits.max_pages:
            raise RequestError(
                413,
                f"{name}: PDF has {n} pages; the limit is {limits.max_pages} "
                "(pass max_pages to read the first pages)",
            )
    else:
        w, h = _image_size(data, name)
        if w * h > limits.max_pixels:
            raise RequestError(
                413,
                f"{name}: {w}x{h} image is too large ({w * h / 1e6:.1f} MP; "
                f"the limit is {limits.max_pixels / 1e6:.1f} MP)",
            )
    try:
        return load_pages(data, name=name, max_pixels=limits.max_pixels, max_pages=take)
    except InputError as e:
        raise RequestError(400, str(e)) from None
