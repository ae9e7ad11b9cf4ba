"""RepSVTR: the mobile recognizer (RepViT-style conv encoder, §1.2) + CTC head with svtr neck.

Also provides :class:`RepViTNet`, the stem + block stack shared with the detector backbone.
"""

from __future__ import annotations

import torch
from torch import nn

from .heads import CTCNeckHead, RecModel
from .layers import RepStem, RepViTBlock
from .registry import register_model

# (out_channels, stride, use_se) for each block after the stem.
Stride = int | tuple[int, int]
BlockCfg = tuple[int, Stride, bool]


class RepViTNet(nn.Module):
    """Stem (stride 4) + RepViT blocks. Returns the last map, or the maps at ``out_indices``
    (index 0 is the stem) when given."""

    def __init__(
        self, stem_ch: int, blocks: list[BlockCfg], out_indices: list[int] | None = None
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [RepStem(stem_ch)]
        chans = [stem_ch]
        for out_ch, stride, use_se in blocks:
            layers.append(RepViTBlock(chans[-1], out_ch, stride, use_se))
            chans.append(out_ch)
        self.features = nn.ModuleList(layers)
        self.out_indices = list(out_indices) if out_indices is not None else None
        self.out_channels = (
            [chans[i] for i in self.out_indices] if self.out_indices is not None else chans[-1]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
        if self.out_indices is None:
            for f in self.features:
                x = f(x)
            return x
        outs = []
        for i, f in enumerate(self.features):
            x = f(x)
            if i in self.out_indices:
                outs.append(x)
        return outs


# §1.2.2: stem 96, 3 blocks @96, (2,1) down, 6 @192, (2,1) down, 2 @384 -> [B, 384, H/16, W/4].
REPSVTR_BLOCKS: list[BlockCfg] = [
    (96, 1, True), (96, 1, False), (96, 1, False),
    (192, (2, 1), False),
    (192, 1, True), (192, 1, False), (192, 1, True), (192, 1, False), (192, 1, True), (192, 1, False),
    (384, (2, 1), False),
    (384, 1, True), (384, 1, False),
]  # fmt: skip
REPSVTR_TINY_BLOCKS: list[BlockCfg] = [
    (16, 1, True), (32, (2, 1), False), (32, 1, True), (64, (2, 1), False), (64, 1, False)
]  # fmt: skip


def _create_repsvtr(
    stem_ch: int,
    blocks: list[BlockCfg],
    num_classes: int,
    input_height: int,
    use_guide: bool,
    head_dims: int,
    head_depth: int,
    head_heads: int,
) -> RecModel:
    if input_height % 16:
        raise ValueError(f"input_height must be a multiple of 16, got {input_height}")
    encoder = RepViTNet(stem_ch, blocks)
    head = CTCNeckHead(
        encoder.out_channels,
        num_classes,
        dims=head_dims,
        depth=head_depth,
        hidden_dims=head_dims,
        num_heads=head_heads,
        use_guide=use_guide,
    )
    return RecModel(encoder, head, input_height)


@register_model("repsvtr", "rec", num_classes=6625, input_height=48, use_guide=False)
def repsvtr(num_classes: int, input_height: int = 48, use_guide: bool = False) -> RecModel:
    """Mobile recognizer: RepSVTR encoder + CTC head (svtr neck). (1,3,48,320) -> (1,40,C).

    ``input_height`` only records the training/inference height (the neck averages over H, so
    any multiple of 16 works). ``use_guide`` detaches the encoder from the CTC loss (reference
    fine-tuning mode, §9.3 #3); keep it False when training from scratch.
    """
    return _create_repsvtr(96, REPSVTR_BLOCKS, num_classes, input_height, use_guide, 256, 2, 8)


@register_model("repsvtr_tiny", "rec", num_classes=96, input_height=32, use_guide=False)
def repsvtr_tiny(num_classes: int, input_height: int = 32, use_guide: bool = False) -> RecModel:
    """A tiny RepSVTR for tests (same structure, few channels)."""
    return _create_repsvtr(16, REPSVTR_TINY_BLOCKS, num_classes, input_height, use_guide, 32, 1, 2)
