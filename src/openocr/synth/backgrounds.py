"""Backgrounds (procedural paper, gradients, noise textures, photo crops) and text colours."""

from __future__ import annotations

import glob
import os
from functools import lru_cache

import cv2
import numpy as np

PHOTO_GLOBS = (
    "/usr/share/backgrounds/**/*.jpg",
    "/usr/share/backgrounds/**/*.png",
    "/usr/share/wallpapers/**/*.jpg",
    "/usr/share/wallpapers/**/*.png",
    "/usr/share/gimp/2.0/patterns/*.png",
)
PAPER = np.array(
    [
        [250, 250, 248],
        [245, 241, 230],
        [238, 232, 215],
        [252, 252, 252],
        [230, 230, 228],
        [244, 238, 222],
        [236, 240, 245],
    ],
    np.float32,
)


@lru_cache(maxsize=1)
def photo_files() -> tuple[str, ...]:
    extra = os.environ.get("OPENOCR_BACKGROUND_DIRS", "")
    globs = list(PHOTO_GLOBS) + [os.path.join(d, "**", "*.*") for d in extra.split(os.pathsep) if d]
    files: set[str] = set()
    for g in globs:
        files.update(
            p
            for p in glob.glob(g, recursive=True)
            if p.lower().endswith((".jpg", ".jpeg", ".png", ".webp"))
        )
    # the same wallpaper often ships at several resolutions: keep one per folder
    by_dir: dict[str, str] = {}
    for p in sorted(files):
        d = os.path.dirname(p)
        if "/wallpapers/" in p and "/contents/images" in p:
            by_dir.setdefault(d, p)
        else:
            by_dir[p] = p
    return tuple(sorted(by_dir.values()))


class PhotoPool:
    """Background photos, loaded lazily and kept downscaled (max side ``max_side``). ``limit``
    is above the ~90 photos of scripts/install_synth_resources.sh: evicting them made decoding
    (~0.1 s a photo) 58% of the recognition generator's time."""

    def __init__(self, max_side: int = 640, limit: int = 128):
        self.files = photo_files()
        self.max_side = max_side
        self.limit = limit
        self._cache: dict[str, np.ndarray] = {}

    def __bool__(self) -> bool:
        return bool(self.files)

    def get(self, rng: np.random.Generator) -> np.ndarray | None:
        if not self.files:
            return None
        p = self.files[int(rng.integers(len(self.files)))]
        img = self._cache.get(p)
        if img is None:
            raw = cv2.imread(p, cv2.IMREAD_COLOR)
            if raw is None:
                return None
            s = self.max_side / max(raw.shape[:2])
            if s < 1:
                raw = cv2.resize(raw, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
            img = cv2.cvtColor(raw, cv2.COLOR_BGR2RGB)
            if len(self._cache) >= self.limit:
                self._cache.pop(next(iter(self._cache)))
            self._cache[p] = img
        return img

    def crop(self, rng: np.random.Generator, h: int, w: int) -> np.ndarray | None:
        img = self.get(rng)
        if img is None:
            return None
        H, W = img.shape[:2]
        zoom = rng.uniform(0.15, 1.0)
        ch = max(8, min(H, int(H * zoom)))
        cw = max(8, min(W, int(ch * w / max(h, 1))))
        if cw > W:
            cw = W
            ch = max(8, min(H, int(cw * h / max(w, 1))))
        y = int(rng.integers(0, H - ch + 1))
        x = int(rng.integers(0, W - cw + 1))
        out = cv2.resize(img[y : y + ch, x : x + cw], (w, h), interpolation=cv2.INTER_LINEAR)
        if rng.random() < 0.5:
            out = out[:, ::-1]
        return np.ascontiguousarray(out)


def low_freq_noise(
    rng: np.random.Generator, h: int, w: int, cells: int = 6, amp: float = 1.0
) -> np.ndarray:
    """Smooth noise in [-amp, amp] of shape (h, w), float32."""
    gh = max(2, int(cells * h / max(h, w)) + 2)
    gw = max(2, int(cells * w / max(h, w)) + 2)
    g = rng.uniform(-amp, amp, (gh, gw)).astype(np.float32)
    return cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC)


def random_color(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0, 255, 3).astype(np.float32)


