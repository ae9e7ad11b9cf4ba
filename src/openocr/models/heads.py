"""Recognition heads (CTC with SVTR neck, RCTC/FRM) and the encoder+head recognizer wrapper."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .layers import ConvBNAct, PreNormBlock, init_vit_weights


class CTCNeckHead(nn.Module):
    """CTC head with the "svtr_encoder" neck (§1.4): pool over H, conv + 2 pre-norm transformer
    blocks + conv shortcut fusion, then a linear classifier. Output [B, W_feat//2, num_classes].

    ``use_guide=True`` detaches the encoder output (the reference's fine-tuning setting): CTC then
    trains nothing below the neck. The default is False so training from scratch works.
    """

    def __init__(
        self,
        in_ch: int,
        num_classes: int,
        dims: int = 256,
        depth: int = 2,
        hidden_dims: int = 256,
        kernel_size: tuple[int, int] = (1, 3),
        num_heads: int = 8,
        mlp_ratio: float = 2.0,
        drop: float = 0.1,
        attn_drop: float = 0.1,
        use_pool: bool = True,
        use_guide: bool = False,
    ) -> None:
        super().__init__()
        self.use_pool = use_pool
        self.use_guide = use_guide
        pad = (kernel_size[0] // 2, kernel_size[1] // 2)
        mid = in_ch // 8
        self.conv1 = ConvBNAct(in_ch, mid, kernel_size, pad)
        self.conv2 = ConvBNAct(mid, hidden_dims, 1)
        self.blocks = nn.ModuleList(
            PreNormBlock(
                hidden_dims, num_heads, mlp_ratio, True, nn.SiLU, drop, attn_drop, eps=1e-5
            )
            for _ in range(depth)
        )
        self.norm = nn.LayerNorm(hidden_dims, eps=1e-6)
        self.conv3 = ConvBNAct(hidden_dims, in_ch, 1)
        self.conv4 = ConvBNAct(2 * in_ch, mid, kernel_size, pad)
        self.conv1x1 = ConvBNAct(mid, dims, 1)
        self.fc = nn.Linear(dims, num_classes)
        self.apply(init_vit_weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_pool:
            x = F.avg_pool2d(x.mean(2, keepdim=True), (1, 2), (1, 2))
        if self.use_guide:
            x = x.detach()
        h = x
        z = self.conv2(self.conv1(x))
        b, c, hh, ww = z.shape
        z = z.flatten(2).transpose(1, 2)
        for blk in self.blocks:
            z = blk(z)
        z = self.norm(z).transpose(1, 2).reshape(b, c, hh, ww)
        z = torch.cat([h, self.conv3(z)], dim=1)
        z = self.conv1x1(self.conv4(z))
        return self.fc(z.flatten(2).transpose(1, 2))


class FRMHead(nn.Module):
    """RCTC head = Feature Rearrangement Module (§1.5): a row-wise pre-norm transformer block,
    then a learned selecting token pools each column over H (softmax over H), then a linear."""

    def __init__(self, in_ch: int, num_classes: int) -> None:
        super().__init__()
        self.block = PreNormBlock(in_ch, max(1, in_ch // 32), 4.0, qkv_bias=False, eps=1e-5)
        self.kv = nn.Linear(in_ch, 2 * in_ch)
        self.select = nn.Parameter(torch.zeros(1, 1, 1, in_ch))
        self.fc = nn.Linear(in_ch, num_classes)
        self.apply(init_vit_weights)
        nn.init.trunc_normal_(self.select, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        rows = self.block(x.permute(0, 2, 3, 1).reshape(b * h, w, c)).reshape(b, h, w, c)
        k, v = self.kv(rows).chunk(2, dim=-1)
        attn = (k * self.select).sum(-1, keepdim=True).softmax(dim=1)  # [B, H, W, 1], over H
        return self.fc((attn * v).sum(1))


class RecModel(nn.Module):
    """Encoder + head. ``forward(x)`` -> logits [B, T, C] in train mode, softmax probs in eval."""

    def __init__(self, encoder: nn.Module, head: nn.Module, input_height: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head
        self.input_height = input_height

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.head(self.encoder(x))
        return logits if self.training else logits.softmax(dim=-1)
