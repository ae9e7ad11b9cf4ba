"""load_image / load_pages / expand_inputs: every input kind and every bad-input case."""

from __future__ import annotations

import io
import sys
import types
import zlib

import numpy as np
import pytest
from PIL import Image

from openocr.errors import InputError
from openocr.io import expand_inputs, iter_pages, load_image, load_pages


def _png_bytes(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=kw.pop("format", "PNG"), **kw)
    return buf.getvalue()


@pytest.fixture
def rgb() -> np.ndarray:
    a = np.zeros((20, 30, 3), np.uint8)
    a[..., 0] = 200  # red
    a[5:10, 5:25, 2] = 100
    return a


def test_path_bytes_pil_array_agree(tmp_path, rgb):
    p = tmp_path / "a.png"
    Image.fromarray(rgb).save(p)
    for src in (p, str(p), p.read_bytes(), Image.fromarray(rgb), rgb):
        out = load_image(src)
        assert out.dtype == np.uint8 and out.shape == (20, 30, 3)
        np.testing.assert_array_equal(out, rgb)


def test_bgr_escape_hatch(rgb):
    np.testing.assert_array_equal(load_image(rgb[..., ::-1], bgr=True), rgb)


def test_gray_rgba_palette_16bit_float():
    gray = np.full((8, 9), 77, np.uint8)
    assert (load_image(gray) == 77).all()
    assert load_image(Image.fromarray(gray, "L")).shape == (8, 9, 3)
    rgba = np.zeros((8, 9, 4), np.uint8)  # fully transparent -> white background
    assert (load_image(rgba) == 255).all()
    rgba[..., 3] = 255  # opaque black
    assert (load_image(Image.fromarray(rgba, "RGBA")) == 0).all()
    pal = Image.fromarray(gray).convert("P")
    assert (load_image(_png_bytes(pal)) == 77).all()
    g16 = np.full((8, 9), 65535, np.uint16)
    assert (load_image(Image.fromarray(g16)) == 255).all()
    assert (load_image(g16) == 255).all()
    assert (load_image(np.full((8, 9, 3), 0.5, np.float32)) == 128).all()
    assert load_image(np.zeros((8, 9, 1), np.uint8)).shape == (8, 9, 3)


