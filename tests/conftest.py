"""Shared fixtures: tiny datasets rendered in code (no network, no eval data)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def load_script():
    """Import a file under scripts/ or benchmarks/ (not a package) as a module."""

    def load(relpath: str):
        path = ROOT / relpath
        name = "openocr_" + path.stem
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod  # dataclasses in the script look their module up here
        spec.loader.exec_module(mod)
        return mod

    return load


WORDS = [
    "HELLO",
    "world",
    "OpenOCR",
    "2026",
    "text",
    "Shop",
    "EXIT",
    "cafe",
    "Total",
    "42.50",
    "north",
    "LINE",
    "data",
    "ABC",
    "road",
    "Sale",
    "milk",
    "Bank",
    "Hotel",
    "zone",
]


def render_word(text: str, height: int = 32, seed: int = 0) -> np.ndarray:
    """Black text on a light background, RGB uint8."""
    rng = np.random.default_rng(seed)
    font = ImageFont.load_default(size=int(height * 0.7))
    left, top, right, bottom = font.getbbox(text)
    w, h = right - left + 8, height
    bg = tuple(int(c) for c in rng.integers(200, 256, 3))
    img = Image.new("RGB", (w, h), bg)
    ImageDraw.Draw(img).text(
        (4 - left, (h - (bottom - top)) // 2 - top), text, font=font, fill=(20, 20, 20)
    )
    return np.asarray(img)


@pytest.fixture(scope="session")
def rec_label_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 word images + reference-style label file `train.txt` (path<TAB>text) and labels.tsv."""
    root = tmp_path_factory.mktemp("rec_data")
    (root / "images").mkdir()
    lines = []
    for i, word in enumerate(WORDS):
        rel = f"images/w{i:02d}.png"
        Image.fromarray(render_word(word, seed=i)).save(root / rel)
        lines.append(f"{rel}\t{word}")
    (root / "train.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "labels.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def render_page(seed: int, size: tuple[int, int] = (320, 256)) -> tuple[np.ndarray, list[dict]]:
    """A light page with a few dark text lines; returns the image and line-level instances."""
    rng = np.random.default_rng(seed)
    w, h = size
    img = Image.new("RGB", (w, h), (240, 240, 235))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=18)
    instances = []
    y = 12
    while y < h - 30:
        text = " ".join(rng.choice(WORDS, int(rng.integers(1, 4))))
        x = int(rng.integers(8, 60))
        x0, t, r, b = draw.textbbox((x, y), text, font=font)
        if r >= w - 4:
            y += 34
            continue
        draw.text((x, y), text, font=font, fill=(15, 15, 15))
        instances.append(
            {"points": [[x0, t], [r, t], [r, b], [x0, b]], "text": text, "ignore": False}
        )
        y += int(rng.integers(30, 44))
    return np.asarray(img), instances


@pytest.fixture(scope="session")
def det_eval_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 pages in our eval format: images/ + labels.jsonl."""
    root = tmp_path_factory.mktemp("det_data")
    (root / "images").mkdir()
    with (root / "labels.jsonl").open("w", encoding="utf-8") as f:
        for i in range(6):
            img, inst = render_page(i)
            Image.fromarray(img).save(root / f"images/p{i}.png")
            f.write(json.dumps({"image": f"images/p{i}.png", "instances": inst}) + "\n")
    return root
