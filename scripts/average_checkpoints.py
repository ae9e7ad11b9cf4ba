"""Average the weights of checkpoints of one architecture (a "model soup" of runs in one
fine-tuning chain); metadata (charset, config) comes from the last one:

    python scripts/average_checkpoints.py runs/soup.safetensors \
        weights/rec_en.safetensors runs/rec_en_s14/ema_final.safetensors
"""

from __future__ import annotations

import argparse
from pathlib import Path

from openocr.checkpoint import load_checkpoint, save_checkpoint


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="checkpoint to write (.safetensors)")
    ap.add_argument("checkpoints", type=Path, nargs="+", help="two or more checkpoints")
    args = ap.parse_args()
    if len(args.checkpoints) < 2:
        raise SystemExit("give at least two checkpoints to average")
    states = []
    for path in args.checkpoints:
        model, meta = load_checkpoint(path)
        states.append(model.state_dict())
    keys = set(states[-1])
    for path, state in zip(args.checkpoints, states, strict=True):
        if set(state) != keys or any(state[k].shape != states[-1][k].shape for k in keys):
            raise SystemExit(f"{path}: not the same architecture as {args.checkpoints[-1]}")
    averaged = {
        k: sum(s[k].float() for s in states) / len(states) if v.is_floating_point() else v
        for k, v in states[-1].items()
    }
    model.load_state_dict(averaged)
    save_checkpoint(args.out, model, charset=meta.get("charset"), config=meta.get("config"))
    print(f"wrote {args.out} (mean of {len(states)} checkpoints)")


if __name__ == "__main__":
    main()
