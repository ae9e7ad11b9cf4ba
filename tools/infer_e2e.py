"""Reference-compatible wrapper: `python tools/infer_e2e.py --img_path=PATH [--save_dir=DIR] [--is_vis]`."""

import sys

from openocr.cli.ocr import legacy_main

if __name__ == "__main__":
    sys.exit(legacy_main())
