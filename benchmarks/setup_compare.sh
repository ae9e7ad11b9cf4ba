#!/usr/bin/env bash
# Create the benchmark-only venv with rapidocr-onnxruntime (PP-OCRv4 mobile, models inside the
# wheel) for benchmarks/compare.py. openocr never imports it: compare.py talks to it through
# benchmarks/_rapidocr_worker.py run with this venv's python.
#   bash benchmarks/setup_compare.sh            # -> benchmarks/.venv-rapidocr
#   VENV=/some/dir bash benchmarks/setup_compare.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${VENV:-$here/.venv-rapidocr}"
version="${RAPIDOCR_VERSION:-1.4.4}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "rapidocr-onnxruntime==$version"
"$venv/bin/python" -c "import rapidocr_onnxruntime, onnxruntime; print('rapidocr-onnxruntime', '$version', 'onnxruntime', onnxruntime.__version__, 'in', '$venv')"
