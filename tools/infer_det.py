"""Reference-compatible wrapper: `python tools/infer_det.py --c CONFIG --o Global.infer_img=PATH`."""

import sys

from openocr.cli.det import config_main

if __name__ == "__main__":
    sys.exit(config_main())
