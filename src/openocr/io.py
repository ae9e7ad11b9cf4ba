"""Image input: one entry point, ``load_image``, returning **RGB uint8 HxWx3**.

Accepted sources: a path (str / Path), raw bytes, a PIL image or a numpy array (RGB unless
``bgr=True``). Multi-page TIFF, GIF frames and PDF pages (needs ``pypdfium2``, the ``[pdf]``
extra) come from ``load_pages``. Every unusable input raises ``InputError`` with one line naming
the source. ``expand_inputs`` turns folders, globs and lists into a flat list of sources.
"""

from __future__ import annotations

import glob as _glob
import io as _io
import os
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".gif", ".webp", ".rgb", ".pdf")
MAX_PIXELS = 100_000_000  # 10k x 10k; above this an image is refused (pass max_pixels to allow)
MAX_SIDE = 32_000
PDF_MAX_SIDE = 2000  # PDF pages render at 2x zoom, or 1x when 2x would exceed this side

ImageSource = Any  # str | Path | bytes | PIL.Image.Image | np.ndarray


@dataclass
class PageImage:
    """One page of one input: ``image`` (RGB uint8) or ``error`` (the InputError), never both."""

    name: str
    page_index: int
    num_pages: int
    image: np.ndarray | None = None
    error: InputError | None = None
    path: str | None = None


def source_name(src: ImageSource, index: int = 0) -> str:
    """A short printable name for a source (file name for paths)."""
    if isinstance(src, (str, os.PathLike)):
        return str(src)
    kind = {bytes: "bytes", bytearray: "bytes", np.ndarray: "array"}.get(type(src), "image")
    return f"<{kind} {index}>"


