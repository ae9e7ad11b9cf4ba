"""Deterministic ONNX models for the service and demo tests (no torch, no trained weights).

``make_shade_rec_onnx``: a real ONNX 'recognizer' whose output depends on the crop: every 8-pixel
column block emits a letter chosen by its ink darkness (blank on paper), with a confidence that
depends on how close the darkness is to that letter's level. Different lines therefore give
different texts and different scores, which the drop-score tests need.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from openocr.charset import Charset

SHADE_CHARS = "abcdefghij"


def make_shade_rec_onnx(path: Path, gain: float = 5.0) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    charset = Charset.load("en")
    lookup = charset.lookup_table()
    centres = np.full(charset.num_classes, 10.0, np.float32)  # unreachable level
    centres[0] = 0.0  # blank: paper
    for k, ch in enumerate(SHADE_CHARS):
        centres[lookup.index(ch)] = 0.08 + 0.09 * k
    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 48, "width"])
    out = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", "steps", "classes"])
    nodes = [
        helper.make_node("ReduceMean", ["input"], ["m"], axes=[1, 2], keepdims=1),  # [B,1,1,W]
        helper.make_node("AveragePool", ["m"], ["p"], kernel_shape=[1, 8], strides=[1, 8]),
        helper.make_node("Sub", ["one", "p"], ["q"]),
        helper.make_node("Mul", ["q", "half"], ["dark"]),  # 0 = white .. 1 = black
        helper.make_node("Squeeze", ["dark", "axes12"], ["d2"]),  # [B,T]
        helper.make_node("Unsqueeze", ["d2", "axes_last"], ["d3"]),  # [B,T,1]
        helper.make_node("Sub", ["d3", "centres"], ["diff"]),  # [B,T,C]
        helper.make_node("Mul", ["diff", "diff"], ["sq"]),
        helper.make_node("Mul", ["sq", "neg_gain"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["output"], axis=-1),
    ]
    inits = [
        numpy_helper.from_array(np.array(1.0, np.float32), "one"),
        numpy_helper.from_array(np.array(0.5, np.float32), "half"),
        numpy_helper.from_array(np.array([1, 2], np.int64), "axes12"),
        numpy_helper.from_array(np.array([-1], np.int64), "axes_last"),
        numpy_helper.from_array(centres, "centres"),
        numpy_helper.from_array(np.array(-gain * 100, np.float32), "neg_gain"),
    ]
    graph = helper.make_graph(nodes, "shade_rec", [inp], [out], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    meta = {
        "model_name": "shade_rec",
        "task": "rec",
        "format": "openocr-onnx/1",
        "charset": charset.to_metadata(),
        "input_height": "48",
        "output": "softmax",
    }
    for k, v in meta.items():
        e = model.metadata_props.add()
        e.key, e.value = k, v
    onnx.save(model, str(path))
    return path
