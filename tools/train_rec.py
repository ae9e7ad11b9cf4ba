"""Reference-compatible wrapper: `python tools/train_rec.py --c CONFIG --o KEY=VALUE ...`."""

import sys

from openocr.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
