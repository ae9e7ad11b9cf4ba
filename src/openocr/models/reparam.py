"""Deploy-time re-parameterisation: fold every fusable block (anything with ``fuse()``)."""

from __future__ import annotations

from torch import nn


def _fuse_children(module: nn.Module) -> int:
    count = 0
    for name, child in list(module.named_children()):
        fuse = getattr(child, "fuse", None)
        if callable(fuse):
            child = fuse()
            setattr(module, name, child)
            count += 1
        count += _fuse_children(child)
    return count


def reparameterize(model: nn.Module) -> nn.Module:
    """Fuse every re-parameterisable block of ``model`` in place and return it (in eval mode).

    Conv-BN units become one conv with bias, RepVGG depthwise units one 3x3 depthwise conv.
    BatchNorm running statistics are used, so the fused model is for inference only. Calling it
    twice is harmless. Eval outputs agree with the unfused model to ~1e-6.

    >>> model = reparameterize(create_model("repsvtr_tiny"))  # doctest: +SKIP
    """
    model.eval()
    _fuse_children(model)
    model.reparameterized = True
    return model


def is_reparameterized(model: nn.Module) -> bool:
    return not any(callable(getattr(m, "fuse", None)) for m in model.modules())
