"""Build the shipped charset files from facts (no downloaded dictionaries).

en: the 95 printable ASCII characters (space included) -> 96 CTC classes.
ch: every GB2312 hanzi (6,763, enumerated with Python's gb2312 codec), printable ASCII, full-width
    forms U+FF01..U+FF5E, CJK punctuation and common symbols.

Run: python scripts/build_charsets.py   (rewrites src/openocr/assets/charsets/*.txt)
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "openocr" / "assets" / "charsets"

ASCII = [chr(c) for c in range(0x21, 0x7F)] + [" "]
FULLWIDTH = [chr(c) for c in range(0xFF01, 0xFF5F)]
CJK_PUNCT = list("、。〃〈〉《》「」『』【】〔〕〖〗〝〞〜・…—–‘’“”‥′″※")
SYMBOLS = list(
    "¥€£¢°±×÷·§¶©®™µ¹²³¼½¾←↑→↓↔√∞∑∏∫≈≠≤≥∈∩∪⊥∠∵∴℃℉‰№Ⅰ ⅡⅢⅣⅤⅥⅦⅧⅨⅩ①②③④⑤⑥⑦⑧⑨⑩■□▲△◆◇○●★☆✓✔✕✗♀♂αβγδεθλμπσφωΩΔΣ".replace(
        " ", ""
    )
)


def gb2312_hanzi() -> list[str]:
    """All hanzi of GB2312: rows 0xB0-0xF7 (levels 1 and 2), columns 0xA1-0xFE."""
    out = []
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                ch = bytes([hi, lo]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            out.append(ch)
    return out


def unique(chars: list[str]) -> list[str]:
    seen: set[str] = set()
    return [c for c in chars if not (c in seen or seen.add(c))]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    hanzi = gb2312_hanzi()
    assert len(hanzi) == 6763, len(hanzi)
    en = ASCII
    ch = unique(ASCII + hanzi + FULLWIDTH + CJK_PUNCT + SYMBOLS)
    for name, chars in (("en", en), ("ch", ch)):
        (OUT / f"{name}.txt").write_text("\n".join(chars) + "\n", encoding="utf-8")
        print(f"{name}: {len(chars)} characters, {len(chars) + 1} CTC classes")


if __name__ == "__main__":
    main()
