"""Build the bundled English lexicon (``src/openocr/assets/lexicon/en_words.tsv.gz``).

The most frequent English words of wordfreq (``pip install wordfreq``), letters only, lower case,
one ``word<TAB>zipf`` line each (zipf rounded to 0.1), most frequent first:

    python scripts/build_lexicon.py --top 50000
"""

from __future__ import annotations

import argparse
import gzip
import re
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/openocr/assets/lexicon/en_words.tsv.gz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=50000, help="words taken from wordfreq's list")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    from wordfreq import top_n_list, zipf_frequency

    seen: dict[str, float] = {}
    for word in top_n_list("en", args.top):
        w = word.lower()
        if re.fullmatch(r"[a-z]+", w) and w not in seen:
            seen[w] = round(zipf_frequency(w, "en"), 1)
    lines = "".join(f"{w}\t{z}\n" for w, z in seen.items())
    # mtime=0: the same list gives the same bytes
    args.out.write_bytes(gzip.compress(lines.encode("utf-8"), mtime=0))
    print(f"{args.out}: {len(seen)} words, {args.out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
