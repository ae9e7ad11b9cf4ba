"""Losses: CTC for recognition, DB (dice + masked L1 + dice) for detection."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class CTCLoss(nn.Module):
    """CTC with blank 0 and zero_infinity; mean over the batch (not divided by target length)."""

    def __init__(self) -> None:
        super().__init__()
        self.ctc = nn.CTCLoss(blank=0, reduction="none", zero_infinity=True)

    def forward(self, logits: torch.Tensor, batch: dict) -> dict[str, torch.Tensor]:
        log_probs = F.log_softmax(logits.float(), dim=-1).transpose(0, 1)  # (T, B, C)
        t, b = log_probs.shape[:2]
        input_lengths = torch.full((b,), t, dtype=torch.long)
        loss = self.ctc(log_probs, batch["targets"], input_lengths, batch["lengths"]).mean()
        return {"loss": loss}


def dice_loss(
    pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor, eps: float = 1e-6
) -> torch.Tensor:
    inter = (pred * gt * mask).sum()
    union = (pred * mask).sum() + (gt * mask).sum() + eps
    return 1 - 2.0 * inter / union


class DBLoss(nn.Module):
    """alpha * dice(shrink) + beta * masked L1(threshold) + dice(binary); alpha 5, beta 10."""

    def __init__(self, alpha: float = 5.0, beta: float = 10.0, eps: float = 1e-6) -> None:
        super().__init__()
        self.alpha, self.beta, self.eps = alpha, beta, eps

    def forward(self, maps: torch.Tensor, batch: dict) -> dict[str, torch.Tensor]:
        maps = maps.float()
        prob, thresh, binary = maps[:, 0], maps[:, 1], maps[:, 2]
        gt, mask = batch["shrink_map"], batch["shrink_mask"]
        t_gt, t_mask = batch["threshold_map"], batch["threshold_mask"]
        l_shrink = dice_loss(prob, gt, mask, self.eps)
        l_thresh = (torch.abs(thresh - t_gt) * t_mask).sum() / (t_mask.sum() + self.eps)
        l_binary = dice_loss(binary, gt, mask, self.eps)
        loss = self.alpha * l_shrink + self.beta * l_thresh + l_binary
        return {
            "loss": loss,
            "loss_shrink_maps": l_shrink,
            "loss_threshold_maps": l_thresh,
            "loss_binary_maps": l_binary,
        }
