"""Export registered models to self-describing ONNX files, and check torch/ONNX Runtime parity.

The exported graph is the re-parameterised eval model (opset 17):

* rec: ``input`` float32 [batch, 3, H, width] -> ``output`` softmax [batch, seq, classes]
* det: ``input`` float32 [batch, 3, height, width] -> ``output`` shrink map [batch, 1, height, width]

``metadata_props`` (all strings): ``format`` ("openocr-onnx/1"), ``model_name``,
``model_kwargs`` (JSON), ``task``, ``charset`` (``Charset.to_metadata()``, rec only),
``config`` (JSON), ``input_height`` (rec only), ``normalization`` (JSON: ``mean``/``std`` per
RGB channel applied to pixel/255, ``channel_order`` "RGB"), ``output`` ("softmax" | "prob_map"),
``weights`` ("fp32" | "fp16").

With ``fp16_weights`` the large float initializers are stored as float16 followed by a ``Cast``
to float32: half the file, and ONNX Runtime folds the casts when it loads the model, so it still
computes in float32. The values are exactly those of :func:`round_weights_fp16` of the
re-parameterised model, which is what the parity check compares against.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .charset import Charset
from .checkpoint import fits_dtype
from .errors import ModelError
from .models.reparam import reparameterize

FORMAT = "openocr-onnx/1"
FP16_ATOL = 2e-2  # fp16-weight ONNX vs the fp32 torch model: rounding only, no overflow
REC_NORM = {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "channel_order": "RGB"}
DET_NORM = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "channel_order": "RGB"}


class ParityError(ModelError):
    """Torch and ONNX Runtime outputs disagree by more than the tolerance."""


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    return getattr(model, "module", model)


def _task(model: torch.nn.Module) -> str:
    task = getattr(model, "task", None)
    if task not in ("rec", "det"):
        raise ModelError("model has no task 'rec'/'det'; build it with openocr.models.create_model")
    return task


def _num_classes(model: torch.nn.Module) -> int | None:
    fc = getattr(getattr(model, "head", None), "fc", None)
    return getattr(fc, "out_features", None)


def _config_json(config: Any) -> str:
    if config is None:
        return "{}"
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        config = dataclasses.asdict(config)
    return json.dumps(config, ensure_ascii=False, default=str)


def build_metadata(
    model: torch.nn.Module, charset: Charset | None = None, config: Any = None
) -> dict[str, str]:
    """The ``metadata_props`` written into an exported file (see module docstring)."""
    task = _task(model)
    meta = {
        "format": FORMAT,
        "model_name": str(getattr(model, "model_name", type(model).__name__)),
        "model_kwargs": json.dumps(getattr(model, "model_kwargs", {}), default=str),
        "task": task,
        "config": _config_json(config),
    }
    if task == "rec":
        n_cls = _num_classes(model)
        if charset is not None:
            if n_cls is not None and charset.num_classes != n_cls:
                raise ModelError(
                    f"charset {charset.name!r} has {charset.num_classes} classes "
                    f"but the model outputs {n_cls}"
                )
            meta["charset"] = charset.to_metadata()
        meta["input_height"] = str(int(getattr(model, "input_height", 48)))
        meta["normalization"] = json.dumps(REC_NORM)
        meta["output"] = "softmax"
    else:
        meta["normalization"] = json.dumps(DET_NORM)
        meta["output"] = "prob_map"
    return meta


def round_weights_fp16(model: torch.nn.Module) -> torch.nn.Module:
    """Round the floating parameters and buffers of ``model`` to float16 and back, in place;
    tensors with values beyond float16's range (e.g. large BN variances) are left as they are."""
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point() and fits_dtype(t, torch.float16):
                t.copy_(t.half().float())
    return model


def deploy_copy(model: torch.nn.Module, fp16_weights: bool = False) -> torch.nn.Module:
    """The model as exported: an fp32 eval copy, re-parameterised, optionally fp16-rounded."""
    deploy = reparameterize(copy.deepcopy(_unwrap(model)).cpu().float().eval())
    return round_weights_fp16(deploy) if fp16_weights else deploy


def verify_export(
    model: torch.nn.Module, path: str | Path, atol: float = 1e-4, fp16_weights: bool = False
) -> tuple[float, float | None]:
    """Parity of an exported file with ``model`` on random inputs of two sizes: max difference
    to the exported (deploy) model, and with ``fp16_weights`` also to the fp32 model
    (``FP16_ATOL``), so fp16 storage cannot silently break a model. Raises ParityError."""
    torch.manual_seed(0)
    if _task(model) == "rec":
        h = int(getattr(_unwrap(model), "input_height", None) or 48)
        inputs = [torch.rand(2, 3, h, w) * 2 - 1 for w in (h * 4, h * 10)]
    else:
        inputs = [torch.rand(1, 3, 320, 480), torch.rand(1, 3, 640, 640)]
    diff = check_parity(deploy_copy(model, fp16_weights), path, inputs, atol=atol)
    if not fp16_weights:
        return diff, None
    return diff, check_parity(deploy_copy(model), path, inputs, atol=FP16_ATOL)


