#!/usr/bin/env bash
# Render the held-out-font Chinese evaluation set (issue #8): 2,000 synthetic `ch` lines drawn only
# with the font families that every `ch` training config excludes (AR PL UKai: Kai; AR PL UMing:
# Song/Ming). Deterministic for a given font installation (scripts/install_synth_resources.sh).
#   bash benchmarks/make_ch_heldout.sh              # -> data/ch_heldout_synth
#   python benchmarks/compare.py --sets data/ch_heldout_synth ReCTS_sample5_line_crops
set -euo pipefail
out="${1:-data/ch_heldout_synth}"
openocr synth rec --charset ch --fonts "AR PL UKai,AR PL UMing" --n 2000 --seed 20261125 \
    --height 48 --max-width 800 --max-len 25 --out "$out"
