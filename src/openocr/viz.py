"""Two-panel visualisation: left, the image with boxes filled 50% in random colours; right, the
recognized text drawn into each box on white. Fonts: an explicit path, else a font packaged in
``openocr/assets/fonts/`` (found via importlib.resources), else Pillow's built-in font. Nothing
is downloaded. Images are RGB uint8.
"""

from __future__ import annotations

import functools
import random
from importlib import resources
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


@functools.lru_cache(maxsize=1)
def packaged_font() -> str | None:
    """Path of the first font shipped in ``openocr/assets/fonts/``, if any."""
    try:
        root = resources.files("openocr.assets").joinpath("fonts")
        if not root.is_dir():
            return None
        fonts = sorted(str(p) for p in root.iterdir() if str(p).lower().endswith(FONT_SUFFIXES))
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        return None
    return fonts[0] if fonts else None


@functools.lru_cache(maxsize=64)
def _font(size: int, font_path: str | None) -> Any:
    path = font_path or packaged_font()
    size = max(int(size), 4)
    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return ImageFont.load_default(size=size)


def _fit_font(text: str, box_w: int, box_h: int, font_path: str | None) -> Any:
    size = max(int(box_h * 0.99), 4)
    font = _font(size, font_path)
    length = font.getlength(text) if text else 0
    if length > box_w > 0:
        size = max(int(size * box_w / length), 4)
        font = _font(size, font_path)
    return font


def _text_patch(text: str, box_w: int, box_h: int, font_path: str | None) -> np.ndarray:
    vertical = box_h > 2 * box_w and box_h > 30
    w, h = (box_h, box_w) if vertical else (box_w, box_h)
    patch = Image.new("RGB", (max(w, 1), max(h, 1)), (255, 255, 255))
    font = _fit_font(text, w, h, font_path)
    ImageDraw.Draw(patch).text((0, 0), text, fill=(0, 0, 0), font=font)
    arr = np.asarray(patch)
    return np.ascontiguousarray(np.rot90(arr, k=3)) if vertical else arr


def draw_ocr(
    image: np.ndarray, page: Any, drop_score: float = 0.0, font_path: str | None = None
) -> np.ndarray:
    """Return a 2W x H RGB visualisation of ``page`` (a ``results.Page``) over ``image``."""
    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    h, w = img.shape[:2]
    rng = random.Random(0)
    overlay = Image.fromarray(img.copy())
    draw_left = ImageDraw.Draw(overlay)
    right = np.full((h, w, 3), 255, dtype=np.uint8)
    outlines = []
    for line in page.lines:
        if line.score < drop_score:
            continue
        color = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
        pts = [tuple(p) for p in line.points]
        draw_left.polygon(pts, fill=color)
        outlines.append((pts, color))
        quad = np.asarray(line.points, dtype=np.float32)
        if len(quad) != 4:
            quad = cv2.boxPoints(cv2.minAreaRect(quad)).astype(np.float32)
        box_w = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
        box_h = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
        if box_w < 1 or box_h < 1 or not line.text:
            continue
        patch = _text_patch(line.text, box_w, box_h, font_path)
        ph, pw = patch.shape[:2]
        src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], dtype=np.float32)
        m = cv2.getPerspectiveTransform(src, quad)
        warped = cv2.warpPerspective(
            patch,
            m,
            (w, h),
            flags=cv2.INTER_NEAREST,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(255, 255, 255),
        )
        right = np.bitwise_and(right, warped)
    left = Image.blend(Image.fromarray(img), overlay, 0.5)
    right_img = Image.fromarray(right)
    draw_right = ImageDraw.Draw(right_img)
    for pts, color in outlines:
        draw_right.polygon(pts, outline=color)
    canvas = Image.new("RGB", (2 * w, h), (255, 255, 255))
    canvas.paste(left, (0, 0))
    canvas.paste(right_img, (w, 0))
    return np.asarray(canvas)


def draw_boxes(
    image: np.ndarray, boxes: Any, color: tuple[int, int, int] = (0, 255, 255), thickness: int = 2
) -> np.ndarray:
    """Polylines of detected boxes on a copy of ``image`` (RGB; default cyan)."""
    out = np.ascontiguousarray(np.asarray(image).copy())
    for box in boxes:
        pts = np.asarray(box, dtype=np.int32).reshape(-1, 1, 2)
        cv2.polylines(out, [pts], True, color, thickness)
    return out


def save_image(path: Any, image: np.ndarray) -> None:
    """Write an RGB array (format from the suffix)."""
    Image.fromarray(image).save(str(path))
