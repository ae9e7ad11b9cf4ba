"""Example images bundled with the demo (``openocr/assets/examples/``), rendered with PIL from the
packaged fonts: a shop receipt and a street sign. ``render_examples(dir)`` re-creates them.
"""

from __future__ import annotations

import random
from importlib import resources
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

EXAMPLE_NAMES = ("receipt.png", "sign.png")

RECEIPT_LINES = [
    ("GREEN LEAF GROCERY", "c"),
    ("12 Harbour Street, Leeds", "c"),
    ("Tel 0113 496 0321", "c"),
    ("", ""),
    ("2026-03-14  18:42   #0457", "l"),
    ("--------------------------------", "l"),
    ("Whole milk 2L", "3.20"),
    ("Sourdough bread", "2.85"),
    ("Free range eggs x12", "4.10"),
    ("Bananas 1.2kg", "1.44"),
    ("Cheddar cheese", "3.75"),
    ("Coffee beans 500g", "6.99"),
    ("--------------------------------", "l"),
    ("SUBTOTAL", "22.33"),
    ("VAT 0%", "0.00"),
    ("TOTAL", "22.33"),
    ("CARD", "22.33"),
    ("", ""),
    ("Thank you for shopping!", "c"),
]


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    path = resources.files("openocr.assets").joinpath("fonts", name)
    return ImageFont.truetype(str(path), size)


def receipt_text() -> list[str]:
    """The text a reader should find on the receipt: every printed string except the dashed
    rules (decoration) and the alignment markers of ``RECEIPT_LINES``."""
    return [
        t for line in RECEIPT_LINES for t in line if t not in ("", "c", "l") and set(t) != {"-"}
    ]


def render_receipt(seed: int = 0) -> Image.Image:
    """A till receipt: monospace lines, prices right-aligned, slight rotation on a dark table."""
    rng = random.Random(seed)
    width, line_h = 420, 30
    paper = Image.new("RGB", (width, line_h * len(RECEIPT_LINES) + 40), (250, 248, 240))
    draw = ImageDraw.Draw(paper)
    body = _font("DejaVuSans-ascii.ttf", 19)
    head = _font("DejaVuSerif-Bold-ascii.ttf", 24)
    for i, (text, align) in enumerate(RECEIPT_LINES):
        y = 20 + i * line_h
        font = head if i == 0 else body
        ink = (rng.randint(20, 50),) * 3
        if align == "c":
            draw.text(
                ((width - draw.textlength(text, font=font)) / 2, y), text, font=font, fill=ink
            )
        elif align == "l":
            draw.text((24, y), text, font=font, fill=ink)
        elif text:
            draw.text((24, y), text, font=font, fill=ink)
            draw.text(
                (width - 24 - draw.textlength(align, font=font), y), align, font=font, fill=ink
            )
    paper = paper.rotate(-2.0, resample=Image.BICUBIC, expand=True, fillcolor=(70, 60, 50))
    table = Image.new("RGB", (paper.width + 60, paper.height + 60), (70, 60, 50))
    table.paste(paper, (30, 30))
    return table.filter(ImageFilter.GaussianBlur(0.6))


def render_sign(seed: int = 0) -> Image.Image:
    """A green street sign with Chinese and English text on a sky/brick background."""
    w, h = 640, 400
    img = Image.new("RGB", (w, h), (150, 190, 225))
    draw = ImageDraw.Draw(img)
    rng = random.Random(seed)
    for y in range(260, h, 24):  # brick wall
        for x in range(-40 + (y // 24 % 2) * 30, w, 60):
            shade = rng.randint(-15, 15)
            draw.rectangle([x, y, x + 56, y + 20], fill=(150 + shade, 70 + shade, 55 + shade))
    draw.rectangle([300, 230, 316, h], fill=(90, 90, 95))  # post
    draw.rounded_rectangle([60, 40, 580, 250], radius=18, fill=(20, 110, 70))
    draw.rounded_rectangle([70, 50, 570, 240], radius=12, outline=(245, 245, 245), width=4)
    cjk = _font("NotoSansSC-subset.otf", 64)
    latin = _font("DejaVuSans-ascii.ttf", 40)
    small = _font("DejaVuSans-ascii.ttf", 26)
    white = (248, 248, 248)
    draw.text((110, 70), "中山路", font=cjk, fill=white)
    draw.text((110, 160), "Zhongshan Rd", font=latin, fill=white)
    draw.text((420, 78), "出口", font=_font("NotoSansSC-subset.otf", 34), fill=white)
    draw.text((420, 124), "EXIT", font=small, fill=white)
    draw.text((430, 200), "200 m", font=small, fill=white)
    return img.filter(ImageFilter.GaussianBlur(0.5))


def examples_dir() -> Path:
    return Path(str(resources.files("openocr.assets").joinpath("examples")))


def example_paths() -> list[str]:
    """Paths of the bundled example images that exist (PNG/JPEG files in the examples folder)."""
    root = examples_dir()
    if not root.is_dir():
        return []
    return sorted(str(p) for p in root.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))


def render_examples(out_dir: Path | None = None) -> list[Path]:
    """Write ``receipt.png`` and ``sign.png`` (optimized PNG, < 100 KB each)."""
    out = Path(out_dir) if out_dir else examples_dir()
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, img in zip(EXAMPLE_NAMES, (render_receipt(), render_sign()), strict=True):
        path = out / name
        img.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in render_examples():
        print(p, p.stat().st_size)
