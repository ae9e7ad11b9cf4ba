"""Train in <= 9-minute chunks on a lent GPU machine (the `device` tool), carrying the last
checkpoint in and getting the new one back through $OUT.

Three steps, repeated:

1. here:    python scripts/gpu_chunk.py prepare runs/repsvtr_en --charset en
            (subsets fonts to the charset into .carry/fonts, snapshots the text corpora into
            .carry/corpus, downloads the wheels the device lacks into .carry/wheels, copies some background photos and the run's latest checkpoint into
            .carry/; .carry/ is git-ignored)
2. device:  run(command="python3 scripts/gpu_chunk.py device configs/rec/repsvtr_en.yml "
                        "-o Train.loader.batch_size=256", carry=[".carry"], timeout_s=600)
            (trains for Global.max_minutes=8.5 on CUDA, resuming from .carry/ckpt, and writes
            the new latest checkpoint, split into <= 15 MiB parts, plus logs to $OUT)
3. here:    python scripts/gpu_chunk.py collect <files_at> runs/repsvtr_en

The device machine has torch, OpenCV, Pillow, PyYAML and safetensors but no registry access, no
fonts, no corpora and no openocr install (the tree runs from src/): everything
the synthetic engine needs travels in .carry/ (64 MiB per call in all, so optimizer moments are
stored in bf16 via Global.compact_state).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # the device machine runs the tree uninstalled
REGION = re.compile(r" (CN|HK|TW|TW MBE|JP|KR|SC|TC)$")
VARIANT = re.compile(r"\b(Mono|Sharp)\b")
CARRY = ROOT / ".carry"
PART = 15 * 1024 * 1024
OUT_BUDGET = 60 * 1024 * 1024  # $OUT brings back at most 8 files and 64 MiB
WARM_ROOT = Path("/tmp/openocr_chunk")
DEVICE_WHEELS = ("pyclipper", "shapely")
CKPT_FILES = ("latest.safetensors", "latest_state.pt")


def prepare(args: argparse.Namespace) -> None:
    from fontTools import subset

    from openocr.charset import Charset, is_hanzi
    from openocr.synth.backgrounds import photo_files
    from openocr.synth.fonts import FontIndex
    from openocr.synth.text import export_corpus

    charset = Charset.load(args.charset)
    fonts_dir = CARRY / "fonts"
    shutil.rmtree(fonts_dir, ignore_errors=True)
    fonts_dir.mkdir(parents=True)
    faces = [f for f in FontIndex.load().faces if set("AaZz09") <= set(f.chars)]
    latin = [f for f in faces if sum(map(is_hanzi, f.chars)) < 100]
    faces = latin[:: max(1, len(latin) // args.max_fonts)][: args.max_fonts]
    # CJK designs, round-robin over styles, regional variants dropped (for `en` too: the
    # generator draws some Latin lines with them; subset to `en` they are small)
    designs: dict[str, dict[str, Any]] = {}
    for f in FontIndex.load().faces:
        # Japanese/Korean regional faces draw shared hanzi in their own forms: the generator
        # leaves them out of the Chinese pool (synth.rec.split_pools), so they would be dead weight
        if f.family.endswith((" JP", " KR")):
            continue
        if sum(map(is_hanzi, f.chars)) > 6000:
            design = " ".join(VARIANT.sub("", REGION.sub("", f.family)).split())
            designs.setdefault(design, {}).setdefault(f.style, f)
    styles = [sorted(d.values(), key=lambda f: f.style != "Regular") for d in designs.values()]
    cjk = [d[i] for i in range(max(map(len, styles), default=0)) for d in styles if i < len(d)]
    faces += cjk[: args.max_cjk_fonts]
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
    corpus = export_corpus(str(CARRY / "corpus"))
    download_wheels(CARRY / "wheels")
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
    total = size + _tracked_bytes()
    print(
        f"{len(faces)} fonts, {len(list(bg_dir.iterdir()))} backgrounds, corpus {corpus}, "
        f"checkpoint: {ckpt.is_dir()}; .carry = {size / 2**20:.1f} MiB, with the tracked files "
        f"{total / 2**20:.1f} MiB (the tree that travels must stay under 64 MiB)"
    )
    if total > 64 * 2**20:
        print("too large: lower --max-fonts / --max-cjk-fonts / --max-photos", file=sys.stderr)


def _tracked_bytes() -> int:
    """Bytes of the git-tracked files (symbolic links count as links): they travel too."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    paths = [ROOT / f for f in listed.stdout.decode().split("\0") if f]
    return sum(os.lstat(f).st_size for f in paths if os.path.lexists(f))


def download_wheels(dest: Path) -> None:
    """Wheels of openocr's dependencies that the device image lacks (its python is 3.12)."""
    if len(list(dest.glob("*.whl"))) >= len(DEVICE_WHEELS):
        return
    platforms = [f"--platform={p}" for p in ("manylinux_2_28_x86_64", "manylinux2014_x86_64")]
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
    cmd += ["--python-version=3.12", "--implementation=cp", *platforms, "-d", str(dest)]
    subprocess.run([*cmd, *DEVICE_WHEELS], check=True)


