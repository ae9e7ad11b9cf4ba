"""Shared building blocks: fusable Conv-BN units, RepViT blocks, SE gates, transformer parts.

Every block that can be re-parameterised has a ``fuse()`` method returning its deploy-time
replacement (see :func:`openocr.models.reparam.reparameterize`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``v`` to a multiple of ``divisor`` (never below ``min_value`` or by more than 10%)."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _fold_bn(
    weight: torch.Tensor, bias: torch.Tensor, bn: nn.BatchNorm2d
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fold BatchNorm (running statistics) into a preceding conv's weight and bias."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    w = weight * scale.reshape(-1, *([1] * (weight.dim() - 1)))
    b = bn.bias + (bias - bn.running_mean) * scale
    return w, b


def _conv_like(conv: nn.Conv2d, weight: torch.Tensor, bias: torch.Tensor) -> nn.Conv2d:
    fused = nn.Conv2d(
        conv.in_channels,
        conv.out_channels,
        conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        groups=conv.groups,
        bias=True,
    ).to(weight.device, weight.dtype)
    fused.weight.data.copy_(weight)
    fused.bias.data.copy_(bias)
    return fused


class ConvBN(nn.Sequential):
    """Bias-free conv followed by BatchNorm2d; ``fuse()`` folds it into one conv with bias."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int | tuple[int, int] = 1,
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        groups: int = 1,
        bn_weight_init: float = 1.0,
    ) -> None:
        super().__init__()
        self.add_module(
            "c", nn.Conv2d(in_ch, out_ch, kernel_size, stride, padding, groups=groups, bias=False)
        )
        self.add_module("bn", nn.BatchNorm2d(out_ch))
        nn.init.constant_(self.bn.weight, bn_weight_init)
        nn.init.constant_(self.bn.bias, 0.0)

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        zero = torch.zeros(self.c.out_channels, device=self.c.weight.device)
        return _conv_like(self.c, *_fold_bn(self.c.weight, zero, self.bn))


class Residual(nn.Module):
    """``x + m(x)``; fusion recurses into ``m`` (it keeps the residual)."""

    def __init__(self, m: nn.Module) -> None:
        super().__init__()
        self.m = m

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.m(x)


class RepVGGDW(nn.Module):
    """Depthwise RepVGG unit: ``BN(dwconvbn3x3(x) + dwconv1x1(x) + x)``; fuses to one 3x3 dw conv."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv = ConvBN(ch, ch, 3, 1, 1, groups=ch)
        self.conv1 = nn.Conv2d(ch, ch, 1, 1, 0, groups=ch, bias=True)
        self.bn = nn.BatchNorm2d(ch)
        self.dim = ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x) + self.conv1(x) + x)

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        conv = self.conv.fuse()
        w1 = F.pad(self.conv1.weight, [1, 1, 1, 1])
        identity = F.pad(torch.ones_like(self.conv1.weight), [1, 1, 1, 1])
        w = conv.weight + w1 + identity
        b = conv.bias + self.conv1.bias
        return _conv_like(conv, *_fold_bn(w, b, self.bn))


class SqueezeExcite(nn.Module):
    """SE gate: avg-pool, 1x1 conv + ReLU, 1x1 conv, gate (sigmoid or hard-sigmoid), multiply."""

    def __init__(self, ch: int, rd_ch: int, gate: str = "sigmoid") -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(ch, rd_ch, 1, bias=True)
        self.fc2 = nn.Conv2d(rd_ch, ch, 1, bias=True)
        self.gate = nn.Sigmoid() if gate == "sigmoid" else nn.Hardsigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)
        s = self.fc2(F.relu(self.fc1(s)))
        return x * self.gate(s)


class RepViTBlock(nn.Module):
    """RepViT block (§1.2.1): token mixer then residual channel mixer (expansion 2, GELU)."""

    def __init__(
        self, in_ch: int, out_ch: int, stride: int | tuple[int, int] = 1, use_se: bool = False
    ) -> None:
        super().__init__()
        stride = (stride, stride) if isinstance(stride, int) else tuple(stride)
        self.downsample = stride != (1, 1)
        if not self.downsample and in_ch != out_ch:
            raise ValueError("a stride-1 RepViT block needs in_ch == out_ch")
        se = SqueezeExcite(in_ch, make_divisible(in_ch / 4, 8)) if use_se else nn.Identity()
        if self.downsample:
            self.token_mixer = nn.Sequential(
                ConvBN(in_ch, in_ch, 3, stride, 1, groups=in_ch), se, ConvBN(in_ch, out_ch, 1)
            )
        else:
            self.token_mixer = nn.Sequential(RepVGGDW(in_ch), se)
        hidden = 2 * out_ch
        self.channel_mixer = Residual(
            nn.Sequential(
                ConvBN(out_ch, hidden, 1), nn.GELU(), ConvBN(hidden, out_ch, 1, bn_weight_init=0.0)
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.channel_mixer(self.token_mixer(x))


class RepStem(nn.Sequential):
    """Patch embed: Conv-BN(3->C/2, s2) -> GELU -> Conv-BN(C/2->C, s2)."""

    def __init__(self, out_ch: int, in_ch: int = 3) -> None:
        super().__init__(
            ConvBN(in_ch, out_ch // 2, 3, 2, 1), nn.GELU(), ConvBN(out_ch // 2, out_ch, 3, 2, 1)
        )


class ConvBNAct(nn.Module):
    """Conv (no bias) + BN + activation; not fused by ``reparameterize`` (heads and necks)."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        act: type[nn.Module] = nn.SiLU,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel_size, 1, padding, bias=False)
        self.norm = nn.BatchNorm2d(out_ch)
        self.act = act()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


class Mlp(nn.Module):
    def __init__(
        self, dim: int, hidden: int, act: type[nn.Module] = nn.GELU, drop: float = 0.0
    ) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = act()
        self.fc2 = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class Attention(nn.Module):
    """Multi-head self-attention over tokens [B, N, C] (scale head_dim^-0.5)."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        qkv_bias: bool = True,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
    ) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim**-0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = self.attn_drop(attn.softmax(dim=-1))
        x = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj_drop(self.proj(x))


class DropPath(nn.Module):
    """Stochastic depth per sample (identity at eval or p = 0)."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.p == 0.0 or not self.training:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * mask / keep


class PreNormBlock(nn.Module):
    """Pre-norm transformer block: ``x + attn(LN(x))`` then ``x + mlp(LN(x))``."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        act: type[nn.Module] = nn.GELU,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        eps: float = 1e-5,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, num_heads, qkv_bias, attn_drop, drop)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act, drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def init_vit_weights(m: nn.Module) -> None:
    """Init used by SVTRv2 and the heads: trunc-normal linear, kaiming conv, unit norms."""
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, (nn.LayerNorm, nn.BatchNorm2d)):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
