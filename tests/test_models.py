"""Model zoo: exact parameter counts (§1.7), shapes, fusion equivalence, gradient flow."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from openocr.models import create_model, get_model_info, list_models  # noqa: E402
from openocr.models.reparam import is_reparameterized, reparameterize  # noqa: E402

torch.set_num_threads(1)

TINY = ["repsvtr_tiny", "svtrv2_test", "repvit_db_tiny"]


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def build_meta(name: str, **kw):
    """Build on the meta device: exact shapes and counts, no memory, no compute."""
    with torch.device("meta"):
        return create_model(name, **kw)


def randomize_bn(model, seed: int = 0) -> None:
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.rand(c, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(c, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(c, generator=g) - 0.5)


def test_registry_lists_all_models():
    names = set(list_models())
    expected = {
        "repsvtr",
        "repsvtr_tiny",
        "svtrv2",
        "svtrv2_tiny_rctc",
        "svtrv2_small_rctc",
        "svtrv2_base_rctc",
        "svtrv2_test",
        "repvit_db",
        "repvit_db_tiny",
    }
    assert expected <= names
    assert get_model_info("repvit_db").task == "det"
    assert get_model_info("repsvtr").task == "rec"
    assert list_models("svtrv2_*_rctc") == [
        "svtrv2_base_rctc",
        "svtrv2_small_rctc",
        "svtrv2_tiny_rctc",
    ]


@pytest.mark.parametrize(
    ("name", "kwargs", "expected"),
    [
        ("repsvtr", {"num_classes": 6625}, 6_284_665),
        ("svtrv2", {"num_classes": 6625}, 20_983_329),
        ("svtrv2_tiny_rctc", {"num_classes": 95}, 5_128_255),
        ("svtrv2_small_rctc", {"num_classes": 95}, 11_251_247),
        ("svtrv2_base_rctc", {"num_classes": 95}, 19_755_551),
        ("repvit_db", {}, 3_127_722),
    ],
)
def test_param_counts(name, kwargs, expected):
    assert n_params(build_meta(name, **kwargs)) == expected


def test_component_param_counts():
    rec = build_meta("repsvtr", num_classes=6625)
    assert n_params(rec.encoder) == 3_236_568
    assert n_params(rec.head) == 3_048_097
    assert n_params(build_meta("svtrv2", num_classes=6625).encoder) == 17_935_232
    det = build_meta("repvit_db")
    assert (n_params(det.backbone), n_params(det.neck), n_params(det.head)) == (
        2_908_960,
        172_248,
        46_514,
    )


@pytest.mark.parametrize(("name", "expected"), [("repsvtr", 6_264_265), ("repvit_db", 3_110_034)])
def test_fused_param_counts(name, expected):
    model = create_model(name)  # fusion needs real tensors (runs in well under a second)
    assert is_reparameterized(model) is False
    reparameterize(model)
    assert is_reparameterized(model)
    assert n_params(model) == expected


@pytest.mark.parametrize(
    ("name", "shape", "out_eval", "out_train"),
    [
        ("repsvtr", (1, 3, 48, 320), (1, 40, 6625), (1, 40, 6625)),
        ("repsvtr", (2, 3, 48, 640), (2, 80, 6625), (2, 80, 6625)),
        ("svtrv2", (1, 3, 48, 320), (1, 40, 6625), (1, 40, 6625)),
        ("svtrv2_base_rctc", (1, 3, 32, 128), (1, 32, 95), (1, 32, 95)),
        ("svtrv2_tiny_rctc", (1, 3, 32, 128), (1, 32, 95), (1, 32, 95)),
        ("repvit_db", (1, 3, 640, 640), (1, 1, 640, 640), (1, 3, 640, 640)),
    ],
)
def test_full_size_shapes(name, shape, out_eval, out_train):
    model = build_meta(name)
    with torch.device("meta"):
        x = torch.empty(shape)
        assert tuple(model.eval()(x).shape) == out_eval
        assert tuple(model.train()(x).shape) == out_train


def test_rec_output_is_softmax_in_eval_and_logits_in_train():
    model = create_model("repsvtr_tiny", num_classes=20).eval()
    x = torch.randn(2, 3, 32, 96)
    with torch.no_grad():
        probs = model(x)
        logits = model.head(model.encoder(x))
    assert probs.shape == (2, 12, 20)
    torch.testing.assert_close(probs.sum(-1), torch.ones(2, 12))
    torch.testing.assert_close(probs, logits.softmax(-1))


@pytest.mark.parametrize("height", [32, 48, 64])
def test_repsvtr_is_height_agnostic(height):
    """The neck averages over H, so T depends on the width only."""
    model = create_model("repsvtr_tiny", input_height=height).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, height, 320)).shape == (1, 40, 96)


def test_input_height_recorded():
    assert create_model("repsvtr").input_height == 48
    assert create_model("repsvtr_tiny", input_height=48).input_height == 48
    assert build_meta("svtrv2_base_rctc").input_height == 32
    with pytest.raises(ValueError, match="multiple of 16"):
        create_model("repsvtr_tiny", input_height=40)


def test_create_model_records_kwargs():
    model = create_model("repsvtr_tiny", num_classes=42, use_guide=None)
    assert model.model_name == "repsvtr_tiny"
    assert model.task == "rec"
    assert model.model_kwargs == {"num_classes": 42, "input_height": 32, "use_guide": False}


@pytest.mark.parametrize("name", TINY)
def test_tiny_forward_backward(name):
    torch.manual_seed(0)
    model = create_model(name).train()
    task = get_model_info(name).task
    x = torch.randn(2, 3, 64, 128) if task == "det" else torch.randn(2, 3, 32, 128)
    out = model(x)
    if task == "det":
        assert out.shape == (2, 3, 64, 128)
        assert float(out.detach().min()) >= 0.0 and float(out.detach().max()) <= 1.0
    else:
        assert out.dim() == 3 and out.shape[0] == 2 and out.shape[2] == 96
    out.float().pow(2).mean().backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    if task == "det":  # the threshold branch only runs in training, so everything gets a gradient
        assert not missing
    else:
        assert not [n for n in missing if n.startswith("encoder.")]


@pytest.mark.parametrize(("use_guide", "encoder_learns"), [(False, True), (True, False)])
def test_use_guide_detaches_encoder(use_guide, encoder_learns):
    """§9.3 #3: use_guide=True (reference fine-tuning) gives the encoder no CTC gradient."""
    model = create_model("repsvtr_tiny", use_guide=use_guide).train()
    model(torch.randn(2, 3, 32, 64)).logsumexp(-1).mean().backward()
    enc_grads = [p.grad for p in model.encoder.parameters()]
    assert all(g is not None for g in enc_grads) is encoder_learns
    assert all(p.grad is not None for p in model.head.fc.parameters())


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("repsvtr_tiny", (2, 3, 32, 160)),
        ("repvit_db_tiny", (2, 3, 96, 64)),
        ("repsvtr", (1, 3, 48, 320)),
        ("repvit_db", (1, 3, 128, 160)),
    ],
)
def test_reparameterize_equivalence(name, shape):
    torch.manual_seed(0)
    model = create_model(name)
    randomize_bn(model)
    model.eval()
    x = torch.randn(shape)
    with torch.no_grad():
        before = model(x)
        pre_logits = model.head(model.encoder(x)) if hasattr(model, "encoder") else None
        assert reparameterize(model) is model
        after = model(x)
        fused_part = model.encoder if hasattr(model, "encoder") else model.backbone
        assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused_part.modules())
        torch.testing.assert_close(after, before, atol=1e-4, rtol=0)
        if pre_logits is not None:
            torch.testing.assert_close(
                model.head(model.encoder(x)), pre_logits, atol=1e-4, rtol=1e-4
            )
        reparameterize(model)  # idempotent
        torch.testing.assert_close(model(x), after, atol=0, rtol=0)


def test_svtrv2_test_both_heads():
    for head, t in (("rctc", 32), ("ctc", 16)):
        model = create_model("svtrv2_test", head=head).eval()
        with torch.no_grad():
            assert model(torch.randn(1, 3, 32, 128)).shape == (1, t, 96)
    with pytest.raises(ValueError, match="unknown SVTRv2 head"):
        create_model("svtrv2_test", head="attn")
