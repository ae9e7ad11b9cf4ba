"""Train in <= 9-minute chunks on a lent GPU machine (the `device` tool), carrying the last
checkpoint in and getting the new one back through $OUT.

Three steps, repeated:

1. here:    python scripts/gpu_chunk.py prepare runs/repsvtr_en --charset en
            (subsets fonts to the charset into .carry/fonts, copies some background photos and
            the run's latest checkpoint into .carry/; .carry/ is git-ignored)
2. device:  run(command="python3 scripts/gpu_chunk.py device configs/rec/repsvtr_en.yml "
                        "-o Train.loader.batch_size=256", carry=[".carry"], timeout_s=600)
            (trains for Global.max_minutes=8.5 on CUDA, resuming from .carry/ckpt, and writes
            the new latest checkpoint, split into <= 15 MiB parts, plus logs to $OUT)
3. here:    python scripts/gpu_chunk.py collect <files_at> runs/repsvtr_en

The device machine has torch, OpenCV and Pillow but no registry access and no fonts: everything
the synthetic engine needs travels in .carry/ (64 MiB per call in all, so optimizer moments are
stored in bf16 via Global.compact_state).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CARRY = ROOT / ".carry"
PART = 15 * 1024 * 1024
CKPT_FILES = ("latest.safetensors", "latest_state.pt")


def prepare(args: argparse.Namespace) -> None:
    from fontTools import subset

    from openocr.charset import Charset
    from openocr.synth.backgrounds import photo_files
    from openocr.synth.fonts import FontIndex

    charset = Charset.load(args.charset)
    fonts_dir = CARRY / "fonts"
    shutil.rmtree(fonts_dir, ignore_errors=True)
    fonts_dir.mkdir(parents=True)
    faces = [f for f in FontIndex.load().faces if set("AaZz09") <= set(f.chars)]
    if args.charset == "ch":
        cjk = [f for f in faces if sum("\u4e00" <= c <= "\u9fff" for c in f.chars) > 6000]
        faces = (
            faces[:: max(1, len(faces) // args.max_fonts)][: args.max_fonts]
            + cjk[: args.max_cjk_fonts]
        )
    else:
        faces = faces[:: max(1, len(faces) // args.max_fonts)][: args.max_fonts]
    text = "".join(charset.chars)
    for i, face in enumerate(faces):
        out = fonts_dir / f"f{i:03d}_{Path(face.path).stem[:40]}.ttf"
        opts = subset.Options()
        opts.font_number = getattr(face, "index", 0)
        opts.layout_features = ["*"]
        font = subset.load_font(face.path, opts)
        sub = subset.Subsetter(opts)
        sub.populate(text=text)
        sub.subset(font)
        subset.save_font(font, str(out), opts)
    bg_dir = CARRY / "backgrounds"
    shutil.rmtree(bg_dir, ignore_errors=True)
    bg_dir.mkdir()
    import cv2

    for i, p in enumerate(sorted(photo_files())[: args.max_photos]):
        img = cv2.imread(p)
        if img is None:
            continue
        s = 640 / max(img.shape[:2])
        if s < 1:
            img = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(bg_dir / f"bg{i:03d}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 85])
    ckpt = CARRY / "ckpt"
    shutil.rmtree(ckpt, ignore_errors=True)
    run_dir = Path(args.run_dir)
    if all((run_dir / f).is_file() for f in CKPT_FILES):
        ckpt.mkdir()
        for f in CKPT_FILES:
            shutil.copy2(run_dir / f, ckpt / f)
    size = sum(p.stat().st_size for p in CARRY.rglob("*") if p.is_file())
    print(
        f"{len(faces)} fonts, {len(list(bg_dir.iterdir()))} backgrounds, checkpoint: {ckpt.is_dir()}; "
        f".carry = {size / 2**20:.1f} MiB (the tree that travels must stay under 64 MiB)"
    )


def device(args: argparse.Namespace) -> int:
    from openocr.config import TrainConfig, load_config
    from openocr.train.loop import Trainer

    out = Path(os.environ.get("OUT", "/tmp/out"))
    run = Path("/tmp/openocr_chunk")
    shutil.rmtree(run, ignore_errors=True)
    overrides = [
        "Global.device=auto",
        f"Global.max_minutes={args.minutes}",
        f"Global.output_dir={run}",
        "Global.compact_state=true",
        "Global.save_every_minutes=3",
        f"Train.loader.num_workers={args.workers}",
        *args.opt,
    ]
    if (CARRY / "ckpt" / CKPT_FILES[0]).is_file():
        overrides.append(f"Global.resume={CARRY / 'ckpt'}")
    cfg = load_config(TrainConfig, args.config, overrides)
    for src in cfg.Train.sources + cfg.Eval.sources:
        if src.get("type") == "synth":
            src.update(font_dirs=[str(CARRY / "fonts")], system_fonts=False)
    os.environ["OPENOCR_BACKGROUND_DIRS"] = str(CARRY / "backgrounds")
    result = Trainer(cfg).fit()
    print(result)
    out.mkdir(parents=True, exist_ok=True)
    blob = out / "ckpt.tar"
    subprocess.run(
        ["tar", "-cf", str(blob), "-C", str(run), *CKPT_FILES, "metrics.jsonl", "train.log"],
        check=True,
    )
    data = blob.read_bytes()
    blob.unlink()
    for i in range(0, len(data), PART):
        (out / f"ckpt.tar.part{i // PART:02d}").write_bytes(data[i : i + PART])
    return 0


def collect(args: argparse.Namespace) -> None:
    src, run_dir = Path(args.files_at), Path(args.run_dir)
    parts = sorted(src.rglob("ckpt.tar.part*"))
    if not parts:
        sys.exit(f"no ckpt.tar.part* under {src}")
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / "chunk.tar"
    tmp.write_bytes(b"".join(p.read_bytes() for p in parts))
    extract = run_dir / "chunk"
    shutil.rmtree(extract, ignore_errors=True)
    extract.mkdir()
    subprocess.run(["tar", "-xf", str(tmp), "-C", str(extract)], check=True)
    tmp.unlink()
    for f in CKPT_FILES:
        shutil.move(str(extract / f), run_dir / f)
    for f in ("metrics.jsonl", "train.log"):
        with (run_dir / f).open("a") as dst:
            dst.write((extract / f).read_text())
    shutil.rmtree(extract)
    print(f"updated {run_dir} from {len(parts)} part(s)")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("run_dir")
    p.add_argument("--charset", default="en")
    p.add_argument("--max-fonts", type=int, default=80)
    p.add_argument("--max-cjk-fonts", type=int, default=6)
    p.add_argument("--max-photos", type=int, default=40)
    p = sub.add_parser("device")
    p.add_argument("config")
    p.add_argument("-o", "--opt", nargs="*", default=[])
    p.add_argument("--minutes", type=float, default=8.5)
    p.add_argument("--workers", type=int, default=12)
    p = sub.add_parser("collect")
    p.add_argument("files_at")
    p.add_argument("run_dir")
    args = ap.parse_args()
    result = {"prepare": prepare, "device": device, "collect": collect}[args.cmd](args)
    sys.exit(result or 0)


if __name__ == "__main__":
    main()
