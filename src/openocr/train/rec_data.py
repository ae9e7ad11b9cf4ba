"""Recognition training data: augmentation, fixed-size resize, CTC label encoding, batching."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch

from ..charset import Charset
from ..errors import ConfigError
from ..preprocess.rec import rec_resize


def resize_norm_pad(img: np.ndarray, height: int, width: int, pad: bool = True) -> np.ndarray:
    """The inference resize (:func:`openocr.preprocess.rec.rec_resize`), squeezed to ``width``
    when longer, zero-padded on the right: float32 [3, height, width] (``pad=False``: the
    unpadded [3, height, <=width])."""
    x = rec_resize(img, height)
    if x.shape[2] > width:
        x = rec_resize(cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA), height)
    if not pad:
        return x
    out = np.zeros((3, height, width), np.float32)
    out[:, :, : x.shape[2]] = x
    return out


def msr_size(ratio: float, base_h: int = 32, max_ratio: int = 8) -> tuple[int, int]:
    """Multi-size resizing (SVTRv2 MSR): (W, H) of the aspect-ratio bucket, scaled to ``base_h``.

    r = round(w / h) clipped to [1, max_ratio]: 1 -> 64x64, 2 -> 96x48, 3 -> 112x40, 4 -> 128x32,
    r > 4 -> (32 r)x32 at base height 32. Images are stretched to the bucket size (no padding).
    """
    r = int(min(max(np.round(ratio), 1), max_ratio))
    table = {1: (64, 64), 2: (96, 48), 3: (112, 40), 4: (128, 32)}
    w, h = table.get(r, (32 * r, 32))
    s = base_h / 32
    return int(round(w * s / 8) * 8), int(round(h * s / 8) * 8)


class RecAugment:
    """Light photometric/geometric augmentation for real crops (synthetic lines carry their own).

    Each op fires with probability ``p``: small rotation, perspective jitter, blur, noise,
    colour jitter, inversion, JPEG-like downscale.
    """

    def __init__(self, p: float = 0.3, max_rotate: float = 5.0):
        self.p = p
        self.max_rotate = max_rotate

    def __call__(self, img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        h, w = img.shape[:2]
        if rng.random() < self.p:  # rotation with canvas kept, replicate border
            ang = rng.uniform(-self.max_rotate, self.max_rotate)
            m = cv2.getRotationMatrix2D((w / 2, h / 2), ang, 1.0)
            img = cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
        if rng.random() < self.p:  # perspective jitter of the corners
            d = 0.08 * h
            src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
            dst = src + rng.uniform(-d, d, (4, 2)).astype(np.float32)
            m = cv2.getPerspectiveTransform(src, dst)
            img = cv2.warpPerspective(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
        if rng.random() < self.p:
            k = int(rng.choice([3, 5]))
            img = cv2.GaussianBlur(img, (k, k), 0)
        if rng.random() < self.p:
            f = rng.uniform(0.3, 0.7)
            small = cv2.resize(
                img, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA
            )
            img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        if rng.random() < self.p:
            img = img.astype(np.float32)
            img = img * rng.uniform(0.6, 1.4) + rng.uniform(-40, 40)
            img = np.clip(img + rng.normal(0, rng.uniform(0, 12), img.shape), 0, 255).astype(
                np.uint8
            )
        if rng.random() < self.p * 0.3:
            img = 255 - img
        return img


class RecBatcher:
    """Turns raw (image, text) samples into model-ready tensors.

    Labels are normalized onto the charset; samples whose label is empty or longer than
    ``max_len`` (or longer than the model's time steps allow) are rejected (None).

    ``pad="fixed"`` pads every image to ``width``; ``pad="batch"`` pads a batch only to its widest
    member (rounded up to 32, and wide enough for CTC to align every label), which saves compute
    on short words when batches hold similar widths (``Train.loader.sort_group``).
    """

    def __init__(
        self,
        charset: Charset,
        height: int = 48,
        width: int = 320,
        max_len: int = 25,
        augment: dict[str, Any] | None = None,
        msr: bool = False,
        max_ratio: int = 8,
        pad: str = "fixed",
    ):
        if pad not in ("fixed", "batch"):
            raise ConfigError(f"Train.transforms.pad must be 'fixed' or 'batch', got {pad!r}")
        self.charset = charset
        self.height = height
        self.width = width
        self.max_len = max_len
        self.augment = RecAugment(**augment) if augment else None
        self.msr = msr
        self.max_ratio = max_ratio
        self.pad = pad

    def prepare(
        self, img: np.ndarray, text: str, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, list[int], str] | None:
        label = self.charset.normalize(text)
        ids = self.charset.encode(label)
        if not ids or len(ids) > self.max_len:
            return None
        if self.augment is not None and rng is not None:
            img = self.augment(img, rng)
        if self.msr:
            w, h = msr_size(img.shape[1] / max(img.shape[0], 1), self.height, self.max_ratio)
            x = cv2.resize(img, (w, h), interpolation=cv2.INTER_CUBIC)
            return x.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0, ids, label
        if self.pad == "batch":
            return resize_norm_pad(img, self.height, self.width, pad=False), ids, label
        return resize_norm_pad(img, self.height, self.width), ids, label

    @staticmethod
    def sort_key(item: tuple[np.ndarray, list[int], str]) -> int:
        """Width of a prepared sample (for grouping similar widths into one batch)."""
        return int(item[0].shape[-1])

    def collate(self, items: list[tuple[np.ndarray, list[int], str]]) -> dict[str, Any]:
        if self.msr:  # one sub-batch per aspect-ratio bucket (the images of a bucket share a size)
            buckets: dict[tuple[int, ...], list[tuple[np.ndarray, list[int], str]]] = {}
            for it in items:
                buckets.setdefault(it[0].shape, []).append(it)
            groups = [self._stack(b) for _, b in sorted(buckets.items())]
            return {
                "groups": groups,
                "texts": [t for g in groups for t in g["texts"]],
                "size": len(items),
            }
        return self._stack(items)

    def _stack(self, items: list[tuple[np.ndarray, list[int], str]]) -> dict[str, Any]:
        if self.pad == "batch":
            # CTC needs T >= len + adjacent repeats; T = width / 8 for our recognizers
            need = max(
                len(ids) + sum(a == b for a, b in zip(ids, ids[1:], strict=False))
                for _, ids, _ in items
            )
            w = max(max(it[0].shape[-1] for it in items), 8 * need)
            w = min(self.width, -(-w // 32) * 32)
            images = torch.zeros(len(items), 3, self.height, w)
            for i, it in enumerate(items):
                images[i, :, :, : it[0].shape[-1]] = torch.from_numpy(it[0][:, :, :w])
        else:
            images = torch.from_numpy(np.stack([it[0] for it in items]))
        lengths = torch.tensor([len(it[1]) for it in items], dtype=torch.long)
        targets = torch.tensor([i for it in items for i in it[1]], dtype=torch.long)
        return {
            "image": images,
            "targets": targets,
            "lengths": lengths,
            "texts": [it[2] for it in items],
            "size": len(items),
        }