# --- array conversion ---------------------------------------------------------------------
def _to_uint8(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if arr.dtype == np.uint16 or (
        np.issubdtype(arr.dtype, np.integer) and arr.max(initial=0) > 255
    ):
        return np.clip(arr.astype(np.float32) * (255.0 / 65535.0) + 0.5, 0, 255).astype(np.uint8)
    if np.issubdtype(arr.dtype, np.integer):
        return np.clip(arr, 0, 255).astype(np.uint8)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise InputError(f"{name}: array contains NaN or infinite values")
        scale = 255.0 if arr.max(initial=0) <= 1.0 else 1.0
        return np.clip(arr * scale + 0.5, 0, 255).astype(np.uint8)
    raise InputError(f"{name}: unsupported array dtype {arr.dtype}")


def _composite_on_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha.astype(np.float32)[..., None] / 255.0
    return (rgb.astype(np.float32) * a + 255.0 * (1.0 - a) + 0.5).astype(np.uint8)


def array_to_rgb(
    arr: np.ndarray, bgr: bool = False, name: str = "<array>", max_pixels: int = MAX_PIXELS
) -> np.ndarray:
    """Normalize a user array (HxW, HxWx1/3/4; any int/float dtype) to RGB uint8 HxWx3."""
    if not isinstance(arr, np.ndarray):
        raise InputError(f"{name}: expected a numpy array, got {type(arr).__name__}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise InputError(f"{name}: array shape {arr.shape} is not HxW, HxWx3 or HxWx4")
    h, w = arr.shape[:2]
    _check_size(w, h, name, max_pixels)
    arr = _to_uint8(arr, name)
    if arr.ndim == 2:
        return np.ascontiguousarray(np.repeat(arr[..., None], 3, axis=2))
    if arr.shape[2] == 4:
        rgb = arr[..., 2::-1] if bgr else arr[..., :3]
        return _composite_on_white(rgb, arr[..., 3])
    return np.ascontiguousarray(arr[..., ::-1] if bgr else arr)


def _check_size(w: int, h: int, name: str, max_pixels: int, nbytes: int | None = None) -> None:
    if w <= 0 or h <= 0:
        raise InputError(f"{name}: image has zero size ({w}x{h})")
    if max_pixels and w * h > max_pixels:
        bomb = nbytes is not None and w * h > 1000 * max(nbytes, 1)
        what = "looks like a decompression bomb" if bomb else "is too large"
        raise InputError(
            f"{name}: {w}x{h} image ({w * h / 1e6:.0f} MP) {what}; limit is {max_pixels / 1e6:.0f} MP"
            " (pass max_pixels= to raise it)"
        )
    if max(w, h) > MAX_SIDE:
        raise InputError(f"{name}: {w}x{h} image has a side longer than {MAX_SIDE} px")


# --- PIL decoding -------------------------------------------------------------------------
def _pil_frame_to_rgb(frame: Any, name: str) -> np.ndarray:
    mode = frame.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return array_to_rgb(np.asarray(frame), name=name, max_pixels=0)
    if mode == "P":
        frame = frame.convert("RGBA" if "transparency" in frame.info else "RGB")
    elif mode in ("LA", "PA", "La", "RGBa"):
        frame = frame.convert("RGBA")
    elif mode not in ("RGB", "RGBA"):
        frame = frame.convert("RGB")
    return array_to_rgb(np.asarray(frame), name=name, max_pixels=0)


def _open_pil(data: bytes | str | Path | Any, name: str, max_pixels: int, nbytes: int | None):
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(_io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data)
    except Image.DecompressionBombError as e:
        raise InputError(f"{name}: looks like a decompression bomb ({e})") from None
    except UnidentifiedImageError:
        raise InputError(f"{name}: not an image (unrecognised or corrupt file format)") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise InputError(f"{name}: cannot read image ({e})") from None
    _check_size(img.width, img.height, name, max_pixels, nbytes)
    return img


def _decode_pil(img: Any, name: str, exif: bool, max_pages: int | None) -> list[np.ndarray]:
    from PIL import Image, ImageOps

    pages: list[np.ndarray] = []
    n = getattr(img, "n_frames", 1) or 1
    if max_pages is not None:
        n = min(n, max_pages)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            for i in range(n):
                if i:
                    img.seek(i)
                frame = img
                frame.load()
                if exif:
                    frame = ImageOps.exif_transpose(frame)
                pages.append(_pil_frame_to_rgb(frame, name))
    except InputError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        msg = str(e) or type(e).__name__
        raise InputError(f"{name}: truncated or corrupt image ({msg})") from None
    return pages


# --- PDF ----------------------------------------------------------------------------------
def _load_pdf(data: bytes, name: str, max_pages: int | None) -> list[np.ndarray]:
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise InputError(
            f"{name}: PDF input needs pypdfium2 (pip install 'openocr[pdf]')"
        ) from None
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as e:  # pdfium raises its own PdfiumError
        raise InputError(f"{name}: cannot open PDF ({e})") from None
    pages = []
    for i in range(len(pdf) if max_pages is None else min(len(pdf), max_pages)):
        page = pdf[i]
        w, h = page.get_size()
        scale = 2.0 if max(w, h) * 2 <= PDF_MAX_SIDE else 1.0
        pil = page.render(scale=scale).to_pil()
        pages.append(_pil_frame_to_rgb(pil, name))
    if not pages:
        raise InputError(f"{name}: PDF has no pages")
    return pages


# --- public entry points ------------------------------------------------------------------
def load_pages(
    src: ImageSource,
    *,
    exif: bool = True,
    bgr: bool = False,
    max_pixels: int = MAX_PIXELS,
    max_pages: int | None = None,
    name: str | None = None,
) -> list[np.ndarray]:
    """Decode every page of ``src`` (TIFF pages, GIF frames, PDF pages) to RGB uint8 arrays.

    Args:
        src: path, bytes, PIL image or numpy array (RGB, or BGR with ``bgr=True``).
        exif: apply the EXIF orientation tag (set False to keep the stored pixel order).
        bgr: numpy input is BGR (OpenCV order) instead of RGB.
        max_pixels: refuse images with more pixels than this (0 = no limit).
        max_pages: decode at most this many pages.

    Raises:
        InputError: missing, empty, truncated, zero-size, oversized or non-image input.
    """
    name = name or source_name(src)
    if isinstance(src, np.ndarray):
        return [array_to_rgb(src, bgr=bgr, name=name, max_pixels=max_pixels)]
    if isinstance(src, (str, os.PathLike)):
        path = Path(src)
        if not path.exists():
            raise InputError(f"{name}: no such file")
        if path.is_dir():
            raise InputError(f"{name}: is a directory, not an image")
        try:
            data = path.read_bytes()
        except OSError as e:
            raise InputError(f"{name}: cannot read file ({e.strerror or e})") from None
    elif isinstance(src, (bytes, bytearray, memoryview)):
        data = bytes(src)
    elif hasattr(src, "mode") and hasattr(src, "size") and hasattr(src, "convert"):  # PIL image
        _check_size(src.width, src.height, name, max_pixels)
        return _decode_pil(src, name, exif, max_pages)
    else:
        raise InputError(f"{name}: unsupported input type {type(src).__name__}")
    if not data:
        raise InputError(f"{name}: empty file")
    if data[:5] == b"%PDF-":
        return _load_pdf(data, name, max_pages)
    img = _open_pil(data, name, max_pixels, len(data))
    return _decode_pil(img, name, exif, max_pages)


def load_image(src: ImageSource, **kwargs: Any) -> np.ndarray:
    """Decode ``src`` to one RGB uint8 HxWx3 array (the first page of multi-page files).

    >>> import numpy as np
    >>> load_image(np.zeros((4, 5), np.uint8)).shape
    (4, 5, 3)
    """
    return load_pages(src, max_pages=1, **kwargs)[0]


def expand_inputs(
    inputs: ImageSource | Iterable[ImageSource], recursive: bool = False
) -> list[ImageSource]:
    """Flatten a source, folder, glob pattern or list of these into a list of sources.

    Folders give their image files (by extension, sorted; ``recursive`` descends). A string with
    glob characters that is not an existing path is expanded as a glob. Paths that do not exist
    are kept, so that loading reports them (a batch continues past them).
    """
    if isinstance(inputs, (str, os.PathLike, bytes, bytearray, np.ndarray)) or hasattr(
        inputs, "mode"
    ):
        items: Iterable[ImageSource] = [inputs]
    else:
        items = inputs
    out: list[ImageSource] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            out.append(item)
            continue
        path = Path(item)
        if path.is_dir():
            it = path.rglob("*") if recursive else path.iterdir()
            found = sorted(str(p) for p in it if p.is_file() and p.suffix.lower() in IMAGE_EXTS)
            out.extend(found)
        elif not path.exists() and any(c in str(item) for c in "*?["):
            matches = sorted(_glob.glob(str(item), recursive=recursive))
            if not matches:
                out.append(item)  # reported as missing when loaded
            out.extend(m for m in matches if Path(m).is_file())
        else:
            out.append(item)
    return out


def iter_pages(
    inputs: ImageSource | Iterable[ImageSource], recursive: bool = False, **load_kwargs: Any
) -> Iterator[PageImage]:
    """Expand ``inputs`` and yield every page; a bad input yields one PageImage with ``error``."""
    for i, src in enumerate(expand_inputs(inputs, recursive=recursive)):
        name = source_name(src, i)
        path = str(src) if isinstance(src, (str, os.PathLike)) else None
        try:
            pages = load_pages(src, name=name, **load_kwargs)
        except InputError as e:
            yield PageImage(name, 0, 0, error=e, path=path)
            continue
        for k, page in enumerate(pages):
            yield PageImage(name, k, len(pages), image=page, path=path)
