"""SVTRv2 server recognizer encoder (§1.3) with the CTC-neck head (Chinese) or the FRM/RCTC head
(English T/S/B)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .heads import CTCNeckHead, FRMHead, RecModel
from .layers import Attention, DropPath, Mlp, init_vit_weights
from .registry import register_model

MIXERS = ("Conv", "FGlobal", "Global")


class POPE(nn.Sequential):
    """Patch embedding: two (3x3 s2 conv -> BN -> GELU) units, 3 -> d/2 -> d (stride 4)."""

    def __init__(self, dim: int, bias: bool) -> None:
        super().__init__(
            nn.Conv2d(3, dim // 2, 3, 2, 1, bias=bias),
            nn.BatchNorm2d(dim // 2),
            nn.GELU(),
            nn.Conv2d(dim // 2, dim, 3, 2, 1, bias=bias),
            nn.BatchNorm2d(dim),
            nn.GELU(),
        )


class ConvBlock(nn.Module):
    """Local mixing on maps: ``x + convs(x)``, LN, ``LN(x + MLP(x))`` (post-norm)."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        kernel_size: int,
        num_conv: int,
        mlp_ratio: float,
        drop_path: float,
    ) -> None:
        super().__init__()
        k = kernel_size
        self.mixer = nn.Sequential(
            *[nn.Conv2d(dim, dim, k, 1, k // 2, groups=num_heads) for _ in range(num_conv)]
        )
        self.drop_path = DropPath(drop_path)
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.mixer(x))
        b, c, h, w = x.shape
        t = self.norm1(x.flatten(2).transpose(1, 2))
        t = self.norm2(t + self.drop_path(self.mlp(t)))
        return t.transpose(1, 2).reshape(b, c, h, w)


class GlobalBlock(nn.Module):
    """Post-norm transformer block on tokens: ``LN(x + MHSA(x))``, ``LN(x + MLP(x))``."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float, drop_path: float) -> None:
        super().__init__()
        self.attn = Attention(dim, num_heads, qkv_bias=True)
        self.drop_path = DropPath(drop_path)
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x + self.drop_path(self.attn(x)))
        return self.norm2(x + self.drop_path(self.mlp(x)))


class SubSample(nn.Module):
    """3x3 conv (stride ``sub_k``) + LayerNorm over channels. Map in -> map out; tokens in ->
    tokens out (the tracked H, W come with them)."""

    def __init__(self, in_dim: int, out_dim: int, stride: tuple[int, int]) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_dim, out_dim, 3, stride, 1)
        self.norm = nn.LayerNorm(out_dim, eps=1e-5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


@dataclass(frozen=True)
class SVTRv2Cfg:
    dims: tuple[int, int, int]
    depths: tuple[int, int, int]
    heads: tuple[int, int, int]
    mixers: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    sub_k: tuple[tuple[int, int], tuple[int, int]]
    kernel_size: int
    num_conv: int
    pope_bias: bool
    input_height: int


class SVTRv2Encoder(nn.Module):
    """SVTRv2 encoder: POPE, 3 stages of Conv/Global mixers, downsampling between stages, and
    Feat2D at the end. Output [B, dims[-1], H/(4*sH1*sH2), W/(4*sW1*sW2)]."""

    def __init__(self, cfg: SVTRv2Cfg, mlp_ratio: float = 4.0, drop_path_rate: float = 0.1) -> None:
        super().__init__()
        for depth, mix in zip(cfg.depths, cfg.mixers, strict=True):
            if len(mix) != depth or any(m not in MIXERS for m in mix):
                raise ValueError(f"SVTRv2 stage mixers {mix} do not match depth {depth} / {MIXERS}")
        self.pope = POPE(cfg.dims[0], cfg.pope_bias)
        n_blocks = sum(cfg.depths)
        dpr = [drop_path_rate * i / max(1, n_blocks - 1) for i in range(n_blocks)]
        self.stages = nn.ModuleList()
        self.subsamples = nn.ModuleList()
        i = 0
        for s, (dim, heads, mix) in enumerate(zip(cfg.dims, cfg.heads, cfg.mixers, strict=True)):
            blocks = nn.ModuleList()
            for m in mix:
                if m == "Conv":
                    blocks.append(
                        ConvBlock(dim, heads, cfg.kernel_size, cfg.num_conv, mlp_ratio, dpr[i])
                    )
                else:
                    blocks.append(GlobalBlock(dim, heads, mlp_ratio, dpr[i]))
                i += 1
            self.stages.append(blocks)
            if s < 2:
                self.subsamples.append(SubSample(dim, cfg.dims[s + 1], tuple(cfg.sub_k[s])))
        self.out_channels = cfg.dims[-1]
        self.apply(init_vit_weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pope(x)  # always a map here; converted to tokens before Global blocks
        b, _, h, w = x.shape
        for s, blocks in enumerate(self.stages):
            for blk in blocks:
                if isinstance(blk, ConvBlock):
                    if x.dim() == 3:
                        raise ValueError("a Conv mixer cannot follow a Global mixer in a stage")
                    x = blk(x)
                else:
                    if x.dim() == 4:
                        b, _, h, w = x.shape
                        x = x.flatten(2).transpose(1, 2)
                    x = blk(x)
            if s < 2:
                if x.dim() == 3:
                    x = x.transpose(1, 2).reshape(b, -1, h, w)
                    x = self.subsamples[s](x)
                    b, _, h, w = x.shape
                    x = x.flatten(2).transpose(1, 2)
                else:
                    x = self.subsamples[s](x)
        if x.dim() == 3:  # Feat2D
            x = x.transpose(1, 2).reshape(b, -1, h, w)
        return x


_CONV, _GLOBAL = "Conv", "Global"


def _english(dims, depths, heads, n_conv2: int) -> SVTRv2Cfg:
    """English (Union14M) config: stage 2 = n_conv2 Conv, then FGlobal + Global for the rest.
    The reference's ``local_k`` is ignored there, so kernels are 3x3 with 2 convs (§9.3 #10)."""
    mix2 = (_CONV,) * n_conv2 + ("FGlobal",) + (_GLOBAL,) * (depths[1] - n_conv2 - 1)
    mixers = ((_CONV,) * depths[0], mix2, (_GLOBAL,) * depths[2])
    return SVTRv2Cfg(dims, depths, heads, mixers, ((1, 1), (2, 1)), 3, 2, False, 32)


CFGS: dict[str, SVTRv2Cfg] = {
    # §1.3.2, Chinese server model (48 x W input; stride 16 over H, 4 over W).
    "ch": SVTRv2Cfg(
        dims=(128, 256, 384),
        depths=(6, 6, 6),
        heads=(4, 8, 12),
        mixers=((_CONV,) * 6, (_CONV, _CONV, "FGlobal", _GLOBAL, _GLOBAL, _GLOBAL), (_GLOBAL,) * 6),
        sub_k=((2, 1), (2, 1)),
        kernel_size=5,
        num_conv=1,
        pope_bias=True,
        input_height=48,
    ),
    # §1.3.3, English variants (32 x 128; 3x3 kernels with 2 convs; stride 8 over H).
    "tiny": _english((64, 128, 256), (3, 6, 3), (2, 4, 8), n_conv2=3),
    "small": _english((96, 192, 384), (3, 6, 3), (3, 6, 12), n_conv2=3),
    "base": _english((128, 256, 384), (6, 6, 6), (4, 8, 12), n_conv2=2),
    # Tests only: 2 tiny stages' worth of each mixer kind.
    "test": SVTRv2Cfg(
        dims=(16, 32, 32),
        depths=(1, 2, 1),
        heads=(1, 1, 1),
        mixers=((_CONV,), (_CONV, "FGlobal"), (_GLOBAL,)),
        sub_k=((2, 1), (1, 1)),
        kernel_size=3,
        num_conv=2,
        pope_bias=False,
        input_height=32,
    ),
}


def _create_svtrv2(
    cfg_name: str,
    num_classes: int,
    head: str,
    input_height: int | None = None,
    use_guide: bool = False,
    drop_path_rate: float = 0.1,
) -> RecModel:
    cfg = CFGS[cfg_name]
    encoder = SVTRv2Encoder(cfg, drop_path_rate=drop_path_rate)
    if head == "ctc":
        small = cfg.dims[-1] < 128
        dec: nn.Module = CTCNeckHead(
            encoder.out_channels,
            num_classes,
            dims=32 if small else 256,
            depth=1 if small else 2,
            hidden_dims=32 if small else 256,
            num_heads=2 if small else 8,
            use_guide=use_guide,
        )
    elif head == "rctc":
        dec = FRMHead(encoder.out_channels, num_classes)
    else:
        raise ValueError(f"unknown SVTRv2 head {head!r}; use 'ctc' or 'rctc'")
    return RecModel(encoder, dec, input_height or cfg.input_height)


@register_model("svtrv2", "rec", num_classes=6625, head="ctc", input_height=48, use_guide=False)
def svtrv2(
    num_classes: int, head: str = "ctc", input_height: int = 48, use_guide: bool = False
) -> RecModel:
    """Server recognizer (Chinese config) + CTC-neck head. (1,3,48,320) -> (1,40,C)."""
    return _create_svtrv2("ch", num_classes, head, input_height, use_guide)


@register_model("svtrv2_tiny_rctc", "rec", num_classes=95, head="rctc", input_height=32)
def svtrv2_tiny_rctc(num_classes: int, head: str = "rctc", input_height: int = 32) -> RecModel:
    """SVTRv2-T with the FRM (RCTC) head; (1,3,32,128) -> (1,32,C)."""
    return _create_svtrv2("tiny", num_classes, head, input_height)


@register_model("svtrv2_small_rctc", "rec", num_classes=95, head="rctc", input_height=32)
def svtrv2_small_rctc(num_classes: int, head: str = "rctc", input_height: int = 32) -> RecModel:
    """SVTRv2-S with the FRM (RCTC) head; (1,3,32,128) -> (1,32,C)."""
    return _create_svtrv2("small", num_classes, head, input_height)


@register_model("svtrv2_base_rctc", "rec", num_classes=95, head="rctc", input_height=32)
def svtrv2_base_rctc(num_classes: int, head: str = "rctc", input_height: int = 32) -> RecModel:
    """SVTRv2-B with the FRM (RCTC) head; (1,3,32,128) -> (1,32,C)."""
    return _create_svtrv2("base", num_classes, head, input_height)


@register_model("svtrv2_test", "rec", num_classes=96, head="rctc", input_height=32)
def svtrv2_test(num_classes: int, head: str = "rctc", input_height: int = 32) -> RecModel:
    """A tiny SVTRv2 (all mixer kinds, either head) for tests."""
    return _create_svtrv2("test", num_classes, head, input_height)