def test_exif_orientation_and_opt_out():
    img = Image.fromarray(np.zeros((10, 40, 3), np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    data = _png_bytes(img, format="JPEG", exif=exif.tobytes())
    assert load_image(data).shape == (40, 10, 3)
    assert load_image(data, exif=False).shape == (10, 40, 3)


def test_multipage_tiff_and_gif(tmp_path):
    frames = [Image.fromarray(np.full((12, 16, 3), v, np.uint8)) for v in (10, 120, 240)]
    tif = tmp_path / "doc.tiff"
    frames[0].save(tif, save_all=True, append_images=frames[1:])
    pages = load_pages(tif)
    assert [int(p[0, 0, 0]) for p in pages] == [10, 120, 240]
    gif = tmp_path / "anim.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=50)
    assert len(load_pages(gif)) == 3
    assert load_image(gif).shape == (12, 16, 3)  # first frame, RGB
    items = list(iter_pages([str(tif)]))
    assert [(i.page_index, i.num_pages) for i in items] == [(0, 3), (1, 3), (2, 3)]


def test_pdf_pages_rendered_at_2x(tmp_path, monkeypatch):
    class Page:
        def get_size(self):
            return 100.0, 50.0

        def render(self, scale):
            img = Image.new("RGB", (int(100 * scale), int(50 * scale)), (250, 250, 250))
            return types.SimpleNamespace(to_pil=lambda: img)

    class Doc:
        def __init__(self, data):
            assert data.startswith(b"%PDF-")

        def __len__(self):
            return 2

        def __getitem__(self, i):
            return Page()

    monkeypatch.setitem(sys.modules, "pypdfium2", types.SimpleNamespace(PdfDocument=Doc))
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    pages = load_pages(pdf)
    assert len(pages) == 2 and pages[0].shape == (100, 200, 3)


def test_pdf_real_rendering(tmp_path):
    pytest.importorskip("pypdfium2", reason="PDF input is the optional [pdf] extra")
    pdf = tmp_path / "two.pdf"
    white = Image.fromarray(np.full((200, 300, 3), 255, np.uint8))
    white.save(
        pdf,
        save_all=True,
        append_images=[Image.fromarray(np.zeros((200, 300, 3), np.uint8))],
        resolution=72,
    )
    pages = load_pages(pdf)
    assert [p.shape for p in pages] == [(400, 600, 3)] * 2  # 2x zoom
    assert pages[0].mean() > 250 and pages[1].mean() < 5


def test_pdf_without_pypdfium2_is_clear(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pypdfium2", None)  # import fails
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with pytest.raises(InputError, match=r"doc\.pdf: PDF input needs pypdfium2"):
        load_pages(pdf)


def _zero_width_png() -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + tag + data + zlib.crc32(tag + data).to_bytes(4, "big")

    ihdr = (0).to_bytes(4, "big") + (10).to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def _bomb_png() -> bytes:
    # 20000 x 20000 grayscale of zeros compresses to a few hundred KB
    img = Image.new("1", (20000, 20000))
    return _png_bytes(img)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.png", None, "no such file"),
        ("empty.png", b"", "empty file"),
        ("text.png", b"this is not an image at all", "not an image"),
        ("zero.png", "zero", r"zero size|cannot read|not an image"),
    ],
)
def test_bad_files_raise_one_line_input_error(tmp_path, name, content, message):
    p = tmp_path / name
    if content == "zero":
        p.write_bytes(_zero_width_png())
    elif content is not None:
        p.write_bytes(content)
    with pytest.raises(InputError, match=message) as exc:
        load_image(p)
    text = str(exc.value)
    assert name in text and "\n" not in text


def test_truncated_file(tmp_path):
    data = _png_bytes(
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    )
    p = tmp_path / "cut.png"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut\.png: truncated or corrupt"):
        load_image(p)


def test_decompression_bomb_and_too_large(tmp_path):
    p = tmp_path / "bomb.png"
    p.write_bytes(_bomb_png())
    with pytest.raises(InputError, match=r"bomb\.png: .*decompression bomb"):
        load_image(p)
    with pytest.raises(InputError, match="too large"):
        load_image(Image.new("L", (3000, 3000)), max_pixels=1_000_000)


def test_zero_size_and_bad_arrays():
    with pytest.raises(InputError, match="zero size"):
        load_image(np.zeros((0, 5, 3), np.uint8))
    with pytest.raises(InputError, match="shape"):
        load_image(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(InputError, match="NaN"):
        load_image(np.full((4, 4), np.nan, np.float32))
    with pytest.raises(InputError, match="unsupported input type"):
        load_image(12345)


def test_directory_is_not_an_image(tmp_path):
    with pytest.raises(InputError, match="is a directory"):
        load_image(tmp_path)


def test_expand_inputs_dir_glob_list_recursive(tmp_path):
    (tmp_path / "sub").mkdir()
    for rel in ("b.png", "a.jpg", "notes.txt", "sub/c.png"):
        (tmp_path / rel).write_bytes(b"x")
    names = lambda xs: [str(x).replace(str(tmp_path) + "/", "") for x in xs]  # noqa: E731
    assert names(expand_inputs(tmp_path)) == ["a.jpg", "b.png"]
    assert names(expand_inputs(str(tmp_path), recursive=True)) == ["a.jpg", "b.png", "sub/c.png"]
    assert names(expand_inputs(str(tmp_path / "*.png"))) == ["b.png"]
    arr = np.zeros((2, 2), np.uint8)
    out = expand_inputs([str(tmp_path / "a.jpg"), arr, str(tmp_path / "nope.png")])
    assert out[1] is arr and names([out[0], out[2]]) == ["a.jpg", "nope.png"]


def test_batch_continues_past_bad_inputs(tmp_path, rgb):
    Image.fromarray(rgb).save(tmp_path / "ok1.png")
    (tmp_path / "broken.png").write_bytes(b"garbage")
    (tmp_path / "empty.jpg").write_bytes(b"")
    Image.fromarray(rgb).save(tmp_path / "ok2.png")
    items = list(iter_pages([tmp_path, str(tmp_path / "missing.png")]))
    assert [(i.name.split("/")[-1], i.error is None) for i in items] == [
        ("broken.png", False),
        ("empty.jpg", False),
        ("ok1.png", True),
        ("ok2.png", True),
        ("missing.png", False),
    ]
    assert all(isinstance(i.error, InputError) for i in items if i.image is None)