def paper(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    base = PAPER[int(rng.integers(len(PAPER)))] + rng.normal(0, 6, 3)
    if rng.random() < 0.15:  # coloured paper / sticky note / sign
        base = rng.uniform(120, 255, 3)
    lf = low_freq_noise(rng, h, w, cells=int(rng.integers(2, 8)), amp=float(rng.uniform(2, 14)))
    img = base[None, None, :] + lf[..., None]
    if rng.random() < 0.6:
        img = img + rng.normal(0, rng.uniform(1, 5), (h, w, 1)).astype(np.float32)
    return img.astype(np.float32)


def gradient(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    c0, c1 = random_color(rng), random_color(rng)
    ang = rng.uniform(0, np.pi)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    t = xs * np.cos(ang) / max(w, 1) + ys * np.sin(ang) / max(h, 1)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    return c0[None, None] * (1 - t[..., None]) + c1[None, None] * t[..., None]


def texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Multi-octave coloured noise (stone, fabric, wood-like streaks)."""
    c0, c1 = random_color(rng), random_color(rng)
    t = np.zeros((h, w), np.float32)
    for cells, a in ((3, 1.0), (12, 0.5), (40, 0.25)):
        t += low_freq_noise(rng, h, w, cells=cells, amp=a)
    if rng.random() < 0.3:  # streaks
        k = int(rng.integers(3, 25))
        t = cv2.blur(t, (k, 1) if rng.random() < 0.5 else (1, k))
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    return c0[None, None] * (1 - t[..., None]) + c1[None, None] * t[..., None]


def flat(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    c = random_color(rng) if rng.random() < 0.6 else PAPER[int(rng.integers(len(PAPER)))]
    return np.broadcast_to(c[None, None], (h, w, 3)).astype(np.float32)


def background(
    rng: np.random.Generator,
    h: int,
    w: int,
    photos: PhotoPool | None = None,
    weights: tuple[float, ...] = (0.3, 0.12, 0.13, 0.15, 0.3),
) -> np.ndarray:
    """float32 RGB (h, w, 3) in [0, 255]: paper, flat, gradient, texture or photo."""
    k = int(rng.choice(5, p=np.asarray(weights) / sum(weights)))
    if k == 4 and photos:
        img = photos.crop(rng, h, w)
        if img is not None:
            return img.astype(np.float32)
        k = 3
    return (paper, flat, gradient, texture, texture)[k](rng, h, w)


def luminance(rgb: np.ndarray) -> float:
    return float(
        rgb[..., 0].mean() * 0.299 + rgb[..., 1].mean() * 0.587 + rgb[..., 2].mean() * 0.114
    )


def text_color(
    rng: np.random.Generator,
    bg_lum: float,
    min_contrast: float = 70.0,
    max_contrast: float | None = None,
) -> np.ndarray:
    """An RGB colour whose luminance differs from ``bg_lum`` by at least ``min_contrast`` (and
    at most ``max_contrast`` when given: faint text)."""
    target_dark = bg_lum > 128
    if rng.random() < 0.1:  # the other side, where there is room for enough contrast
        if target_dark and bg_lum + min_contrast <= 255:
            target_dark = False
        elif not target_dark and bg_lum - min_contrast >= 0:
            target_dark = True
    if target_dark:
        hi = max(0.0, bg_lum - min_contrast)
        if max_contrast is not None:
            lum = rng.uniform(min(hi, max(0.0, bg_lum - max_contrast)), hi)
        else:
            lum = rng.uniform(0, hi) if rng.random() < 0.4 else rng.uniform(0, min(hi, 60))
    else:
        lo = min(255.0, bg_lum + min_contrast)
        if max_contrast is not None:
            lum = rng.uniform(lo, max(lo, min(255.0, bg_lum + max_contrast)))
        else:
            lum = rng.uniform(lo, 255) if rng.random() < 0.4 else rng.uniform(max(lo, 195), 255)
    if rng.random() < 0.35:  # coloured ink
        c = rng.uniform(0, 255, 3)
        cur = c[0] * 0.299 + c[1] * 0.587 + c[2] * 0.114
        c = np.clip(c + (lum - cur), 0, 255)
    else:
        c = np.full(3, lum) + rng.normal(0, 6, 3)
    return np.clip(c, 0, 255).astype(np.float32)
