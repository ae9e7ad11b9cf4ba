"""Save the EMA weights held in a run's ``latest_state.pt`` as a checkpoint.

``best.safetensors`` follows the synthetic validation; this gives the final EMA of a run:

    python scripts/extract_ema.py runs/rec_en_s13 runs/rec_en_s13/ema_final.safetensors
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from openocr.checkpoint import load_checkpoint, save_checkpoint


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="run folder with latest.safetensors + latest_state.pt")
    ap.add_argument("out", type=Path, help="checkpoint to write (.safetensors)")
    args = ap.parse_args()
    model, meta = load_checkpoint(args.run / "latest.safetensors")
    state = torch.load(args.run / "latest_state.pt", map_location="cpu", weights_only=False)
    if not state.get("ema"):
        raise SystemExit(f"{args.run}/latest_state.pt holds no EMA weights")
    model.load_state_dict(state["ema"], strict=True)
    save_checkpoint(args.out, model, charset=meta.get("charset"), config=meta.get("config"))
    print(f"wrote {args.out} (EMA at step {state.get('step')})")


if __name__ == "__main__":
    main()
