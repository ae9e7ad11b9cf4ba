"""scripts/install_fontsource_fonts.py: unicode-range WOFF subsets merge back into one TTF."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
FONT = ROOT / "src" / "openocr" / "assets" / "fonts" / "DejaVuSans-ascii.ttf"


@pytest.fixture(scope="module")
def installer(load_script):
    return load_script("scripts/install_fontsource_fonts.py")


def _ink(font_path: Path, text: str) -> bytes:
    img = Image.new("L", (400, 60), 0)
    ImageDraw.Draw(img).text((5, 5), text, font=ImageFont.truetype(str(font_path), 40), fill=255)
    return img.tobytes()


def test_subsets_merge_into_the_whole_font(installer, tmp_path: Path) -> None:
    chars = sorted(TTFont(FONT).getBestCmap())
    ranges = [chars[: len(chars) // 3], chars[len(chars) // 3: 2 * len(chars) // 3],
              chars[2 * len(chars) // 3:]]
    woffs = []
    for i, part in enumerate(ranges):  # as Fontsource ships them: name-N-400-normal.woff
        font = TTFont(FONT)
        sub = subset.Subsetter(subset.Options(flavor="woff"))
        sub.populate(unicodes=part)
        sub.subset(font)
        font.flavor = "woff"
        path = tmp_path / f"dejavu-{i}-400-normal.woff"
        font.save(path)
        assert installer.SUBSET.search(path.name)
        woffs.append(path)
    out = tmp_path / "merged.ttf"
    assert installer.merge_subsets(woffs, out) == len(chars)
    assert sorted(TTFont(out).getBestCmap()) == chars
    text = "".join(chr(c) for c in (chars[0], chars[len(chars) // 2], chars[-1])) + "Ag9"
    assert _ink(out, text) == _ink(FONT, text)