def _store_initializers_fp16(proto: Any, min_size: int = 64) -> None:
    """Replace float32 initializers of at least ``min_size`` values by float16 + Cast (those
    that float16 cannot hold stay float32)."""
    import onnx
    from onnx import numpy_helper

    graph = proto.graph
    casts = []
    for init in graph.initializer:
        if init.data_type != onnx.TensorProto.FLOAT:
            continue
        arr = numpy_helper.to_array(init)
        if arr.size < min_size or not np.isfinite(arr.astype(np.float16)).all():
            continue
        name = init.name
        init.CopyFrom(numpy_helper.from_array(arr.astype(np.float16), name + "__fp16"))
        casts.append(
            onnx.helper.make_node(
                "Cast", [name + "__fp16"], [name], to=onnx.TensorProto.FLOAT, name=name + "__cast"
            )
        )
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)


def export_onnx(
    model: torch.nn.Module,
    path: str | Path,
    *,
    charset: Charset | None = None,
    config: Any = None,
    opset: int = 17,
    fp16_weights: bool = False,
) -> Path:
    """Export ``model`` (left untouched) to ``path``: a re-parameterised eval copy, dynamic batch
    and width (rec) or batch/height/width (det), with openocr metadata.

    Args:
        model: a model from ``create_model`` (or ``load_checkpoint``).
        path: the ``.onnx`` file to write (parent folders are created).
        charset: the recognizer's charset (stored so the file decodes by itself).
        config: resolved config (dict or dataclass), stored as JSON.
        opset: ONNX opset (17 is what we test).
        fp16_weights: store large weights as float16 (computation stays float32).

    Returns:
        The written path.

    >>> export_onnx(create_model("repsvtr_tiny"), "rec.onnx", charset=Charset.load("en"))  # doctest: +SKIP
    """
    import onnx

    src = _unwrap(model)
    meta = build_metadata(src, charset, config)
    task = meta["task"]
    meta["weights"] = "fp16" if fp16_weights else "fp32"
    deploy = deploy_copy(src, fp16_weights)
    if task == "rec":
        dummy = torch.zeros(1, 3, int(meta["input_height"]), 320)
        axes = {"input": {0: "batch", 3: "width"}, "output": {0: "batch", 1: "seq"}}
    else:
        dummy = torch.zeros(1, 3, 640, 640)
        hw = {0: "batch", 2: "height", 3: "width"}
        axes = {"input": hw, "output": dict(hw)}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TorchScript-exporter deprecation and tracer warnings
        torch.onnx.export(
            deploy,
            (dummy,),
            str(path),
            input_names=["input"],
            output_names=["output"],
            opset_version=opset,
            dynamic_axes=axes,
            do_constant_folding=True,
            dynamo=False,
        )
    proto = onnx.load(str(path))
    if fp16_weights:
        _store_initializers_fp16(proto)
    del proto.metadata_props[:]
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    return path


def export_checkpoint(ckpt_path: str | Path, out_path: str | Path, opset: int = 17) -> Path:
    """Export a checkpoint written by ``openocr.checkpoint.save_checkpoint`` (charset and
    config are carried over from its metadata)."""
    from .checkpoint import load_checkpoint

    model, meta = load_checkpoint(ckpt_path)
    return export_onnx(
        model, out_path, charset=meta.get("charset"), config=meta.get("config"), opset=opset
    )


def read_onnx_metadata(path: str | Path) -> dict[str, str]:
    """The raw ``metadata_props`` of an ONNX file, as a dict of strings."""
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in proto.metadata_props}


def check_parity(
    model: torch.nn.Module,
    onnx_path: str | Path,
    inputs: torch.Tensor | np.ndarray | list[torch.Tensor | np.ndarray],
    atol: float = 1e-4,
) -> float:
    """Run ``model`` (eval mode, on a copy) and ONNX Runtime on each input; raise
    :class:`ParityError` if any output differs by more than ``atol``. Returns the largest
    absolute difference seen.

    >>> check_parity(model, "rec.onnx", [torch.rand(2, 3, 32, 160) * 2 - 1])  # doctest: +SKIP
    """
    import onnxruntime as ort

    if isinstance(inputs, (torch.Tensor, np.ndarray)):
        inputs = [inputs]
    ref = copy.deepcopy(_unwrap(model)).cpu().float().eval()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    worst = 0.0
    for x in inputs:
        xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
        with torch.no_grad():
            want = ref(xt).numpy()
        got = sess.run(["output"], {"input": xt.numpy()})[0]
        if got.shape != want.shape:
            raise ParityError(
                f"{onnx_path}: output shape {got.shape} != torch {want.shape} for input {tuple(xt.shape)}"
            )
        diff = float(np.abs(got - want).max()) if want.size else 0.0
        worst = max(worst, diff)
        if not diff <= atol:  # also catches NaN
            raise ParityError(
                f"{onnx_path}: max |onnx - torch| = {diff:.3g} > {atol:g} for input {tuple(xt.shape)}"
            )
    return worst
