"""Reference-style wrapper: `python tools/toonnx.py CHECKPOINT --out model.onnx`."""

import sys

from openocr.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["export", *sys.argv[1:]]))
