"""Choose the word prior's weight and gate on held-out synthetic lines (docs/engine.md step 6).

Generates lines with ``RecLineGenerator`` (a seed no training run used), reads each once with
the recognizer, then re-decodes the same probabilities under every (weight, min_conf) pair and
prints exact-match / standard accuracy, plus accuracy by kind of line for the default config:

    python benchmarks/lexicon_sweep.py --model runs/rec_en_s12/rec16_fin.onnx --n 4000 --seed 4242

``--charset ch`` sweeps the Chinese characters' weight and gate instead, on lines drawn in the
training fonts (the held-out-font families AR PL UKai/UMing left out, as in training):

    python benchmarks/lexicon_sweep.py --charset ch --model runs/rec_ch_m9/mean16.onnx --n 1500 --seed 7777
"""

from __future__ import annotations

import argparse
import re

import numpy as np

from openocr.eval.evaluate import PROTOCOLS
from openocr.eval.metrics import edit_distance, normalize_text
from openocr.postprocess.ctc import ctc_greedy_decode, ensure_probs
from openocr.postprocess.lexicon import Lexicon, LexiconConfig, rescore_words
from openocr.predictors import RecPredictor
from openocr.preprocess.rec import make_rec_batches
from openocr.runtime.base import load_backend
from openocr.synth.rec import RecLineGenerator

HELD_OUT_FONTS = ("AR PL UKai", "AR PL UMing")  # configs/rec/repsvtr_ch.yml


def standard(t: str) -> str:
    return normalize_text(t, **PROTOCOLS["standard"])


def kind(text: str, lex: Lexicon) -> str:
    if re.fullmatch(r"[A-Za-z]+", text):
        return "one lexicon word" if lex.prior(text) > 0 else "one word not in the lexicon"
    return "with digits" if re.search(r"\d", text) else "several words / punctuation"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="English recognizer (.onnx / .safetensors)")
    ap.add_argument("--n", type=int, default=4000, help="synthetic lines")
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--charset", choices=("en", "ch"), default="en")
    args = ap.parse_args()
    backend = load_backend(args.model, None, threads=args.threads)
    predictor = RecPredictor(backend, lexicon=None)  # its preprocessing and charset
    lookup = predictor.lookup
    if args.charset == "en":
        gen = RecLineGenerator("en", height=32, max_width=256, seed=args.seed, tilt_ratio=0.2)
    else:
        gen = RecLineGenerator(
            "ch", height=32, max_width=320, seed=args.seed, exclude_fonts=HELD_OUT_FONTS
        )
    rows = []
    for _ in range(args.n):
        img, text = gen.sample()
        (batch,) = make_rec_batches([img], predictor.cfg)
        probs = ensure_probs(backend(batch.x))[0]
        rows.append((text, probs, ctc_greedy_decode(probs[None], lookup)[0]))
    lex = Lexicon.load(args.charset)

    def score(cfg: LexiconConfig | None) -> tuple[list[str], str]:
        outs = [
            g.text if cfg is None else rescore_words(p, g, lookup, lex, cfg).text
            for _, p, g in rows
        ]
        pairs = [(o, t) for o, (t, _, _) in zip(outs, rows, strict=True)]
        exact = np.mean([o == t for o, t in pairs])
        if args.charset == "en":
            std = np.mean([standard(o) == standard(t) for o, t in pairs])
        else:  # the standard protocol keeps Latin letters and digits only
            std = np.mean([1 - edit_distance(o, t) / max(len(o), len(t), 1) for o, t in pairs])
        return outs, f"{100 * exact:.1f} / {100 * std:.1f}"

    greedy, line = score(None)
    print(f"greedy: {line}  (exact / {'standard' if args.charset == 'en' else '1 - NED'} %)")
    if args.charset == "ch":
        for weight in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0):
            cells = [
                score(LexiconConfig(hanzi_weight=weight, hanzi_min_conf=mc))[1]
                for mc in (0.7, 0.8, 0.9, 0.98)
            ]
            print(f"hanzi_weight {weight}: min_conf 0.7 / 0.8 / 0.9 / 0.98: {' | '.join(cells)}")
        print(f"default {LexiconConfig()}: {score(LexiconConfig())[1]}")
        return
    for weight in (0.0, 0.25, 0.5, 0.75, 1.0, 1.5):
        cells = [score(LexiconConfig(weight=weight, min_conf=mc))[1] for mc in (0.8, 0.9, 0.95)]
        print(f"weight {weight}: min_conf 0.8 / 0.9 / 0.95: {' | '.join(cells)}")
    prior, line = score(LexiconConfig())
    print(f"default {LexiconConfig()}: {line}")
    for k in sorted({kind(t, lex) for t, _, _ in rows}):
        sel = [i for i, (t, _, _) in enumerate(rows) if kind(t, lex) == k]
        g = np.mean([greedy[i] == rows[i][0] for i in sel])
        p = np.mean([prior[i] == rows[i][0] for i in sel])
        print(f"  {k}: {len(sel)} lines, exact {100 * g:.1f} -> {100 * p:.1f}%")


if __name__ == "__main__":
    main()
