"""Helpers for engine tests: a synthetic ONNX detector (dark pixels -> text), a tiny exported
recognizer, fake numpy backends and rendered pages. No network, no trained weights."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from openocr.charset import Charset
from openocr.runtime.base import ModelInfo


def make_dark_det_onnx(path: Path) -> Path:
    """A real ONNX 'detector': prob = sigmoid(6 * (maxpool5x5(-mean_c(x)) - 0.5)).

    On ImageNet-normalized input, black ink gives ~1 and white paper ~0, so rendered text and
    filled rectangles come out as text regions."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, "height", "width"])
    out = helper.make_tensor_value_info(
        "output", TensorProto.FLOAT, ["batch", 1, "height", "width"]
    )
    nodes = [
        helper.make_node("ReduceMean", ["input"], ["m"], axes=[1], keepdims=1),
        helper.make_node("Neg", ["m"], ["d"]),
        helper.make_node("MaxPool", ["d"], ["dp"], kernel_shape=[5, 5], pads=[2, 2, 2, 2]),
        helper.make_node("Sub", ["dp", "bias"], ["c"]),
        helper.make_node("Mul", ["c", "gain"], ["s"]),
        helper.make_node("Sigmoid", ["s"], ["output"]),
    ]
    inits = [
        numpy_helper.from_array(np.array(0.5, np.float32), "bias"),
        numpy_helper.from_array(np.array(6.0, np.float32), "gain"),
    ]
    graph = helper.make_graph(nodes, "dark_det", [inp], [out], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for k, v in {"model_name": "dark_det", "task": "det", "format": "openocr-onnx/1"}.items():
        e = model.metadata_props.add()
        e.key, e.value = k, v
    onnx.save(model, str(path))
    return path


def tiny_rec_model(seed: int = 0):
    import torch

    from openocr.models import create_model

    torch.manual_seed(seed)
    model = create_model("repsvtr_tiny", num_classes=Charset.load("en").num_classes)
    return model.eval()


def export_tiny_rec(path: Path, model=None) -> Path:
    from openocr.export_onnx import export_onnx

    return export_onnx(
        model if model is not None else tiny_rec_model(), path, charset=Charset.load("en")
    )


def render_page(
    lines: list[str], width: int = 640, line_h: int = 48, scale: float = 1.0
) -> np.ndarray:
    """Black Hershey text lines on white, RGB uint8."""
    img = np.full((line_h * (len(lines) + 1), width, 3), 255, np.uint8)
    for i, text in enumerate(lines):
        cv2.putText(
            img, text, (16, line_h * (i + 1)), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 2
        )
    return img


def rect_page(rects: list[tuple[int, int, int, int]], h: int = 400, w: int = 600) -> np.ndarray:
    """White page with filled black rectangles (x0, y0, x1, y1)."""
    img = np.full((h, w, 3), 255, np.uint8)
    for x0, y0, x1, y1 in rects:
        img[y0:y1, x0:x1] = 0
    return img


FAKE_CHARS = "abcdefghij"


class LevelRec:
    """Fake recognizer backend: at each output step (stride 8 px) where the grey level of the
    input column changes, emit the class of the new level (level = 20 * class)."""

    def __init__(self, height: int = 48) -> None:
        self.info = ModelInfo(
            model_name="level_rec",
            task="rec",
            charset=Charset(tuple(FAKE_CHARS)),
            input_height=height,
        )
        self.calls: list[tuple[int, ...]] = []

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.calls.append(x.shape)
        b, _, h, w = x.shape
        t = w // 8
        pix = np.rint((x[:, 0, h // 2, : t * 8 : 8] + 1) * 127.5)  # [B, T]
        cls = np.clip(pix // 20, 0, len(FAKE_CHARS)).astype(int)
        cls[pix == 128] = 0  # zero padding (mid-grey) is blank
        change = np.zeros_like(cls, dtype=bool)
        change[:, 1:] = pix[:, 1:] != pix[:, :-1]
        change[:, 0] = True
        emit = np.where(change, cls, 0)
        probs = np.full((b, t, len(FAKE_CHARS) + 1), 0.001, np.float32)
        probs[np.arange(b)[:, None], np.arange(t)[None], emit] = 0.99
        return probs


def level_crop(levels: list[int], block: int = 48, height: int = 48) -> np.ndarray:
    """A crop made of ``block``-wide columns of grey level 20 * class."""
    img = np.zeros((height, block * len(levels), 3), np.uint8)
    for i, k in enumerate(levels):
        img[:, i * block : (i + 1) * block] = 20 * k
    return img