def install_wheels(src: Path, target: Path = Path("/tmp/site")) -> None:
    """Install the carried wheels of the DEVICE_WHEELS this python cannot import."""
    missing = {n for n in DEVICE_WHEELS if importlib.util.find_spec(n) is None}
    wheels = sorted(str(w) for w in src.glob("*.whl") if w.name.split("-")[0].lower() in missing)
    if wheels:
        cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps"]
        subprocess.run([*cmd, "--target", str(target), *wheels], check=True)
        sys.path.insert(0, str(target))


def device(args: argparse.Namespace) -> int:
    """Train one chunk. The run lives in /tmp/openocr_chunk/<config stem>: on a machine still warm
    from the previous call it resumes from there, else from .carry/ckpt when present, else it
    starts (from Global.pretrained if given). What comes back in $OUT: see ``pack``."""
    import torch

    install_wheels(CARRY / "wheels")
    from openocr.config import TrainConfig, load_config
    from openocr.train.loop import Trainer

    print("cuda:", torch.cuda.is_available(), torch.__version__, flush=True)
    out = Path(os.environ.get("OUT", "/tmp/out"))
    run = WARM_ROOT / Path(args.config).stem
    warm = not args.fresh and all((run / f).is_file() for f in CKPT_FILES)
    if not warm:
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
    if warm:
        overrides.append(f"Global.resume={run}")
    elif (CARRY / "ckpt" / CKPT_FILES[0]).is_file():
        overrides.append(f"Global.resume={CARRY / 'ckpt'}")
    print("resuming from", overrides[-1] if "resume" in overrides[-1] else "nothing", flush=True)
    cfg = load_config(TrainConfig, args.config, overrides)
    for src in cfg.Train.sources + cfg.Eval.sources:
        if src.get("type") == "synth":
            src.update(font_dirs=[str(CARRY / "fonts")], system_fonts=False)
    os.environ["OPENOCR_BACKGROUND_DIRS"] = str(CARRY / "backgrounds")
    os.environ["OPENOCR_CORPUS_DIR"] = str(CARRY / "corpus")
    print(Trainer(cfg).fit(), flush=True)
    pack(run, out)
    return 0


def pack(run: Path, out: Path, budget: int = OUT_BUDGET) -> list[str]:
    """Put the run into ``out`` as ckpt.tar.partNN (<= 15 MiB each, <= ``budget`` in all): the
    resumable checkpoint when it fits, else fp16 weights of latest (and best) only, which the
    next call on the still-warm machine does not need but which survive the machine going back.
    Logs always come along. Returns the names packed."""
    import torch

    from openocr.checkpoint import load_checkpoint, save_checkpoint

    logs = [f for f in ("metrics.jsonl", "train.log") if (run / f).is_file()]
    names = [*CKPT_FILES, "best.safetensors"]
    if _size(run, names + logs) > budget:
        names = list(CKPT_FILES)
    if _size(run, names + logs) > budget:
        names = []
        for src in ("latest.safetensors", "best.safetensors"):
            if not (run / src).is_file():
                continue
            model, meta = load_checkpoint(run / src)
            dst = src.replace(".safetensors", "_fp16.safetensors")
            save_checkpoint(
                run / dst,
                model,
                meta["charset"],
                meta["config"],
                meta["extra"],
                dtype=torch.float16,
            )
            if _size(run, [*names, dst, *logs]) <= budget:
                names.append(dst)
    names = [n for n in names if (run / n).is_file()] + logs
    out.mkdir(parents=True, exist_ok=True)
    blob = out / "ckpt.tar"
    subprocess.run(["tar", "-cf", str(blob), "-C", str(run), *names], check=True)
    data = blob.read_bytes()
    blob.unlink()
    for i in range(0, len(data), PART):
        (out / f"ckpt.tar.part{i // PART:02d}").write_bytes(data[i : i + PART])
    print("packed", names, f"{len(data) / 2**20:.1f} MiB", flush=True)
    return names


def _size(run: Path, names: list[str]) -> int:
    return sum((run / n).stat().st_size for n in names if (run / n).is_file())


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
    for f in ("metrics.jsonl", "train.log"):  # a warm run's logs repeat earlier chunks' lines
        if (extract / f).is_file():
            local = run_dir / f
            seen = set(local.read_text().splitlines()) if local.is_file() else set()
            new = [ln for ln in (extract / f).read_text().splitlines() if ln not in seen]
            with local.open("a") as dst:
                dst.write("".join(ln + "\n" for ln in new))
            (extract / f).unlink()
    got = sorted(p.name for p in extract.iterdir())
    for f in got:
        shutil.move(str(extract / f), run_dir / f)
    shutil.rmtree(extract)
    print(f"updated {run_dir} from {len(parts)} part(s): {got}")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("run_dir")
    p.add_argument("--charset", default="en")
    p.add_argument("--max-fonts", type=int, default=80)
    p.add_argument("--max-cjk-fonts", type=int, default=8)
    p.add_argument("--max-photos", type=int, default=40)
    p = sub.add_parser("device")
    p.add_argument("config")
    p.add_argument("-o", "--opt", nargs="*", default=[])
    p.add_argument("--minutes", type=float, default=8.5)
    p.add_argument("--workers", type=int, default=12)
    p.add_argument("--fresh", action="store_true", help="ignore a warm run of this config")
    p = sub.add_parser("collect")
    p.add_argument("files_at")
    p.add_argument("run_dir")
    args = ap.parse_args()
    result = {"prepare": prepare, "device": device, "collect": collect}[args.cmd](args)
    sys.exit(result or 0)


if __name__ == "__main__":
    main()
