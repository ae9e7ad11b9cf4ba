"""Geometric and photometric effects on rendered text (numpy/OpenCV, RGB uint8)."""

from __future__ import annotations

import cv2
import numpy as np


def ink_bbox(mask: np.ndarray, thresh: int = 0) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) exclusive bounds of pixels > thresh, or None."""
    rows = np.flatnonzero((mask > thresh).any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero((mask[rows[0] : rows[-1] + 1] > thresh).any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def random_homography(
    rng: np.random.Generator, w: int, h: int, rot_deg: float, shear: float, persp: float
) -> np.ndarray:
    """A 3x3 matrix mapping the (w, h) patch to a rotated/sheared/perspective-warped one, with
    the result translated to positive coordinates (size via ``warp_size``)."""
    cx, cy = w / 2, h / 2
    a = np.deg2rad(rng.uniform(-rot_deg, rot_deg))
    sh = rng.uniform(-shear, shear)
    A = np.array([[1, sh, -sh * cy], [0, 1, 0], [0, 0, 1]], np.float64)
    R = np.array(
        [
            [np.cos(a), -np.sin(a), cx - cx * np.cos(a) + cy * np.sin(a)],
            [np.sin(a), np.cos(a), cy - cx * np.sin(a) - cy * np.cos(a)],
            [0, 0, 1],
        ],
        np.float64,
    )
    M = R @ A
    if persp > 0:
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        d = persp * min(w, h * 4)
        dst = src + rng.uniform(-d, d, (4, 2)).astype(np.float32) * np.float32([[1, 0.5]])
        M = cv2.getPerspectiveTransform(src, dst).astype(np.float64) @ M
    corners = cv2.perspectiveTransform(np.float32([[[0, 0], [w, 0], [w, h], [0, h]]]), M)[0]
    x0, y0 = corners.min(axis=0)
    T = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
    return T @ M


def warp_size(M: np.ndarray, w: int, h: int) -> tuple[int, int]:
    corners = cv2.perspectiveTransform(np.float32([[[0, 0], [w, 0], [w, h], [0, h]]]), M)[0]
    x1, y1 = corners.max(axis=0)
    return int(np.ceil(x1)) + 1, int(np.ceil(y1)) + 1


def curve(mask: np.ndarray, rng: np.random.Generator, amp: float) -> np.ndarray:
    """Bend a horizontal text mask along a sine/arc baseline of amplitude ``amp`` pixels."""
    h, w = mask.shape[:2]
    pad = int(np.ceil(abs(amp))) + 1
    m = cv2.copyMakeBorder(mask, pad, pad, 0, 0, cv2.BORDER_CONSTANT, value=0)
    xs = np.arange(w, dtype=np.float32)
    if rng.random() < 0.5:  # arc
        t = (xs / max(w - 1, 1)) * 2 - 1
        off = amp * (t * t - 0.5)
    else:
        off = amp * np.sin(xs / max(w, 1) * np.pi * rng.uniform(0.8, 2.2) + rng.uniform(0, np.pi))
    map_x = np.broadcast_to(xs[None, :], m.shape[:2]).astype(np.float32)
    map_y = (np.arange(m.shape[0], dtype=np.float32)[:, None] + off[None, :]).astype(np.float32)
    return cv2.remap(
        m, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )


def motion_blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    k = int(rng.integers(3, 8))
    kern = np.zeros((k, k), np.float32)
    kern[k // 2, :] = 1.0 / k
    ang = rng.uniform(0, 180)
    R = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), ang, 1.0)
    kern = cv2.warpAffine(kern, R, (k, k))
    kern /= max(float(kern.sum()), 1e-6)
    return cv2.filter2D(img, -1, kern)


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        return img
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)


def photometric(
    img: np.ndarray,
    rng: np.random.Generator,
    strength: float = 1.0,
    blur_scale: float | None = None,
) -> np.ndarray:
    """Blur, noise, brightness/contrast, shading gradient, JPEG; uint8 RGB in, uint8 RGB out.
    ``blur_scale`` multiplies the blur radius (default: image height / 48)."""
    h, w = img.shape[:2]
    out = img
    u = rng.random()
    if u < 0.25 * strength:
        s = rng.uniform(0.3, 1.2) * (max(1.0, min(h, w) / 48) if blur_scale is None else blur_scale)
        out = cv2.GaussianBlur(out, (0, 0), s)
    elif u < 0.33 * strength:
        out = motion_blur(out, rng)
    f = out.astype(np.float32)
    if rng.random() < 0.5 * strength:  # contrast / brightness
        c = rng.uniform(0.75, 1.2)
        b = rng.uniform(-30, 30)
        f = (f - 128) * c + 128 + b
    if rng.random() < 0.25 * strength:  # lighting gradient / shadow band
        ang = rng.uniform(0, np.pi)
        k = max(1, min(h, w) // 32)  # work at low resolution: the shading is smooth
        sh, sw = max(2, h // k), max(2, w // k)
        xs = np.linspace(-1, 1, sw, dtype=np.float32)
        ys = np.linspace(-1, 1, sh, dtype=np.float32)
        g = xs[None, :] * np.cos(ang) + ys[:, None] * np.sin(ang)
        if rng.random() < 0.5:
            g = (g > rng.uniform(-0.6, 0.6)).astype(np.float32)
            g = cv2.GaussianBlur(g, (0, 0), max(0.5, min(sh, sw) * rng.uniform(0.05, 0.3)))
        if k > 1:
            g = cv2.resize(g, (w, h), interpolation=cv2.INTER_LINEAR)
        f = f * (1 - rng.uniform(0.15, 0.5) * g[..., None].clip(0, 1))
    if rng.random() < 0.35 * strength:
        f = f + rng.normal(
            0, rng.uniform(2, 12), f.shape[:2] + (1 if rng.random() < 0.6 else 3,)
        ).astype(np.float32)
    out = np.clip(f, 0, 255).astype(np.uint8)
    if rng.random() < 0.05:
        out = np.ascontiguousarray(
            np.repeat(cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
        )
    if rng.random() < 0.35 * strength:
        out = jpeg(out, int(rng.integers(25, 95)))
    return out


def glyph_warp(mask: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """Vary glyph shapes within a design, so that a font family seen in training stands for
    its neighbours: a smooth random displacement field of a few per cent of the font size
    (strokes bend, lengthen and move against each other), then sometimes a heavier (or slightly
    lighter) stroke weight. ``mask``: white-on-black uint8 at render size ``size`` (px per em)."""
    h, w = mask.shape[:2]
    cell = max(4.0, size * rng.uniform(0.25, 0.5))  # displacement varies within a character
    gh, gw = int(np.ceil(h / cell)) + 2, int(np.ceil(w / cell)) + 2
    amp = size * rng.uniform(0.015, 0.045)
    dx = cv2.resize(rng.normal(0, amp, (gh, gw)).astype(np.float32), (w, h), cv2.INTER_CUBIC)
    dy = cv2.resize(rng.normal(0, amp, (gh, gw)).astype(np.float32), (w, h), cv2.INTER_CUBIC)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    out = cv2.remap(mask, xs + dx, ys + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    if rng.random() < 0.5:  # stroke weight: blur, then cut at another level
        soft = cv2.GaussianBlur(out, (0, 0), max(0.6, size / 30)).astype(np.float32) / 255.0
        level = rng.uniform(0.2, 0.5)  # under 0.5 thickens; thinning more erases hairlines
        out = (np.clip((soft - level) * 4.0 + 0.5, 0.0, 1.0) * 255).astype(np.uint8)
    return out
