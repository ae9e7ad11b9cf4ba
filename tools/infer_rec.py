"""Reference-compatible wrapper: `python tools/infer_rec.py --c CONFIG --o Global.infer_img=PATH`."""

import sys

from openocr.cli.rec import config_main

if __name__ == "__main__":
    sys.exit(config_main())
