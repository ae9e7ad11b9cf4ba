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


def balanced_bce(
    pred: torch.Tensor,
    gt: torch.Tensor,
    mask: torch.Tensor,
    ohem_ratio: float = 3.0,
    eps: float = 1e-6,
) -> torch.Tensor:
    """BCE over all positives and the hardest ``ohem_ratio`` x as many negatives (OHEM)."""
    pos = (gt * mask).bool()
    neg = ((1 - gt) * mask).bool()
    n_pos = int(pos.sum())
    n_neg = min(int(neg.sum()), int(n_pos * ohem_ratio)) if n_pos else min(int(neg.sum()), 100)
    with torch.autocast(pred.device.type, enabled=False):  # BCE is autocast-unsafe on CUDA
        loss = F.binary_cross_entropy(
            pred.float().clamp(eps, 1 - eps), gt.float(), reduction="none"
        )
    neg_loss = torch.topk(loss[neg], n_neg).values if n_neg else loss.new_zeros(0)
    return (loss[pos].sum() + neg_loss.sum()) / (n_pos + n_neg + eps)


class DBLoss(nn.Module):
    """alpha * L(shrink) + beta * masked L1(threshold) + dice(binary); alpha 5, beta 10.

    ``main_loss='dice'`` is what the reference effectively trains with (its OHEM wrapper around a
    scalar dice reduces to plain dice); ``'bce'`` is balanced BCE with OHEM ratio 3.
    """

    def __init__(
        self,
        alpha: float = 5.0,
        beta: float = 10.0,
        main_loss: str = "dice",
        ohem_ratio: float = 3.0,
        eps: float = 1e-6,
    ) -> None:
        super().__init__()
        if main_loss not in ("dice", "bce"):
            raise ValueError(f"DBLoss main_loss must be 'dice' or 'bce', got {main_loss!r}")
        self.alpha, self.beta, self.main_loss, self.ohem_ratio, self.eps = (
            alpha,
            beta,
            main_loss,
            ohem_ratio,
            eps,
        )

    def forward(self, maps: torch.Tensor, batch: dict) -> dict[str, torch.Tensor]:
        maps = maps.float()
        prob, thresh, binary = maps[:, 0], maps[:, 1], maps[:, 2]
        gt, mask = batch["shrink_map"], batch["shrink_mask"]
        t_gt, t_mask = batch["threshold_map"], batch["threshold_mask"]
        if self.main_loss == "dice":
            l_shrink = dice_loss(prob, gt, mask, self.eps)
        else:
            l_shrink = balanced_bce(prob, gt, mask, self.ohem_ratio, self.eps)
        l_thresh = (torch.abs(thresh - t_gt) * t_mask).sum() / (t_mask.sum() + self.eps)
        l_binary = dice_loss(binary, gt, mask, self.eps)
        loss = self.alpha * l_shrink + self.beta * l_thresh + l_binary
        return {
            "loss": loss,
            "loss_shrink_maps": l_shrink,
            "loss_threshold_maps": l_thresh,
            "loss_binary_maps": l_binary,
        }
