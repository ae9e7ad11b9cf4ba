"""PP-OCRv4 mobile (rapidocr-onnxruntime) worker for benchmarks/compare.py.

Runs with the benchmark venv's python (``benchmarks/setup_compare.sh``), never with openocr's:
it imports only rapidocr_onnxruntime and the standard library. Protocol: one JSON request per
line on stdin, one JSON reply per line on stdout (rapidocr's own prints go to stderr).

    {"cmd": "init", "threads": 2, "use_cls": true, "text_score": 0.5} -> versions, settings
    {"cmd": "rec", "paths": [...]}                   -> recognizer alone on crops (no det/cls)
    {"cmd": "ocr", "path": "..."}                    -> det + cls + rec on one page
    {"cmd": "quit"}

Times are measured here, from image file to result (loading included), like compare.py does for
openocr, so the pipe does not count.
"""

from __future__ import annotations

import json
import sys
import time
import traceback


def _reply(out, obj: dict) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    out.flush()


class Worker:
    def __init__(self) -> None:
        self.engine = None
        self.use_cls = True

    def init(self, req: dict) -> dict:
        from importlib.metadata import version

        from rapidocr_onnxruntime import RapidOCR

        threads = int(req.get("threads", 2))
        self.use_cls = bool(req.get("use_cls", True))
        self.engine = RapidOCR(
            intra_op_num_threads=threads,
            inter_op_num_threads=1,
            text_score=float(req.get("text_score", 0.5)),
        )
        sessions = {
            "det": self.engine.text_det.infer,
            "cls": self.engine.text_cls.infer,
            "rec": self.engine.text_rec.session,
        }
        in_effect = {
            k: s.session.get_session_options().intra_op_num_threads for k, s in sessions.items()
        }
        return {
            "rapidocr_onnxruntime": version("rapidocr-onnxruntime"),
            "onnxruntime": version("onnxruntime"),
            "intra_op_num_threads": in_effect,
            "use_cls": self.use_cls,
            "text_score": self.engine.text_score,
        }

    def rec(self, req: dict) -> dict:
        texts, scores, failed = [], [], []
        t0 = time.perf_counter()
        imgs = []
        for i, path in enumerate(req["paths"]):
            try:
                imgs.append(self.engine.load_img(path))
            except Exception:  # noqa: BLE001 - unreadable crop: counted as failed, scored as ''
                failed.append(i)
        res, _ = self.engine.text_rec(imgs) if imgs else ([], 0.0)
        seconds = time.perf_counter() - t0
        it = iter(res)
        for i in range(len(req["paths"])):
            text, score = ("", 0.0) if i in failed else next(it)[:2]
            texts.append(text)
            scores.append(float(score))
        return {"texts": texts, "scores": scores, "failed": failed, "seconds": seconds}

    def ocr(self, req: dict) -> dict:
        t0 = time.perf_counter()
        res, _ = self.engine(req["path"], use_cls=self.use_cls)
        seconds = time.perf_counter() - t0
        lines = [
            {"points": [[float(x), float(y)] for x, y in box], "text": text, "score": float(score)}
            for box, text, score in (res or [])
        ]
        return {"lines": lines, "seconds": seconds}


def main() -> int:
    out = sys.stdout
    sys.stdout = sys.stderr  # keep the reply channel clean of library prints
    worker = Worker()
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        cmd = req.get("cmd")
        if cmd == "quit":
            break
        try:
            _reply(out, {"ok": True, **getattr(worker, cmd)(req)})
        except Exception as e:  # noqa: BLE001 - report to the parent, keep serving
            traceback.print_exc()
            _reply(out, {"ok": False, "error": f"{type(e).__name__}: {e}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
