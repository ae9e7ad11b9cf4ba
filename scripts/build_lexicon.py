"""Build the bundled lexicons (``src/openocr/assets/lexicon/{en,zh}_words.tsv.gz``).

The most frequent words of wordfreq (``pip install wordfreq``), one ``word<TAB>zipf`` line each
(zipf rounded to 0.1), most frequent first. English: letters only, lower case. Chinese: words of
2-4 characters, all Chinese characters of the ``ch`` charset:

    python scripts/build_lexicon.py --lang en --top 50000
    python scripts/build_lexicon.py --lang zh --top 60000
"""

from __future__ import annotations

import argparse
import gzip
import re
from pathlib import Path

LEXICON_DIR = Path(__file__).resolve().parents[1] / "src/openocr/assets/lexicon"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lang", choices=("en", "zh"), default="en")
    ap.add_argument("--top", type=int, default=50000, help="words taken from wordfreq's list")
    ap.add_argument("--out", type=Path, help="default: the bundled file of --lang")
    args = ap.parse_args()
    from wordfreq import top_n_list, zipf_frequency

    out = args.out or LEXICON_DIR / f"{args.lang}_words.tsv.gz"
    if args.lang == "en":
        keep = re.compile(r"[a-z]+").fullmatch
    else:
        from openocr.charset import Charset, is_hanzi

        hanzi = "".join(filter(is_hanzi, Charset.load("ch").chars))
        keep = re.compile(f"[{hanzi}]{{2,4}}").fullmatch
    seen: dict[str, float] = {}
    for word in top_n_list(args.lang, args.top):
        w = word.lower()
        if keep(w) and w not in seen:
            seen[w] = round(zipf_frequency(w, args.lang), 1)
    lines = "".join(f"{w}\t{z}\n" for w, z in seen.items())
    # mtime=0: the same list gives the same bytes
    out.write_bytes(gzip.compress(lines.encode("utf-8"), mtime=0))
    print(f"{out}: {len(seen)} words, {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
