"""openocr vs PP-OCRv4 mobile (rapidocr-onnxruntime) on the eval sets, in one run.

Both systems see the same files, are scored by the same code (``openocr.eval.metrics``, the
protocols of ``openocr eval``) and are timed the same way: image file -> result, loading
included, after one untimed warm-up call per set, onnxruntime at ``--threads`` intra-op threads
(2 by default) and 1 inter-op thread. openocr runs in this process; PP-OCRv4 runs in a separate
venv (``bash benchmarks/setup_compare.sh``) through ``benchmarks/_rapidocr_worker.py``, so
rapidocr is never a dependency of openocr.

    python benchmarks/compare.py                              # shipped models, all sets
    python benchmarks/compare.py --det-model det.onnx --rec-model rec.onnx --max-samples 30
    python benchmarks/compare.py --only ppocr --json ppocr.json
    python benchmarks/compare.py --sets data/ch_heldout_synth ReCTS_sample5_line_crops   # Chinese

Recognition sets are scored on crops with each recognizer alone (no detection): word accuracy
case-insensitive on [0-9a-z] (``standard``) or exact line match (``exact``, Chinese lines).
End-to-end sets: character F1 over each page's multiset of non-space characters (ignored
regions excluded from the ground truth), case-insensitive because SROIE's ground truth is
upper-case while its receipts are mixed-case. Two variants are reported too: case-sensitive, and
"dont-care", where predicted lines lying mostly (> 50% of their area) inside an ignored region
(ICDAR2015's ``###``) are dropped before counting, the rule DetMetric applies to boxes. Then
detection P/R/H at IoU 0.5 on the output lines (both systems output lines, so the hmean on
word-level ICDAR2015 is low by construction). Time ratio = openocr time / PP-OCRv4 time (below
1: openocr is faster). ``--predictions DIR`` keeps every output for rescoring (``score_e2e``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_VENV_PYTHON = HERE / ".venv-rapidocr" / "bin" / "python"
WORKER = HERE / "_rapidocr_worker.py"
# set name -> (task, protocol); other folders are classified by their label file
SETS: dict[str, tuple[str, str]] = {
    "IIIT5K_3000": ("rec", "standard"),
    "SVT_647": ("rec", "standard"),
    "ICDAR2015_2077_derived_crops": ("rec", "standard"),
    "ReCTS_sample5_line_crops": ("rec", "exact"),
    "SROIE2019_subset": ("e2e", ""),
    "ICDAR2015_test": ("e2e", ""),
    "ReCTS_sample5": ("e2e", ""),
}
SYSTEMS = {"ours": "openocr", "ppocr": "PP-OCRv4"}
E2E_ROWS = {
    "char_f1": "char F1",
    "char_f1_dontcare": "char F1 (dont-care)",
    "char_f1_case_sensitive": "char F1 (case-sens.)",
    "det_hmean": "det hmean",
}
REC_CHUNK = 64  # crops per call (both systems batch inside a call with their own defaults)


def default_data_root() -> Path:
    env = os.environ.get("OPENOCR_EVAL_DATA")
    if env:
        return Path(env)
    for cand in (HERE.parent.parent / "shared" / "ocr_eval", Path("/work/shared/ocr_eval")):
        if cand.is_dir():
            return cand
    return HERE.parent.parent / "shared" / "ocr_eval"


def set_task(path: Path) -> tuple[str, str]:
    if path.name in SETS:
        return SETS[path.name]
    if (path / "labels.tsv").is_file():  # Chinese lines are scored by exact match
        from openocr.eval.evaluate import load_rec_items, resolve_protocol

        return "rec", resolve_protocol("auto", [t for _, t in load_rec_items(path)])
    if (path / "labels.jsonl").is_file():
        return "e2e", ""
    raise SystemExit(f"{path}: no labels.tsv or labels.jsonl (not an eval set)")


# --- systems -------------------------------------------------------------------------------
class Ours:
    """openocr in this process: ``OpenOCR`` for pages, its recognizer alone for crops."""

    name = "ours"

    def __init__(
        self, det_model: str | None, rec_model: str | None, threads: int, drop_score: float = 0.5
    ) -> None:
        from openocr.api import OpenOCR

        self.engine = OpenOCR(
            det_model=det_model,
            rec_model=rec_model,
            backend=None,
            threads=threads,
            drop_score=drop_score,
        )
        self.info = {
            "det_model": str(det_model or "shipped default"),
            "rec_model": str(rec_model or "shipped default"),
            "threads": threads,
        }

    def rec(self, paths: list[Path]) -> tuple[list[str], float]:
        from openocr.errors import InputError
        from openocr.io import load_image

        t0 = time.perf_counter()
        crops, ok = [], []
        for i, p in enumerate(paths):
            try:
                crops.append(load_image(p))
                ok.append(i)
            except InputError:
                pass
        outs, _ = self.engine.rec(crops) if crops else ([], {})
        seconds = time.perf_counter() - t0
        texts = [""] * len(paths)
        for i, o in zip(ok, outs, strict=True):
            texts[i] = o.text
        return texts, seconds

    def ocr(self, path: Path) -> tuple[list[tuple[Any, str]], float]:
        t0 = time.perf_counter()
        page = self.engine.ocr(str(path))
        seconds = time.perf_counter() - t0
        return [(line.points, line.text) for line in page.lines], seconds

    def close(self) -> None:
        pass


class PPOCR:
    """PP-OCRv4 mobile through the worker in the rapidocr venv (JSON lines over a pipe)."""

    name = "ppocr"

    def __init__(
        self, python: Path, threads: int, use_cls: bool = True, drop_score: float = 0.5
    ) -> None:
        if not Path(python).is_file():
            raise SystemExit(
                f"{python} not found: run 'bash benchmarks/setup_compare.sh' first "
                "(or pass --ppocr-python)"
            )
        self.proc = subprocess.Popen(
            [str(python), str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env={**os.environ, "OMP_NUM_THREADS": str(threads)},
        )
        init = {"threads": threads, "use_cls": use_cls, "text_score": drop_score}
        self.info = self._call({"cmd": "init", **init})

    def _call(self, req: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(req, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the PP-OCRv4 worker exited (see its messages above)")
        rep = json.loads(line)
        if not rep.pop("ok", False):
            raise SystemExit(f"PP-OCRv4 worker: {rep.get('error')}")
        return rep

    def rec(self, paths: list[Path]) -> tuple[list[str], float]:
        rep = self._call({"cmd": "rec", "paths": [str(p) for p in paths]})
        return rep["texts"], rep["seconds"]

    def ocr(self, path: Path) -> tuple[list[tuple[Any, str]], float]:
        rep = self._call({"cmd": "ocr", "path": str(path)})
        return [(ln["points"], ln["text"]) for ln in rep["lines"]], rep["seconds"]

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self._call_quit()
            finally:
                self.proc.wait(timeout=30)

    def _call_quit(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.write('{"cmd": "quit"}\n')
        self.proc.stdin.close()


# --- one set, one system ---------------------------------------------------------------------
def _is_ignore(inst: dict[str, Any]) -> bool:
    return bool(inst.get("ignore")) or inst.get("text") in ("###", "*")


def run_rec(
    system: Any, items: list[tuple[Path, str]], protocol: str, preds: list | None = None
) -> dict[str, Any]:
    """Recognize the crops of a rec set; ``preds`` (if given) collects the texts."""
    from openocr.eval.evaluate import PROTOCOLS
    from openocr.eval.metrics import RecMetric

    system.rec([items[0][0]])  # warm-up, untimed
    metric = RecMetric(**PROTOCOLS[protocol])
    seconds = 0.0
    for start in range(0, len(items), REC_CHUNK):
        chunk = items[start : start + REC_CHUNK]
        texts, sec = system.rec([p for p, _ in chunk])
        seconds += sec
        metric.update(texts, [t for _, t in chunk])
        if preds is not None:
            preds.extend(
                {"image": str(p), "text": t} for (p, _), t in zip(chunk, texts, strict=True)
            )
    res = metric.result()
    return {"acc": res["acc"], "norm_edit_dis": res["norm_edit_dis"], **_timing(seconds, items)}


def run_e2e(
    system: Any, items: list[tuple[Path, list[dict[str, Any]]]], preds: list | None = None
) -> dict[str, Any]:
    """OCR the pages of an e2e set; ``preds`` (if given) collects the lines per page."""
    system.ocr(items[0][0])  # warm-up, untimed
    pages, seconds = [], 0.0
    for path, _ in items:
        lines, sec = system.ocr(path)
        seconds += sec
        pages.append([([[float(x), float(y)] for x, y in pts], text) for pts, text in lines])
    if preds is not None:
        preds.extend(
            {"image": str(p), "lines": [{"points": b, "text": t} for b, t in page]}
            for (p, _), page in zip(items, pages, strict=True)
        )
    return {**score_e2e(pages, items), **_timing(seconds, items)}


def _in_ignored(points: list, ignored: list) -> bool:
    """A predicted line lying mostly (> 50% of its area) inside an ignored region (the don't-care
    rule of DetMetric)."""
    from openocr.eval.metrics import _polygon

    poly = _polygon(points)
    return poly is not None and any(poly.intersection(g).area / poly.area > 0.5 for g in ignored)


def score_e2e(
    pages: list[list[tuple[list, str]]], items: list[tuple[Path, list[dict[str, Any]]]]
) -> dict[str, Any]:
    """Char F1 (case-insensitive; case-sensitive; lines in ignored regions dropped) and det P/R/H."""
    from openocr.eval.metrics import CharF1, DetMetric, _polygon

    f1, f1_cs, f1_care = CharF1(is_lower=True), CharF1(is_lower=False), CharF1(is_lower=True)
    det = DetMetric()
    for lines, (_, instances) in zip(pages, items, strict=True):
        texts, gts = [t for _, t in lines], [i["text"] for i in instances if not _is_ignore(i)]
        f1.update(texts, gts)
        f1_cs.update(texts, gts)
        ignored = [g for i in instances if _is_ignore(i) and (g := _polygon(i["points"]))]
        f1_care.update([t for b, t in lines if not _in_ignored(b, ignored)], gts)
        det.update(
            [b for b, _ in lines],
            [i["points"] for i in instances],
            list(map(_is_ignore, instances)),
        )
    d = det.result()
    return {
        **f1.result(),
        "char_f1_case_sensitive": f1_cs.result()["char_f1"],
        "char_f1_dontcare": f1_care.result()["char_f1"],
        "det_precision": d["precision"],
        "det_recall": d["recall"],
        "det_hmean": d["hmean"],
    }


def _timing(seconds: float, items: list[Any]) -> dict[str, Any]:
    return {
        "num_samples": len(items),
        "seconds": seconds,
        "ms_per_image": 1000 * seconds / len(items),
    }


# --- report ----------------------------------------------------------------------------------
def _fmt(v: Any, pct: bool) -> str:
    if v is None:
        return "-"
    return f"{100 * v:.1f}%" if pct else f"{v:.3f}"


def table(results: dict[str, dict[str, Any]]) -> str:
    head = ["set", "n", "metric", "openocr", "PP-OCRv4", "ms/img ours", "ms/img PP", "time ratio"]
    rows = [head]
    for name, r in results.items():
        ours, pp = r.get("ours", {}), r.get("ppocr", {})
        metrics = [("acc", True)] if r["task"] == "rec" else [(m, False) for m in E2E_ROWS]
        for k, (m, pct) in enumerate(metrics):
            label = f"word acc ({r['protocol']})" if m == "acc" else E2E_ROWS[m]
            row = [name if k == 0 else "", str(r["num_samples"]) if k == 0 else "", label]
            row += [_fmt(ours.get(m), pct), _fmt(pp.get(m), pct)]
            if k == 0:
                row += [
                    f"{ours['ms_per_image']:.1f}" if ours else "-",
                    f"{pp['ms_per_image']:.1f}" if pp else "-",
                    f"{r['time_ratio']:.2f}" if r.get("time_ratio") else "-",
                ]
            else:
                row += ["", "", ""]
            rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(
            c.ljust(w) if i < 3 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def run_set(
    system: Any, name: str, task: str, protocol: str, items: list, pred_dir: Path | None
) -> dict[str, Any]:
    t0 = time.perf_counter()
    preds: list | None = [] if pred_dir else None
    if task == "rec":
        res = run_rec(system, items, protocol, preds)
    else:
        res = run_e2e(system, items, preds)
    if pred_dir and preds is not None:
        pred_dir.mkdir(parents=True, exist_ok=True)
        with (pred_dir / f"{name}.{system.name}.jsonl").open("w", encoding="utf-8") as f:
            f.writelines(json.dumps(x, ensure_ascii=False) + "\n" for x in preds)
    dt_s = time.perf_counter() - t0
    print(f"{name}: {SYSTEMS[system.name]} done in {dt_s:.0f} s", file=sys.stderr)
    return res


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-root", type=Path, default=None, help="folder of the eval sets")
    p.add_argument("--sets", nargs="+", default=list(SETS), help="set names or folders")
    p.add_argument("--max-samples", type=int, default=0, help="first N items per set (0 = all)")
    p.add_argument("--json", dest="json_out", type=Path, help="write the results here")
    p.add_argument("--only", choices=list(SYSTEMS), help="run one system only")
    p.add_argument(
        "--predictions",
        type=Path,
        help="also write each system's outputs to DIR/<set>.<system>.jsonl",
    )
    p.add_argument("--det-model", help="our detector (.onnx or .safetensors; default: shipped)")
    p.add_argument("--rec-model", help="our recognizer (.onnx or .safetensors; default: shipped)")
    p.add_argument(
        "--drop-score", type=float, default=0.5, help="e2e: drop lines below this score (both)"
    )
    p.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads (2)")
    p.add_argument("--ppocr-python", type=Path, default=DEFAULT_VENV_PYTHON)
    p.add_argument(
        "--ppocr-no-cls", action="store_true", help="PP-OCRv4 without its angle classifier"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    root = args.data_root or default_data_root()
    sets = [Path(s) if Path(s).is_dir() else root / s for s in args.sets]
    for s in sets:
        if not s.is_dir():
            raise SystemExit(f"{s}: eval set not found (use --data-root or OPENOCR_EVAL_DATA)")
    from openocr.errors import OpenOCRError
    from openocr.eval.evaluate import load_det_items, load_rec_items

    systems: list[Any] = []
    try:
        if args.only in (None, "ours"):
            try:
                systems.append(Ours(args.det_model, args.rec_model, args.threads, args.drop_score))
            except OpenOCRError as e:
                raise SystemExit(
                    f"openocr: {e}\n(use --only ppocr to run PP-OCRv4 alone)"
                ) from None
        if args.only in (None, "ppocr"):
            systems.append(
                PPOCR(args.ppocr_python, args.threads, not args.ppocr_no_cls, args.drop_score)
            )
        results: dict[str, dict[str, Any]] = {}
        for path in sets:
            task, protocol = set_task(path)
            items = (load_rec_items if task == "rec" else load_det_items)(path)[
                : args.max_samples or None
            ]
            r: dict[str, Any] = {"task": task, "protocol": protocol, "num_samples": len(items)}
            for system in systems:
                r[system.name] = run_set(system, path.name, task, protocol, items, args.predictions)
            if "ours" in r and "ppocr" in r:
                r["time_ratio"] = r["ours"]["seconds"] / max(r["ppocr"]["seconds"], 1e-9)
            results[path.name] = r
    finally:
        for system in systems:
            system.close()
    print(table(results))
    if args.json_out:
        meta = {
            "date": dt.datetime.now().isoformat(timespec="seconds"),
            "command": " ".join(
                ["python benchmarks/compare.py", *(argv if argv is not None else sys.argv[1:])]
            ),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
            "max_samples": args.max_samples,
            "threads": args.threads,
            "systems": {s.name: s.info for s in systems},
        }
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(
            json.dumps({"meta": meta, "sets": results}, indent=2), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
