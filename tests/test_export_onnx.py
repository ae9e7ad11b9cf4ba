"""ONNX export: dynamic axes, metadata, and a torch/ONNX Runtime parity check that can fail."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

from openocr.charset import Charset  # noqa: E402
from openocr.errors import ModelError  # noqa: E402
from openocr.export_onnx import (  # noqa: E402
    ParityError,
    check_parity,
    export_checkpoint,
    export_onnx,
    read_onnx_metadata,
)
from openocr.models import create_model  # noqa: E402
from openocr.models.reparam import is_reparameterized  # noqa: E402

torch.set_num_threads(1)

REC_CASES = [("repsvtr_tiny", {}), ("svtrv2_test", {}), ("svtrv2_test", {"head": "ctc"})]


def _randomized(name: str, **kw):
    """A tiny model with non-trivial BN statistics, so fusion has real work to do."""
    torch.manual_seed(0)
    model = create_model(name, **kw)
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.rand(c, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
    return model


def _rec_inputs(height: int):
    g = torch.Generator().manual_seed(2)
    return [
        torch.rand(2, 3, height, 160, generator=g) * 2 - 1,
        torch.rand(1, 3, height, 72, generator=g) * 2 - 1,
    ]


def _det_inputs():
    g = torch.Generator().manual_seed(3)
    return [torch.rand(2, 3, 64, 96, generator=g), torch.rand(1, 3, 128, 64, generator=g)]


def _dims(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


@pytest.fixture(scope="module")
def en():
    return Charset.load("en")


@pytest.mark.parametrize(("name", "kw"), REC_CASES)
def test_rec_export_parity_two_widths(tmp_path, en, name, kw):
    model = _randomized(name, **kw)
    path = export_onnx(model, tmp_path / "rec.onnx", charset=en, config={"Global": {"seed": 7}})
    diff = check_parity(model, path, _rec_inputs(model.input_height), atol=1e-4)
    assert diff <= 1e-4
    proto = onnx.load(str(path))
    assert _dims(proto.graph.input[0]) == ["batch", 3, 32, "width"]
    assert _dims(proto.graph.output[0]) == ["batch", "seq", en.num_classes]
    assert proto.opset_import[0].version == 17


def test_rec_metadata_is_self_describing(tmp_path, en):
    model = create_model("repsvtr_tiny", input_height=48)
    meta = read_onnx_metadata(
        export_onnx(model, tmp_path / "m.onnx", charset=en, config={"a": [1, 2]})
    )
    assert meta["format"] == "openocr-onnx/1"
    assert meta["task"] == "rec"
    assert meta["model_name"] == "repsvtr_tiny"
    assert json.loads(meta["model_kwargs"]) == model.model_kwargs
    assert Charset.from_metadata(meta["charset"]).chars == en.chars
    assert json.loads(meta["config"]) == {"a": [1, 2]}
    assert meta["input_height"] == "48"
    assert json.loads(meta["normalization"])["mean"] == [0.5, 0.5, 0.5]
    assert meta["output"] == "softmax"
    rebuilt = create_model(meta["model_name"], **json.loads(meta["model_kwargs"]))
    assert rebuilt.input_height == 48


def test_det_export_parity_two_sizes(tmp_path):
    model = _randomized("repvit_db_tiny")
    path = export_onnx(model, tmp_path / "det.onnx")
    assert check_parity(model, path, _det_inputs()) <= 1e-4
    proto = onnx.load(str(path))
    assert _dims(proto.graph.input[0]) == ["batch", 3, "height", "width"]
    assert _dims(proto.graph.output[0]) == ["batch", 1, "height", "width"]
    meta = read_onnx_metadata(path)
    assert meta["task"] == "det" and "charset" not in meta
    assert json.loads(meta["normalization"])["std"] == [0.229, 0.224, 0.225]


@pytest.mark.parametrize(
    ("name", "param"),
    [("repsvtr_tiny", "encoder.features.1"), ("repvit_db_tiny", "backbone.features.2")],
)
def test_parity_fails_when_weights_differ(tmp_path, name, param):
    model = _randomized(name)
    path = export_onnx(
        model, tmp_path / "m.onnx", charset=Charset.load("en") if model.task == "rec" else None
    )
    inputs = _det_inputs() if model.task == "det" else _rec_inputs(32)
    check_parity(model, path, inputs)
    with torch.no_grad():
        weight = next(
            p for n, p in model.named_parameters() if n.startswith(param) and p.dim() == 4
        )
        weight.add_(0.5 * torch.randn_like(weight))
    with pytest.raises(ParityError, match="max \\|onnx - torch\\|"):
        check_parity(model, path, inputs)


def test_parity_fails_against_another_models_file(tmp_path, en):
    """Same architecture, different initialisation: the check must not pass by accident."""
    path = export_onnx(_randomized("svtrv2_test"), tmp_path / "a.onnx", charset=en)
    torch.manual_seed(123)
    other = create_model("svtrv2_test")
    with pytest.raises(ParityError):
        check_parity(other, path, _rec_inputs(32))


def test_export_leaves_model_untouched(tmp_path, en):
    model = create_model("repsvtr_tiny").train()
    export_onnx(model, tmp_path / "m.onnx", charset=en)
    assert model.training
    assert not is_reparameterized(model)


def test_charset_mismatch_is_rejected(tmp_path):
    model = create_model("repsvtr_tiny", num_classes=50)
    with pytest.raises(ModelError, match="classes"):
        export_onnx(model, tmp_path / "m.onnx", charset=Charset.load("en"))


def test_export_from_checkpoint(tmp_path, en):
    save_checkpoint = pytest.importorskip("openocr.checkpoint").save_checkpoint
    model = _randomized("repsvtr_tiny")
    ckpt = save_checkpoint(tmp_path / "m.safetensors", model, charset=en, config={"lr": 0.001})
    path = export_checkpoint(ckpt, tmp_path / "m.onnx")
    meta = read_onnx_metadata(path)
    assert json.loads(meta["config"]) == {"lr": 0.001}
    assert Charset.from_metadata(meta["charset"]).chars == en.chars
    check_parity(model, path, _rec_inputs(32))


def test_fp16_weights_halve_the_file_and_keep_the_outputs(tmp_path, en):
    from openocr.export_onnx import deploy_copy

    model = _randomized("repsvtr_tiny")
    full = export_onnx(model, tmp_path / "fp32.onnx", charset=en)
    half = export_onnx(model, tmp_path / "fp16.onnx", charset=en, fp16_weights=True)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    assert read_onnx_metadata(half)["weights"] == "fp16"
    proto = onnx.load(str(half))
    assert any(i.data_type == onnx.TensorProto.FLOAT16 for i in proto.graph.initializer)
    inputs = _rec_inputs(model.input_height)
    check_parity(deploy_copy(model, fp16_weights=True), half, inputs, atol=1e-3)
    # the fp32-weight model differs, but only by fp16 rounding
    assert check_parity(model, half, inputs, atol=1e-2) > 0


def test_fp16_keeps_values_float16_cannot_hold(tmp_path, en):
    """A BN variance above 65504 would become inf in float16: it stays float32."""
    from openocr.checkpoint import load_checkpoint, save_checkpoint
    from openocr.export_onnx import round_weights_fp16

    model = _randomized("repsvtr_tiny")
    bn = next(m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    bn.running_var.fill_(1.5e5)
    path = save_checkpoint(tmp_path / "m.safetensors", model, en, dtype=torch.float16)
    loaded, _ = load_checkpoint(path)
    bn2 = next(m for m in loaded.modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert torch.equal(bn2.running_var, bn.running_var)
    round_weights_fp16(model)
    assert torch.isfinite(bn.running_var).all() and float(bn.running_var[0]) == 1.5e5
