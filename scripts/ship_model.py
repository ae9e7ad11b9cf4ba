"""Put a trained checkpoint into the package: ONNX (fp16 weights) + fp16 safetensors, its model
card, and sha256 entries in ``src/openocr/assets/models/manifest.json``.

    python scripts/ship_model.py rec_mobile runs/repsvtr_en_p3/best.safetensors \
        --card src/openocr/assets/models/rec_mobile.md

writes ``assets/models/rec_mobile.onnx`` (manifest name ``rec_mobile``),
``rec_mobile.safetensors`` (``rec_mobile_torch``) and ``rec_mobile.md``. The ONNX file must
agree with the fp16-rounded torch model (``--atol``); ship only models that beat the ones they
replace on the eval sets (see docs/training.md).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import torch

from openocr.checkpoint import load_checkpoint, save_checkpoint
from openocr.export_onnx import export_onnx, verify_export
from openocr.weights import LANGS, MODE_MODELS, model_names, sha256_file

MODELS = Path(__file__).resolve().parents[1] / "src" / "openocr" / "assets" / "models"
NAMES = sorted({n for mode in MODE_MODELS for lang in LANGS for n in model_names(mode, lang)})


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("name", choices=NAMES, help="manifest name of the model")
    p.add_argument("checkpoint", help="training checkpoint (.safetensors)")
    p.add_argument("--card", required=True, help="model card (markdown) to ship alongside")
    p.add_argument("--atol", type=float, default=1e-3, help="torch vs ONNX Runtime tolerance")
    args = p.parse_args(argv)

    card = Path(args.card)
    if not card.is_file() or not card.read_text(encoding="utf-8").strip():
        p.error(f"model card {card} is missing or empty")
    model, meta = load_checkpoint(args.checkpoint)
    MODELS.mkdir(parents=True, exist_ok=True)
    onnx_path = export_onnx(
        model,
        MODELS / f"{args.name}.onnx",
        charset=meta["charset"],
        config=meta["config"],
        fp16_weights=True,
    )
    diff, _ = verify_export(model, onnx_path, args.atol, fp16_weights=True)
    st_path = save_checkpoint(
        MODELS / f"{args.name}.safetensors",
        model,
        meta["charset"],
        meta["config"],
        meta["extra"],
        dtype=torch.float16,
    )
    if card.resolve() != (MODELS / f"{args.name}.md").resolve():  # edited in place: no copy
        shutil.copyfile(card, MODELS / f"{args.name}.md")

    manifest_path = MODELS / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    charset = meta["charset"].name if meta["charset"] is not None else None
    for key, path in ((args.name, onnx_path), (f"{args.name}_torch", st_path)):
        manifest[key] = {
            "file": path.name,
            "sha256": sha256_file(path),
            "task": meta["task"],
            "charset": charset,
            "card": f"{args.name}.md",
        }
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    for path in (onnx_path, st_path):
        print(f"{path.relative_to(MODELS.parents[3])}: {path.stat().st_size / 1e6:.1f} MB")
    print(f"parity (fp16-rounded torch vs ONNX Runtime): {diff:.2e}; manifest updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
