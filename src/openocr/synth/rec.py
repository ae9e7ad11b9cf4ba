"""Recognition line generator: one text line per sample, cropped around its ink."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..charset import Charset, is_hanzi
from .backgrounds import PhotoPool, background, luminance, text_color
from .effects import curve, glyph_warp, ink_bbox, photometric, random_homography, warp_size
from .fonts import LATIN_CAPS_DIGITS, LATIN_REQUIRED, Face, FontIndex, FontPool, design_family
from .text import TextSampler

CJK_MIN = 3000  # a face drawing this many CJK ideographs counts as a CJK face


def _cjk_count(face: Face) -> int:
    return sum(map(is_hanzi, face.chars))


def split_pools(faces: list[Face], partial_latin: bool = False) -> tuple[list[Face], list[Face]]:
    """(Latin faces covering printable ASCII, CJK faces). ``partial_latin``: Latin faces need
    only capitals and digits (sign and display faces without some symbols or without lower
    case); the caller must then pick a face per text (``FontPool.pick``)."""
    need = LATIN_CAPS_DIGITS if partial_latin else LATIN_REQUIRED
    hanzi = [_cjk_count(f) for f in faces]
    latin = [
        f for f, n in zip(faces, hanzi, strict=True) if f.is_latin or (n == 0 and f.covers(need))
    ]
    # Japanese/Korean regional faces draw many hanzi in non-Chinese forms
    cjk = [
        f
        for f, n in zip(faces, hanzi, strict=True)
        if n >= CJK_MIN and not f.family.endswith((" JP", " KR"))
    ]
    return latin, cjk


def load_faces(
    exclude_fonts: Sequence[str] = (),
    fonts: Sequence[str] | None = None,
    font_dirs: Sequence[str | Path] | None = None,
    system_fonts: bool = True,
) -> list[Face]:
    index = FontIndex.load(dirs=list(font_dirs or []), system=system_fonts)
    return index.filter(tuple(exclude_fonts), include=tuple(fonts) if fonts else None).faces


def render_mask(
    text: str,
    font: ImageFont.FreeTypeFont,
    track: float = 0.0,
    stroke: int = 0,
    pad: int = 2,
    vertical: bool = False,
) -> np.ndarray:
    """White-on-black uint8 mask of ``text``; vertical stacks characters top to bottom."""
    if vertical:
        boxes = [font.getbbox(c, stroke_width=stroke) for c in text]
        cw = max(b[2] - b[0] for b in boxes)
        step = font.size * (1.0 + track)
        h = int(np.ceil(step * len(text))) + 2 * pad
        img = Image.new("L", (cw + 2 * pad, h), 0)
        d = ImageDraw.Draw(img)
        for i, (c, b) in enumerate(zip(text, boxes, strict=True)):
            x = pad + (cw - (b[2] - b[0])) // 2 - b[0]
            y = pad + i * step + (step - font.size) / 2
            d.text((x, y), c, font=font, fill=255, stroke_width=stroke, stroke_fill=255)
        return np.asarray(img)
    if track == 0:
        bb = font.getbbox(text, stroke_width=stroke)
        img = Image.new("L", (bb[2] - bb[0] + 2 * pad, bb[3] - bb[1] + 2 * pad), 0)
        ImageDraw.Draw(img).text(
            (pad - bb[0], pad - bb[1]),
            text,
            font=font,
            fill=255,
            stroke_width=stroke,
            stroke_fill=255,
        )
        return np.asarray(img)
    bb = font.getbbox(text, stroke_width=stroke)
    adv = [font.getlength(c) + track * font.size for c in text]
    width = int(np.ceil(sum(adv))) + bb[2] + 2 * pad
    img = Image.new("L", (width, bb[3] - bb[1] + 2 * pad), 0)
    d = ImageDraw.Draw(img)
    x = float(pad - min(bb[0], 0))
    for c, a in zip(text, adv, strict=True):
        if c != " ":
            d.text((x, pad - bb[1]), c, font=font, fill=255, stroke_width=stroke, stroke_fill=255)
        x += a
    return np.asarray(img)


class RecLineGenerator:
    """Text-line crops for recognition training.

    ``sample(rng)`` returns ``(rgb_uint8 HxWx3, label)``: height ``height``, width that follows the
    text (at most ``max_width``), label the exact rendered string (normalized by the charset,
    nonempty, at most ``max_len`` characters). ``text_lang`` picks the text sampler (default: ``en``
    for small charsets, else ``ch``); ``text_lang='en'`` with the ``ch`` charset gives the English
    lines that a Chinese + English model is trained on alongside its Chinese lines.
    ``tilt_ratio``: share of short lines rotated up to 30 degrees and cut by their axis-aligned
    box (scene words cropped without rectification). ``low_contrast_ratio``: share of lines
    whose text/background luminance contrast is 35-70 instead of 70-130; ``dark_ratio``: share
    darkened to 30-75% (both matched to aggregate statistics of real scene-word crops,
    docs/synth.md). ``glyph_warp_ratio``: share of lines with Chinese characters whose glyphs
    are bent and re-weighted (``effects.glyph_warp``; off by default, so that evaluation sets
    rendered before it stay the same).
    """

    def __init__(
        self,
        charset: Charset | str = "en",
        height: int = 48,
        max_width: int = 320,
        seed: int = 0,
        exclude_fonts: Sequence[str] = (),
        fonts: Sequence[str] | None = None,
        max_len: int = 25,
        vertical_ratio: float | None = None,
        font_dirs: Sequence[str | Path] | None = None,
        system_fonts: bool = True,
        photos: bool = True,
        text_lang: str | None = None,
        tilt_ratio: float = 0.12,
        low_contrast_ratio: float = 0.25,
        dark_ratio: float = 0.2,
        glyph_warp_ratio: float = 0.0,
    ):
        self.charset = Charset.load(charset) if isinstance(charset, str) else charset
        self.height = int(height)
        self.max_width = int(max_width)
        self.max_len = int(max_len)
        self.tilt_ratio = float(tilt_ratio)
        self.low_contrast_ratio = float(low_contrast_ratio)
        self.dark_ratio = float(dark_ratio)
        self.rng = np.random.default_rng(seed)
        faces = load_faces(exclude_fonts, fonts, font_dirs, system_fonts)
        latin, cjk = split_pools(faces, partial_latin=True)
        self.lang = text_lang or ("en" if len(self.charset) < 200 else "ch")
        if self.lang not in ("en", "ch"):
            raise ValueError(f"text_lang must be 'en' or 'ch', got {text_lang!r}")
        if not latin:
            latin = [f for f in faces if sum(c.isascii() for c in f.chars) >= 60]
        self.latin = FontPool(latin, family_key=design_family) if latin else None
        self.cjk = FontPool(cjk) if cjk else None
        self.any = FontPool(faces)
        if self.lang == "en":
            drawable = self.latin.chars() if self.latin else self.any.chars()
        else:
            drawable = self.any.chars()
        self.text = TextSampler(
            self.charset, max_len=self.max_len, drawable=drawable, lang=self.lang
        )
        self.vertical_ratio = (
            (0.05 if self.lang == "ch" else 0.0) if vertical_ratio is None else vertical_ratio
        )
        self.glyph_warp_ratio = float(glyph_warp_ratio)
        self.photos = PhotoPool() if photos else None

    # --- font choice ------------------------------------------------------------------------
    def _pick_font(self, rng: np.random.Generator, text: str) -> tuple[FontPool, int] | None:
        pools: list[FontPool] = []
        ascii_only = text.isascii()
        if self.lang == "en":
            order = [self.cjk, self.latin] if rng.random() < 0.1 else [self.latin, self.cjk]
        else:
            order = (
                [self.latin, self.cjk]
                if (ascii_only and rng.random() < 0.6)
                else [self.cjk, self.latin]
            )
        pools = [p for p in order if p is not None] + [self.any]
        for pool in pools:
            i = pool.pick(rng, text)
            if i is not None:
                return pool, i
        return None

    # --- main entry ---------------------------------------------------------------------------
    def __iter__(self) -> Iterator[tuple[np.ndarray, str]]:
        while True:
            yield self.sample(self.rng)

    def sample(self, rng: np.random.Generator | None = None) -> tuple[np.ndarray, str]:
        rng = self.rng if rng is None else rng
        for _ in range(20):
            out = self._try(rng)
            if out is not None:
                return out
        raise RuntimeError("could not render a line; are fonts installed?")

    def _try(self, rng: np.random.Generator) -> tuple[np.ndarray, str] | None:
        text = self.text.sample(rng)
        picked = self._pick_font(rng, text)
        if picked is None:
            return None
        pool, fi = picked
        size = int(rng.integers(8, 15)) * 3  # 24..42, few sizes: font cache hits
        font = pool.font(fi, size)
        vertical = (
            self.vertical_ratio > 0
            and len(text) >= 2
            and rng.random() < self.vertical_ratio
            and all(not c.isascii() and c.isalnum() for c in text)
        )
        track = 0.0
        if not vertical and len(text) <= 16 and rng.random() < 0.2:
            track = float(rng.uniform(0.02, 0.35 if " " not in text else 0.15))
        elif vertical:
            track = float(rng.uniform(0.0, 0.25))
        stroke = 1 if size >= 26 and rng.random() < 0.1 else 0

        # keep the line within max_width after scaling to height: shorten text if needed
        if not vertical:
            bb = font.getbbox(text, stroke_width=stroke)
            ink_h = max(bb[3] - bb[1], size * 0.5)
            est = (bb[2] - bb[0] + track * size * len(text)) * self.height / (ink_h * 1.3)
            limit = self.max_width / 0.8
            if est > limit:
                keep = max(1, int(len(text) * limit / est))
                short = text[:keep]
                if " " in short and text[keep : keep + 1] not in ("", " "):
                    short = short.rsplit(" ", 1)[0]  # do not cut a word
                text = self.charset.normalize(short)
                if not text:
                    return None
        mask = render_mask(text, font, track=track, stroke=stroke, vertical=vertical)
        if vertical:
            mask = np.ascontiguousarray(np.rot90(mask, 1))  # reading order becomes left->right
        if mask.size == 0 or mask.max() == 0:
            return None
        warp = self.glyph_warp_ratio > 0 and any(map(is_hanzi, text))
        if warp and rng.random() < self.glyph_warp_ratio:
            mask = glyph_warp(mask, rng, size)
        if rng.random() < 0.06 and not vertical:  # underline / strike-through
            m = mask.copy()
            bbm = ink_bbox(m)
            if bbm is not None:
                t = max(1, size // 16)
                y = bbm[3] - t if rng.random() < 0.8 else (bbm[1] + bbm[3]) // 2
                m[y : y + t, bbm[0] : bbm[2]] = 255
                mask = m

        # geometry: rotation, shear (italic), perspective, curved baseline
        h0, w0 = mask.shape
        if rng.random() < 0.1 and w0 > 3 * h0:
            mask = curve(mask, rng, amp=float(rng.uniform(0.1, 0.35)) * h0)
            h0, w0 = mask.shape
        # a word photographed at an angle and cut by its axis-aligned box (crops of rotated
        # scene words that were not rectified)
        tilted = not vertical and len(text) <= 12 and rng.random() < self.tilt_ratio
        if tilted:
            M = random_homography(
                rng, w0, h0, rot_deg=30.0, shear=0.1, persp=float(rng.uniform(0.0, 0.08))
            )
            mask = cv2.warpPerspective(mask, M, warp_size(M, w0, h0), flags=cv2.INTER_LINEAR)
        elif rng.random() < 0.4:
            big = rng.random() < 0.15
            M = random_homography(
                rng,
                w0,
                h0,
                rot_deg=6.0 if big else 2.0,
                shear=0.3 if rng.random() < 0.2 else 0.05,
                persp=float(rng.uniform(0.0, 0.06)) if rng.random() < 0.3 else 0.0,
            )
            mask = cv2.warpPerspective(mask, M, warp_size(M, w0, h0), flags=cv2.INTER_LINEAR)
        bb = ink_bbox(mask, 16)
        if bb is None:
            return None
        mask = mask[bb[1] : bb[3], bb[0] : bb[2]]
        ih, iw = mask.shape
        ref = float(ih) if not vertical else float(ih)
        if self.lang == "en" or not vertical:
            ref = max(ref, size * 0.55)  # lines of dots or dashes are thin: use the font size
        if tilted:
            ref = min(ref, float(size))  # margins follow the text, not the tilted box
        # margins: tight to loose crops
        loose = rng.random() < 0.08
        mt = int(ref * rng.uniform(0.02, 0.25 if not loose else 0.6))
        mb = int(ref * rng.uniform(0.02, 0.25 if not loose else 0.6))
        ml = int(ref * rng.uniform(0.0, 0.3 if not loose else 0.9))
        mr = int(ref * rng.uniform(0.0, 0.3 if not loose else 0.9))
        ch, cw = ih + mt + mb, iw + ml + mr
        # very thin lines (e.g. "...") get some height
        if ch < ref * 0.9:
            extra = int(ref * 0.9) - ch
            mt += extra // 2
            mb += extra - extra // 2
            ch = ih + mt + mb

        bg = background(rng, ch, cw, self.photos)
        region = bg[mt : mt + ih, ml : ml + iw]
        spread = float(region.std())
        if spread > 20:  # keep photos/textures calm enough to read
            mean = bg.mean(axis=(0, 1), keepdims=True)
            bg = mean + (bg - mean) * min(1.0, rng.uniform(12, 35) / spread)
            region = bg[mt : mt + ih, ml : ml + iw]
            spread = float(region.std())
        # scene text is often faint: a quarter of the lines get a low text/background contrast
        low = rng.random() < self.low_contrast_ratio
        contrast = min(
            200.0, max(float(rng.uniform(35, 70) if low else rng.uniform(70, 130)), 2.5 * spread)
        )
        color = text_color(
            rng,
            luminance(region),
            min_contrast=contrast,
            max_contrast=contrast + 25 if low else None,
        )
        alpha = np.zeros((ch, cw), np.float32)
        alpha[mt : mt + ih, ml : ml + iw] = mask.astype(np.float32) * (1.0 / 255.0)
        if rng.random() < 0.06:  # partial neighbouring lines above/below, cut by the crop
            self._neighbours(rng, alpha, mt, mb, ref)
        if rng.random() < 0.08:  # drop shadow / extrusion
            dx, dy = (int(v) for v in rng.integers(-3, 4, 2))
            sh = np.zeros_like(alpha)
            sh[max(dy, 0) : ch + min(dy, 0), max(dx, 0) : cw + min(dx, 0)] = alpha[
                max(-dy, 0) : ch + min(-dy, 0), max(-dx, 0) : cw + min(-dx, 0)
            ]
            sh = cv2.GaussianBlur(sh, (0, 0), float(rng.uniform(0.5, 2.0)))
            scol = (
                color * 0.3
                if luminance(color[None, None]) > 128
                else np.clip(255 - color, 0, 255) * 0.5
            )
            bg = bg * (1 - sh[..., None] * 0.7) + scol[None, None] * (sh[..., None] * 0.7)
        bg, fill = self._style(rng, bg, alpha, color, region, contrast, ref)
        opacity = 1.0 if rng.random() < 0.8 else float(rng.uniform(0.6, 1.0))
        a = alpha[..., None] * opacity
        img = bg * (1 - a) + fill * a
        if rng.random() < self.dark_ratio:  # night scene, shade, under-exposed photo
            img = img * rng.uniform(0.3, 0.75)
        img = np.ascontiguousarray(np.clip(img, 0, 255).astype(np.uint8))
        if rng.random() < 0.04:  # box around the text (label field, sign border)
            t = max(1, int(ref / 20))
            cv2.rectangle(img, (0, 0), (cw - 1, ch - 1), tuple(int(v) for v in color), t)

        # resolution: render small then upscale (low-res photos), else straight to height
        H = self.height
        if rng.random() < 0.2:
            s = rng.uniform(0.3, 0.7) * H / ch
            small = cv2.resize(
                img, (max(1, int(cw * s)), max(1, int(ch * s))), interpolation=cv2.INTER_AREA
            )
            img = cv2.resize(
                small,
                (cw, ch),
                interpolation=cv2.INTER_LINEAR if rng.random() < 0.7 else cv2.INTER_NEAREST,
            )
        img = photometric(img, rng)
        # horizontal scale: condensed and extended faces, crops stretched at inference; never
        # so narrow that CTC cannot align the label (T = width / 8 >= length + repeats)
        sx = float(np.exp(rng.uniform(np.log(0.7), np.log(1.8)))) if rng.random() < 0.3 else 1.0
        need = 8.8 * (len(text) + sum(a == b for a, b in pairwise(text)))
        w = max(1, min(self.max_width, int(round(max(cw * H / ch * sx, need)))))
        img = cv2.resize(img, (w, H), interpolation=cv2.INTER_AREA if ch > H else cv2.INTER_LINEAR)
        if rng.random() < 0.03:
            img = 255 - img
        return np.ascontiguousarray(img), text

    @staticmethod
    def _style(
        rng: np.random.Generator,
        bg: np.ndarray,
        alpha: np.ndarray,
        color: np.ndarray,
        region: np.ndarray,
        contrast: float,
        ref: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sign and poster lettering: an outline of another colour painted into the background
        (8%) or a fill that shades from one colour to another (8%); else a flat fill."""
        u = rng.random()
        if u < 0.08:
            r = max(1, int(round(ref * rng.uniform(0.04, 0.12))))
            outer = cv2.dilate(
                alpha, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2)
            )
            edge = text_color(rng, luminance(color[None, None]), min_contrast=60.0)
            bg = bg * (1 - outer[..., None]) + edge[None, None] * outer[..., None]
        elif u < 0.16:
            other = text_color(rng, luminance(region), min_contrast=contrast)
            t = np.linspace(0.0, 1.0, alpha.shape[0], dtype=np.float32)[:, None, None]
            return bg, color[None, None] * (1 - t) + other[None, None] * t
        return bg, color[None, None]

    def _neighbours(
        self, rng: np.random.Generator, alpha: np.ndarray, mt: int, mb: int, ref: float
    ) -> None:
        """Paint fragments of other lines that stick into the top/bottom margin only."""
        ch, cw = alpha.shape
        for top in (True, False):
            margin = mt if top else mb
            if margin < 3 or rng.random() < 0.4:
                continue
            other = self.text.sample(rng)
            picked = self._pick_font(rng, other)
            if picked is None:
                continue
            pool, fi = picked
            m = render_mask(other, pool.font(fi, int(rng.integers(22, 44))))
            bb = ink_bbox(m)
            if bb is None:
                continue
            m = m[bb[1] : bb[3], bb[0] : bb[2]].astype(np.float32) / 255.0
            vis = int(margin * rng.uniform(0.3, 0.8))  # visible rows of the neighbour
            vis = min(vis, m.shape[0])
            if vis < 1:
                continue
            frag = m[-vis:] if top else m[:vis]
            x = int(rng.integers(-frag.shape[1] // 2, max(1, cw // 2)))
            x0, x1 = max(0, x), min(cw, x + frag.shape[1])
            if x1 <= x0:
                continue
            part = frag[:, x0 - x : x1 - x]
            if top:
                alpha[0:vis, x0:x1] = np.maximum(alpha[0:vis, x0:x1], part)
            else:
                alpha[ch - vis : ch, x0:x1] = np.maximum(alpha[ch - vis : ch, x0:x1], part)
