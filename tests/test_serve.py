"""The HTTP service on a real uvicorn (127.0.0.1): results equal the Python API's, options work,
every bad input gets its status and message, a full pool answers 503, and the server stays
healthy. Models: a synthetic ONNX detector and recognizer (no trained weights)."""

from __future__ import annotations

import base64
import contextlib
import io
import os
import struct
import subprocess
import sys
import threading
import time
import zlib

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from PIL import Image  # noqa: E402

from demo_models import make_shade_rec_onnx  # noqa: E402
from engine_models import make_dark_det_onnx, render_page  # noqa: E402
from openocr import OpenOCR  # noqa: E402
from openocr.serve import Limits, ServeConfig, create_app  # noqa: E402

LIMITS = Limits(max_body_bytes=2 * 1024 * 1024, max_pixels=4_000_000, max_pages=2, max_rec_images=4)
LINES = ["TOTAL 42.50", "Hello world", "openocr serve", "x"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("serve_models")
    return make_dark_det_onnx(d / "det.onnx"), make_shade_rec_onnx(d / "rec.onnx")


@pytest.fixture(scope="module")
def engine(models):
    return OpenOCR(det_model=models[0], rec_model=models[1], drop_score=0.0, threads=1)


@contextlib.contextmanager
def serving(app):
    """Run ``app`` on uvicorn in a thread; yields an httpx client; always shuts down."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            while client.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "engine not ready"
                time.sleep(0.02)
            yield client
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def client(engine):
    with serving(
        create_app(engine, config=ServeConfig(drop_score=0.0, limits=LIMITS, api_key=None))
    ) as c:
        yield c


def png(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    return buf.getvalue()


def pdf(pages: int) -> bytes:
    imgs = [Image.fromarray(render_page([f"page {i}"], width=300)) for i in range(pages)]
    buf = io.BytesIO()
    imgs[0].save(buf, "PDF", save_all=True, append_images=imgs[1:])
    return buf.getvalue()


def png_header(w: int, h: int) -> bytes:
    """A tiny PNG that claims w x h pixels (a decompression-bomb probe)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def page_img():
    return render_page(LINES)


def test_ocr_matches_python_api(client, engine, page_img):
    r = client.post("/v1/ocr", files={"file": ("page.png", png(page_img), "image/png")})
    assert r.status_code == 200, r.text
    body = r.json()
    expected = engine.ocr(page_img)
    assert len(expected) >= 3
    (page,) = body["pages"]
    assert (page["width"], page["height"], page["source"]) == (640, 240, "page.png")
    assert [ln["text"] for ln in page["lines"]] == [ln.text for ln in expected.lines]
    assert [ln["points"] for ln in page["lines"]] == [ln.points for ln in expected.lines]
    assert np.allclose([ln["score"] for ln in page["lines"]], [ln.score for ln in expected.lines])
    assert body["text"] == expected.text and body["elapsed"] > 0
    assert {"det_model", "rec_model", "total"} <= set(page["timings"])


def test_json_base64_data_url_and_raw_body_agree(client, page_img):
    data = png(page_img)
    b64 = base64.b64encode(data).decode()
    answers = [
        client.post("/v1/ocr", json={"image": b64}),
        client.post(
            "/v1/ocr", json={"image": "data:image/png;base64," + b64, "filename": "a/b.png"}
        ),
        client.post("/v1/ocr", content=data, headers={"content-type": "image/png"}),
        client.post("/v1/ocr", json={"image": base64.urlsafe_b64encode(data).decode().rstrip("=")}),
    ]
    assert [a.status_code for a in answers] == [200] * 4
    texts = {a.json()["text"] for a in answers}
    assert len(texts) == 1 and texts != {""}
    assert answers[1].json()["pages"][0]["source"] == "b.png"  # a label only, never a path


def test_options_change_results(client, page_img):
    data = png(page_img)

    def lines(**params):
        r = client.post(
            "/v1/ocr", params=params, content=data, headers={"content-type": "image/png"}
        )
        assert r.status_code == 200, r.text
        return r.json()["pages"][0]["lines"]

    base = lines()
    scores = sorted(ln["score"] for ln in base)
    cut = (scores[0] + scores[-1]) / 2
    kept = lines(drop_score=cut)
    assert 0 < len(kept) < len(base) and all(ln["score"] >= cut for ln in kept)
    # JSON body options override the query
    r = client.post(
        "/v1/ocr?drop_score=0", json={"image": base64.b64encode(data).decode(), "drop_score": cut}
    )
    assert len(r.json()["pages"][0]["lines"]) == len(kept)
    wide = lines(unclip_ratio=3.0)

    def height(ln):
        return max(p[1] for p in ln["points"]) - min(p[1] for p in ln["points"])

    assert sum(map(height, wide)) > sum(map(height, base))
    assert len(lines(box_thresh=1.0)) == 0
    # the 640x240 page fits a 480^2 pixel budget (unchanged) but not a 480 long side (shrunk)
    assert len(lines(limit_type="area", limit_side_len=480)) == len(base)
    assert len(lines(limit_type="max", limit_side_len=480)) != len(base)
    assert client.post("/v1/ocr?limit_type=long", content=data).status_code == 422


def test_det_and_rec_endpoints(client, engine, page_img):
    r = client.post("/v1/det", files={"file": ("p.png", png(page_img), "image/png")})
    assert r.status_code == 200, r.text
    boxes = r.json()["pages"][0]["boxes"]
    det = engine.detect(page_img)
    assert [b["points"] for b in boxes] == np.asarray(det.boxes).round().astype(int).tolist()
    crops = [page_img[y0:y1, 0:400] for y0, y1 in ((20, 60), (70, 110))]
    r = client.post(
        "/v1/rec",
        files=[("files", (f"c{i}.png", png(c), "image/png")) for i, c in enumerate(crops)],
    )
    assert r.status_code == 200, r.text
    expected = engine.recognize(crops)
    assert [x["text"] for x in r.json()["results"]] == [e.text for e in expected]
    r = client.post("/v1/rec", json={"images": [base64.b64encode(png(c)).decode() for c in crops]})
    assert [x["text"] for x in r.json()["results"]] == [e.text for e in expected]
    assert len(r.json()["results"][0]["char_scores"]) == len(expected[0].text)


def test_pdf_pages(client):
    pytest.importorskip("pypdfium2")
    r = client.post("/v1/ocr", files={"file": ("doc.pdf", pdf(2), "application/pdf")})
    assert r.status_code == 200, r.text
    assert [p["page_index"] for p in r.json()["pages"]] == [0, 1]
    r = client.post(
        "/v1/ocr?max_pages=1", content=pdf(2), headers={"content-type": "application/pdf"}
    )
    assert len(r.json()["pages"]) == 1
    r = client.post("/v1/ocr", content=pdf(3), headers={"content-type": "application/pdf"})
    assert r.status_code == 413 and "3 pages" in r.json()["detail"]


def _bad_cases(page_png: bytes):
    trunc = page_png[: len(page_png) // 2]
    big = png(np.full((2100, 2100, 3), 255, np.uint8))
    return [
        ("malformed base64", dict(json={"image": "not base64!!"}), 400, "malformed base64"),
        (
            "malformed json",
            dict(content=b"{nope", headers={"content-type": "application/json"}),
            400,
            "malformed JSON",
        ),
        ("json without image", dict(json={"drop_score": 0.1}), 422, "image"),
        ("unknown json field", dict(json={"image": "aGk=", "path": "/etc/passwd"}), 422, "path"),
        (
            "text body",
            dict(content=b"hello", headers={"content-type": "text/plain"}),
            415,
            "unsupported media type",
        ),
        ("text upload", dict(files={"file": ("a.txt", b"hello", "text/plain")}), 415, "a.txt"),
        (
            "not an image",
            dict(files={"file": ("x.png", b"GIF89 nonsense", "image/png")}),
            415,
            "not a supported image",
        ),
        ("truncated png", dict(files={"file": ("t.png", trunc, "image/png")}), 400, "t.png"),
        ("empty body", dict(content=b"", headers={"content-type": "image/png"}), 400, "empty"),
        ("empty file", dict(files={"file": ("e.png", b"", "image/png")}), 400, "empty"),
        ("no content type", dict(content=page_png), 415, "Content-Type"),
        (
            "form without file",
            dict(data={"x": "1"}, files={"other": ("", b"", "")}),
            400,
            "no file",
        ),
        (
            "two files",
            dict(files=[("file", ("a.png", page_png, "image/png"))] * 2),
            413,
            "too many files",
        ),
        (
            "too many pixels",
            dict(content=big, headers={"content-type": "image/png"}),
            413,
            "too large",
        ),
        (
            "header bomb",
            dict(content=png_header(30000, 30000), headers={"content-type": "image/png"}),
            413,
            "decompression bomb",
        ),
        (
            "header claims 9 MP",
            dict(content=png_header(3000, 3000), headers={"content-type": "image/png"}),
            413,
            "too large",
        ),
        (
            "body too large",
            dict(
                content=b"\0" * (LIMITS.max_body_bytes + 1), headers={"content-type": "image/png"}
            ),
            413,
            "exceeds",
        ),
        (
            "bad option",
            dict(params={"drop_score": 2}, content=page_png, headers={"content-type": "image/png"}),
            422,
            "drop_score",
        ),
        (
            "unknown option",
            dict(
                params={"det_model": "/tmp/x.onnx"},
                content=page_png,
                headers={"content-type": "image/png"},
            ),
            422,
            "det_model",
        ),
        (
            "bad score mode",
            dict(
                params={"score_mode": "medium"},
                content=page_png,
                headers={"content-type": "image/png"},
            ),
            422,
            "score_mode",
        ),
    ]


def test_bad_inputs_get_clear_errors_and_server_stays_healthy(client, page_img):
    page_png = png(page_img)
    for name, kwargs, status, needle in _bad_cases(page_png):
        r = client.post("/v1/ocr", **kwargs)
        assert r.status_code == status, (name, r.status_code, r.text)
        assert needle.lower() in r.text.lower(), (name, r.text)
    r = client.post("/v1/rec", json={"images": ["aGk="] * 5})
    assert r.status_code == 413 and "too many images" in r.text
    r = client.post("/v1/rec", json={"images": []})
    assert r.status_code == 422
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    assert (
        client.post("/v1/ocr", content=page_png, headers={"content-type": "image/png"}).status_code
        == 200
    )
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'openocr_requests_total{endpoint="/v1/ocr",status="415"}' in text
    assert "openocr_process_resident_memory_bytes" in text and "openocr_engine_ready 1" in text
    assert 'status="5' not in text  # no 5xx at all


def test_openapi_docs(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/v1/ocr", "/v1/det", "/v1/rec", "/healthz", "/readyz", "/metrics"} <= set(
        spec["paths"]
    )
    body = spec["paths"]["/v1/ocr"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json"} <= set(body)
    params = {p["name"] for p in spec["paths"]["/v1/ocr"]["post"]["parameters"]}
    assert {"drop_score", "box_thresh", "unclip_ratio", "thresh", "limit_type"} <= params


class GatedEngine:
    """Wraps an engine; ``ocr`` waits until the gate opens (to fill the worker pool)."""

    def __init__(self, engine) -> None:
        self.engine, self.gate, self.entered = engine, threading.Event(), threading.Semaphore(0)

    def ocr(self, image, **kw):
        if image.shape[0] > 100:  # not the warm-up image
            self.entered.release()
            assert self.gate.wait(20)
        return self.engine.ocr(image, **kw)

    def recognize(self, crops):
        return self.engine.recognize(crops)


def test_full_pool_answers_503_then_recovers(engine, page_img):
    gated = GatedEngine(engine)
    cfg = ServeConfig(workers=1, queue_size=1, retry_after=2, drop_score=0.0, limits=LIMITS)
    data = png(page_img)
    with serving(create_app(gated, config=cfg)) as c:
        results = []

        def post():
            results.append(c.post("/v1/ocr", content=data, headers={"content-type": "image/png"}))

        threads = [threading.Thread(target=post) for _ in range(2)]
        threads[0].start()
        assert gated.entered.acquire(timeout=10)  # the worker is busy
        threads[1].start()
        deadline = time.monotonic() + 10
        while "openocr_queue_depth 1" not in c.get("/metrics").text:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        r = c.post("/v1/ocr", content=data, headers={"content-type": "image/png"})
        assert r.status_code == 503 and r.headers["retry-after"] == "2"
        assert "busy" in r.json()["detail"]
        assert c.get("/healthz").status_code == 200
        gated.gate.set()
        for t in threads:
            t.join(20)
        assert [x.status_code for x in results] == [200, 200]
        assert (
            c.post("/v1/ocr", content=data, headers={"content-type": "image/png"}).status_code
            == 200
        )
        assert "openocr_rejected_total 1" in c.get("/metrics").text


def test_api_key(engine, page_img, monkeypatch):
    monkeypatch.setenv("OPENOCR_API_KEY", "s3cret")
    cfg = ServeConfig(drop_score=0.0, limits=LIMITS)
    assert cfg.api_key == "s3cret"
    data = png(page_img)
    headers = {"content-type": "image/png"}
    with serving(create_app(engine, config=cfg)) as c:
        r = c.post("/v1/ocr", content=data, headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert (
            c.post("/v1/ocr", content=data, headers={**headers, "x-api-key": "nope"}).status_code
            == 401
        )
        assert c.get("/metrics").status_code == 401
        ok = c.post("/v1/ocr", content=data, headers={**headers, "authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        assert (
            c.post("/v1/det", content=data, headers={**headers, "x-api-key": "s3cret"}).status_code
            == 200
        )
        assert c.get("/healthz").status_code == 200 and c.get("/readyz").status_code == 200


def test_engine_factory_load_failure_reported():
    def broken():
        raise RuntimeError("no model files")

    app = create_app(engine_factory=broken, config=ServeConfig(api_key=None))
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            deadline = time.monotonic() + 10
            while c.get("/readyz").json()["status"] == "loading":
                assert time.monotonic() < deadline
                time.sleep(0.02)
            r = c.get("/readyz")
            assert r.status_code == 503 and "no model files" in r.json()["detail"]
            r = c.post("/v1/ocr", content=png_header(10, 10), headers={"content-type": "image/png"})
            assert r.status_code == 503 and "failed to load" in r.json()["detail"]
    finally:
        server.should_exit = True
        thread.join(10)


def test_cli_refuses_without_models(monkeypatch, tmp_path, capsys):
    from openocr.cli.main import main

    monkeypatch.setattr("openocr.weights.models_dir", lambda: tmp_path)
    assert main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "no trained weights" in err and "--det-model" in err and "Traceback" not in err


def test_cli_serve_one_command(tmp_path, page_img):
    """``openocr serve --det-model --rec-model`` with an exported tiny RepSVTR, in a subprocess."""
    from engine_models import export_tiny_rec

    det = make_dark_det_onnx(tmp_path / "det.onnx")
    rec = export_tiny_rec(tmp_path / "rec.onnx")
    with socket_port() as port:
        pass
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("OPENOCR_API_KEY", None)
    cmd = [sys.executable, "-m", "openocr.cli.main", "serve", "--det-model", str(det), "--rec-model", str(rec),
           "--port", str(port), "--threads", "1", "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, proc.stdout.read().decode()
                with contextlib.suppress(httpx.TransportError):
                    if c.get("/readyz").status_code == 200:
                        break
                assert time.monotonic() < deadline, "service did not become ready"
                time.sleep(0.1)
            r = c.post(
                "/v1/ocr?drop_score=0", files={"file": ("p.png", png(page_img), "image/png")}
            )
            assert r.status_code == 200, r.text
            assert len(r.json()["pages"][0]["lines"]) >= 3
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def socket_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]
