"""DB text detector (§2): RepSVTR_det backbone -> RSEFPN -> DBHead(k=50).

Eval ``forward(x)`` -> shrink probability map [B,1,H,W]; train -> [B,3,H,W] = (P, T, B-hat).
Input H and W must be multiples of 32.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .layers import SqueezeExcite
from .registry import register_model
from .repsvtr import BlockCfg, RepViTNet

# §2.1: stem 48, stride-2 downsampling; taps at blocks 2, 5, 10, 13 (index 0 = stem).
REPVIT_DET_BLOCKS: list[BlockCfg] = [
    (48, 1, True), (48, 1, False),
    (96, 2, False), (96, 1, True), (96, 1, False),
    (192, 2, False), (192, 1, True), (192, 1, False), (192, 1, True), (192, 1, False),
    (384, 2, False), (384, 1, True), (384, 1, False),
]  # fmt: skip
REPVIT_DET_OUT = [2, 5, 10, 13]
TINY_DET_BLOCKS: list[BlockCfg] = [
    (16, 1, True), (24, 2, False), (32, 2, False), (32, 1, True), (48, 2, False)
]  # fmt: skip
TINY_DET_OUT = [1, 2, 4, 5]


class RSELayer(nn.Module):
    """Conv (no bias) then SE with a hard-sigmoid gate; ``y + SE(y)`` with ``shortcut``."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, shortcut: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel_size, padding=kernel_size // 2, bias=False)
        self.se = SqueezeExcite(out_ch, out_ch // 4, gate="hardsigmoid")
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return y + self.se(y) if self.shortcut else self.se(y)


class RSEFPN(nn.Module):
    """FPN with RSE laterals/outputs; returns ``out_ch`` channels at stride 4."""

    def __init__(self, in_channels: list[int], out_ch: int = 96, shortcut: bool = True) -> None:
        super().__init__()
        self.ins = nn.ModuleList(RSELayer(c, out_ch, 1, shortcut) for c in in_channels)
        self.inp = nn.ModuleList(RSELayer(out_ch, out_ch // 4, 3, shortcut) for _ in in_channels)

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        c2, c3, c4, c5 = feats
        in5, in4, in3, in2 = (m(c) for m, c in zip(self.ins[::-1], (c5, c4, c3, c2), strict=True))
        out4 = in4 + F.interpolate(in5, scale_factor=2.0, mode="nearest")
        out3 = in3 + F.interpolate(out4, scale_factor=2.0, mode="nearest")
        out2 = in2 + F.interpolate(out3, scale_factor=2.0, mode="nearest")
        p5 = F.interpolate(self.inp[3](in5), scale_factor=8.0, mode="nearest")
        p4 = F.interpolate(self.inp[2](out4), scale_factor=4.0, mode="nearest")
        p3 = F.interpolate(self.inp[1](out3), scale_factor=2.0, mode="nearest")
        p2 = self.inp[0](out2)
        return torch.cat([p5, p4, p3, p2], dim=1)


class DBBranch(nn.Sequential):
    """3x3 conv-BN-ReLU, 2x (ConvTranspose 2x2 s2), sigmoid: stride 4 -> full resolution."""

    def __init__(self, in_ch: int) -> None:
        mid = in_ch // 4
        super().__init__(
            nn.Conv2d(in_ch, mid, 3, padding=1, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(mid, mid, 2, 2),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(mid, 1, 2, 2),
            nn.Sigmoid(),
        )


class DBHead(nn.Module):
    """Binarize (shrink) and threshold branches; approximate binary map 1/(1+exp(-k(P-T)))."""

    def __init__(self, in_ch: int, k: float = 50.0) -> None:
        super().__init__()
        self.k = k
        self.binarize = DBBranch(in_ch)
        self.thresh = DBBranch(in_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        prob = self.binarize(x)
        if not self.training:
            return prob
        thresh = self.thresh(x)
        binary = torch.sigmoid(self.k * (prob - thresh))
        return torch.cat([prob, thresh, binary], dim=1)


class DBNet(nn.Module):
    def __init__(self, backbone: RepViTNet, neck_ch: int = 96, k: float = 50.0) -> None:
        super().__init__()
        self.backbone = backbone
        self.neck = RSEFPN(backbone.out_channels, neck_ch)
        self.head = DBHead(neck_ch, k)
        for m in self.neck.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        for m in self.head.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.constant_(m.bias, 1e-4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.neck(self.backbone(x)))


@register_model("repvit_db", "det", neck_channels=96, k=50.0)
def repvit_db(neck_channels: int = 96, k: float = 50.0) -> DBNet:
    """DB_mobile detector: RepSVTR_det backbone + RSEFPN(96) + DBHead(k=50)."""
    return DBNet(RepViTNet(48, REPVIT_DET_BLOCKS, REPVIT_DET_OUT), neck_channels, k)


@register_model("repvit_db_tiny", "det", neck_channels=16, k=50.0)
def repvit_db_tiny(neck_channels: int = 16, k: float = 50.0) -> DBNet:
    """A tiny DB detector for tests (same structure, few channels)."""
    return DBNet(RepViTNet(16, TINY_DET_BLOCKS, TINY_DET_OUT), neck_channels, k)
