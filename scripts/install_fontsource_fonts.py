"""Install Chinese fonts from Fontsource npm packages as whole TTF files.

Fontsource ships each CJK font as ~90 unicode-range subsets (WOFF); the font index only picks a
face for a line it draws whole, so the subsets are merged back into one TTF per family.

    python scripts/install_fontsource_fonts.py [--dest ~/.local/share/fonts/openocr-fontsource]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from fontTools.merge import Merger, Options

# Pinned for reproducible training data. Chosen by eye for legible, distinct glyphs
# (于/干/千, 己/已/巳): ZCOOL XiaoWei draws 于 as 干 and stays out, as do the cursive
# Zhi Mang Xing and Liu Jian Mao Cao. Coverage and provenance: docs/synth.md.
PACKAGES = {
    "MaShanZheng-Regular.ttf": "@fontsource/ma-shan-zheng@5.3.1",  # brush Kai
    "LongCang-Regular.ttf": "@fontsource/long-cang@5.3.0",  # handwritten Kai
    # Ming, not Arphic-derived: the held-out AR PL UMing stays unseen
    "CactusClassicalSerif-Regular.ttf": "@fontsource/cactus-classical-serif@5.3.0",
}
SUBSET = re.compile(r"-\d+-400-normal\.woff$")


def merge_subsets(woffs: list[Path], out: Path) -> int:
    """Merge same-font WOFF subsets into one TTF; returns the number of mapped characters.

    Per-subset layout tables (GSUB/GPOS) do not merge and rendering does not need them.
    """
    merged = Merger(options=Options(drop_tables=["GSUB", "GPOS"])).merge(woffs)
    merged.flavor = None
    merged.save(out)
    return len(merged.getBestCmap())


def install(dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name, spec in PACKAGES.items():
        out = dest / name
        if out.exists():
            print(f"present: {out}")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            subprocess.run(["npm", "pack", "--silent", spec], cwd=work, check=True,
                           stdout=subprocess.DEVNULL)
            (tgz,) = work.glob("*.tgz")
            with tarfile.open(tgz) as tar:
                tar.extractall(work, filter="data")
            woffs = sorted(p for p in (work / "package" / "files").iterdir()
                           if SUBSET.search(p.name))
            if not woffs:
                sys.exit(f"{spec}: no numbered WOFF subsets in the package")
            chars = merge_subsets(woffs, work / name)
            shutil.move(work / name, out)
            print(f"installed: {out} ({len(woffs)} subsets, {chars} characters)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path,
                        default=Path("~/.local/share/fonts/openocr-fontsource").expanduser())
    install(parser.parse_args().dest)


if __name__ == "__main__":
    main()
