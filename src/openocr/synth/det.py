"""Detection page generator: documents and scene-like images with exact text quads.

Quads come from the font's ink box: text drawn at (x, y) with the default ``la`` anchor has its
ink inside ``font.getbbox(text) + (x, y)``; warped patches and pages carry their quads through the
same 3x3 homography.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw

from ..charset import Charset
from .backgrounds import PhotoPool, background, low_freq_noise, luminance, paper, text_color
from .effects import ink_bbox, photometric, random_homography, warp_size
from .fonts import FontPool
from .rec import load_faces, render_mask, split_pools
from .text import TextSampler

_MONO = re.compile(r"mono|courier|code|typewriter")  # family names of fixed-pitch faces


def _enlarge(small: np.ndarray, w: int, h: int) -> np.ndarray:
    """A low-resolution float background (paper, surface) as a w x h uint8 image."""
    return cv2.resize(
        np.clip(small, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR
    )


def _quad(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def _transform(quads: list[np.ndarray], M: np.ndarray) -> list[np.ndarray]:
    if not quads:
        return quads
    pts = cv2.perspectiveTransform(np.stack(quads).reshape(1, -1, 2).astype(np.float32), M)
    return list(pts.reshape(-1, 4, 2))


def add_distractors(
    rng: np.random.Generator, img: np.ndarray, occupied: np.ndarray, n: int, cell: int = 8
) -> None:
    """Draw ``n`` unlabelled text-like non-text shapes (stripes, barcodes, grids, dots, frames,
    arcs) into free cells of ``img`` (float32 HxWx3, in place), so that the detector learns
    that strokes alone are not text. ``occupied`` is a (H/cell, W/cell) grid of taken cells."""
    H, W = img.shape[:2]
    for _ in range(n * 3):
        if n <= 0:
            break
        w = int(np.exp(rng.uniform(np.log(16), np.log(max(17, W // 3)))))
        h = int(np.exp(rng.uniform(np.log(16), np.log(max(17, H // 3)))))
        if w >= W - 2 or h >= H - 2:
            continue
        x, y = int(rng.integers(0, W - w)), int(rng.integers(0, H - h))
        cells = occupied[y // cell : (y + h) // cell + 1, x // cell : (x + w) // cell + 1]
        if cells.any():
            continue
        cells[...] = True
        n -= 1
        region = img[y : y + h, x : x + w]
        color = text_color(rng, luminance(region), min_contrast=float(rng.uniform(60, 140)))
        col = tuple(float(c) for c in color)
        patch = np.ascontiguousarray(region.copy())
        t = int(rng.integers(1, 4))
        kind = int(rng.integers(6))
        if kind == 0:  # barcode
            xx = 0
            while xx < w:
                bw = int(rng.integers(1, 4))
                if rng.random() < 0.5:
                    cv2.rectangle(patch, (xx, 0), (min(w, xx + bw) - 1, h - 1), col, -1)
                xx += bw
        elif kind == 1:  # parallel stripes at an angle
            ang = rng.uniform(0, np.pi)
            step = int(rng.integers(4, 16))
            dx, dy = np.cos(ang), np.sin(ang)
            for k in range(-max(w, h), max(w, h), step):
                cx, cy = w / 2 - dy * k, h / 2 + dx * k
                p0 = (int(cx - dx * 2 * w), int(cy - dy * 2 * h))
                p1 = (int(cx + dx * 2 * w), int(cy + dy * 2 * h))
                cv2.line(patch, p0, p1, col, t)
        elif kind == 2:  # grid / mesh
            step = int(rng.integers(5, 20))
            for xx in range(0, w, step):
                cv2.line(patch, (xx, 0), (xx, h - 1), col, t)
            for yy in range(0, h, step):
                cv2.line(patch, (0, yy), (w - 1, yy), col, t)
        elif kind == 3:  # dot matrix
            step = int(rng.integers(4, 14))
            r = max(1, step // 4)
            for yy in range(step // 2, h, step):
                for xx in range(step // 2, w, step):
                    cv2.circle(patch, (xx, yy), r, col, -1)
        elif kind == 4:  # frames and rules
            for _ in range(int(rng.integers(1, 4))):
                a = (int(rng.integers(0, w)), int(rng.integers(0, h)))
                b = (int(rng.integers(0, w)), int(rng.integers(0, h)))
                if rng.random() < 0.5:
                    cv2.rectangle(patch, a, b, col, t)
                else:
                    cv2.line(patch, a, b, col, t)
        else:  # arcs and rings
            for _ in range(int(rng.integers(1, 4))):
                c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
                ax = (int(rng.integers(3, max(4, w // 2))), int(rng.integers(3, max(4, h // 2))))
                a0 = float(rng.uniform(0, 360))
                cv2.ellipse(patch, c, ax, 0, a0, a0 + float(rng.uniform(90, 360)), col, t)
        region[...] = patch


class DetPageGenerator:
    """Pages for detector training.

    ``sample(rng)`` returns ``(rgb_uint8 HxWx3, instances)`` where each instance is
    ``{"points": 4x2 list clockwise from top-left, "text": str, "ignore": bool}``. ``level`` is
    ``"line"`` or ``"word"`` (English lines split at spaces). ``doc_ratio`` is the share of
    document pages (the rest are scene-like: text on photos/textures, rotated and warped);
    ``distractor_ratio`` the share of scenes that also hold unlabelled non-text strokes;
    ``receipt_ratio`` the share of receipts (a narrow slip of small, often monospaced lines:
    centred header, key-value lines, items with right-aligned amounts, dashed rules), taken
    out of the document share.
    """

    def __init__(
        self,
        seed: int = 0,
        charset: Charset | str = "ch",
        size: tuple[int, int] = (1000, 1400),
        level: str = "line",
        doc_ratio: float = 0.6,
        en_ratio: float = 0.4,
        exclude_fonts: Sequence[str] = (),
        fonts: Sequence[str] | None = None,
        font_dirs: Sequence[str | Path] | None = None,
        system_fonts: bool = True,
        photos: bool = True,
        augment: bool = True,
        distractor_ratio: float = 0.7,
        receipt_ratio: float = 0.15,
    ):
        if level not in ("line", "word"):
            raise ValueError(f"level must be 'line' or 'word', not {level!r}")
        self.charset = Charset.load(charset) if isinstance(charset, str) else charset
        self.size = (int(size[0]), int(size[1]))
        self.level = level
        self.doc_ratio = doc_ratio
        self.augment = augment
        self.rng = np.random.default_rng(seed)
        faces = load_faces(exclude_fonts, fonts, font_dirs, system_fonts)
        latin, cjk = split_pools(faces)
        self.any = FontPool(faces)
        self.latin = FontPool(latin) if latin else self.any
        self.cjk = FontPool(cjk) if cjk else None
        en = Charset.load("en")
        self.en_text = TextSampler(en, max_len=40, drawable=self.latin.chars(), lang="en")
        self.has_ch = len(self.charset) >= 200
        self.en_ratio = en_ratio if self.has_ch else 1.0
        if self.has_ch:
            pool = self.cjk or self.any
            self.ch_text = TextSampler(self.charset, max_len=30, drawable=pool.chars(), lang="ch")
        self.photos = PhotoPool(max_side=1400) if photos else None
        self.want_mask = False
        self.distractor_ratio = distractor_ratio
        self.receipt_ratio = receipt_ratio
        self.mono = [
            f for f in self.latin.families if _MONO.search(self.latin.faces[f[0]].family.lower())
        ]

    def __iter__(self) -> Iterator[tuple[np.ndarray, list[dict[str, Any]]]]:
        while True:
            yield self.sample(self.rng)

    def sample(
        self, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, list[dict[str, Any]]]:
        img, inst, _ = self.sample_with_mask(rng, mask=False)
        return img, inst

    def sample_with_mask(
        self, rng: np.random.Generator | None = None, mask: bool = True
    ) -> tuple[np.ndarray, list[dict[str, Any]], np.ndarray | None]:
        """Like ``sample`` and also the text ink mask (uint8, for tests)."""
        rng = self.rng if rng is None else rng
        self.want_mask = mask
        u = rng.random()
        scene = u >= self.doc_ratio
        if scene:
            img, quads, texts, ink = self._scene(rng)
        elif u < self.receipt_ratio:
            img, quads, texts, ink = self._receipt(rng)
        else:
            img, quads, texts, ink = self._document(rng)
        if self.augment:
            img, quads, ink = self._page_augment(rng, img, quads, ink, scene=scene)
        h, w = img.shape[:2]
        out = []
        for q, t in zip(quads, texts, strict=True):
            inside = (q[:, 0] >= -1) & (q[:, 0] <= w + 1) & (q[:, 1] >= -1) & (q[:, 1] <= h + 1)
            if not inside.any():
                continue
            side = min(np.linalg.norm(q[1] - q[0]), np.linalg.norm(q[3] - q[0]))
            ignore = bool(side < 5 or inside.sum() < 4)
            out.append(
                {"points": np.round(q.astype(np.float64), 2).tolist(), "text": t, "ignore": ignore}
            )
        return img, out, ink

    # --- text helpers ---------------------------------------------------------------------------
    def _lang(self, rng: np.random.Generator) -> str:
        return "en" if rng.random() < self.en_ratio else "ch"

    def _font(self, rng: np.random.Generator, lang: str, size: int) -> tuple[Any, Any]:
        pool = self.latin if lang == "en" else (self.cjk or self.any)
        fam = pool.families[int(rng.integers(len(pool.families)))]
        i = fam[int(rng.integers(len(fam)))]
        return pool.font(i, size), pool.faces[i]

    def _line_text(
        self, rng: np.random.Generator, lang: str, font: Any, face: Any, width: float
    ) -> str:
        """Join sampled pieces until the line is about ``width`` pixels wide."""
        sampler = self.en_text if lang == "en" else self.ch_text
        sep = " " if lang == "en" else ("" if rng.random() < 0.8 else " ")
        text = ""
        for _ in range(30):
            piece = sampler.sample(rng)
            if not face.covers(piece):
                continue
            cand = piece if not text else text + sep + piece
            if font.getlength(cand) > width:
                if not text:  # one piece too long: cut it
                    n = max(1, int(len(piece) * width / max(font.getlength(piece), 1)))
                    text = piece[:n].strip()
                break
            text = cand
        return text

    def _put_line(
        self, draw, mdraw, x: float, y: float, text: str, font, color, quads, texts
    ) -> float:
        """Draw one line; record quads (line or words). Returns the ink bottom (or y)."""
        if not text:
            return y
        bb = font.getbbox(text)
        if bb[2] <= bb[0] or bb[3] <= bb[1]:
            return y
        fill = tuple(int(c) for c in color)
        draw.text((x, y), text, font=font, fill=fill)
        if mdraw is not None:
            mdraw.text((x, y), text, font=font, fill=255)
        if self.level == "word" and " " in text:
            pos = 0
            for word in text.split(" "):
                if word:
                    wb = font.getbbox(word)
                    x0 = x + font.getlength(text[:pos])
                    if wb[2] > wb[0] and wb[3] > wb[1]:
                        quads.append(_quad(x0 + wb[0], y + wb[1], x0 + wb[2], y + wb[3]))
                        texts.append(word)
                pos += len(word) + 1
        else:
            quads.append(_quad(x + bb[0], y + bb[1], x + bb[2], y + bb[3]))
            texts.append(text)
        return y + bb[3]

    def _canvas(self, bg: np.ndarray):
        """A page to draw on over ``bg``: (page, draw, ink mask or None, its draw, quads, texts)."""
        page = Image.fromarray(bg)
        ink = Image.new("L", page.size, 0) if self.want_mask else None
        mdraw = ImageDraw.Draw(ink) if ink is not None else None
        quads: list[np.ndarray] = []
        texts: list[str] = []
        return page, ImageDraw.Draw(page), ink, mdraw, quads, texts

    # --- documents --------------------------------------------------------------------------------
    def _document(self, rng: np.random.Generator):
        W0, H0 = self.size
        W = int(W0 * rng.uniform(0.8, 1.2))
        H = int(H0 * rng.uniform(0.8, 1.1))
        if rng.random() < 0.15:
            W, H = H, W
        bg = _enlarge(paper(rng, H // 4, W // 4), W, H)
        if rng.random() < 0.5:
            bg = np.clip(
                bg.astype(np.int16) + rng.integers(-3, 4, (H, W, 1), dtype=np.int16), 0, 255
            ).astype(np.uint8)
        page, draw, ink, mdraw, quads, texts = self._canvas(bg)
        lang = self._lang(rng)
        margin = int(rng.uniform(0.04, 0.1) * W)
        ncol = int(rng.choice([1, 1, 1, 2, 2, 3]))
        gutter = int(rng.uniform(0.02, 0.05) * W)
        col_w = (W - 2 * margin - (ncol - 1) * gutter) / ncol
        body = int(rng.choice([12, 14, 16, 18, 20, 22, 24, 28, 32]))
        if ncol == 3:
            body = min(body, 20)
        ink_col = text_color(rng, 235.0, min_contrast=110)
        for c in range(ncol):
            x0 = margin + c * (col_w + gutter)
            y = float(margin * rng.uniform(0.8, 1.5))
            while y < H - margin - body * 2:
                if rng.random() < 0.3:
                    lang = self._lang(rng)
                kind = rng.choice(["para", "para", "para", "head", "table", "form", "list"])
                y = getattr(self, f"_block_{kind}")(
                    rng, draw, mdraw, x0, y, col_w, H - margin, body, lang, ink_col, quads, texts
                )
                y += body * rng.uniform(0.6, 2.0)
        return np.asarray(page), quads, texts, (np.asarray(ink) if ink is not None else None)

    def _block_para(self, rng, draw, mdraw, x0, y, col_w, y_max, body, lang, color, quads, texts):
        font, face = self._font(rng, lang, body)
        lead = body * rng.uniform(1.2, 1.8)
        indent = body * rng.uniform(0, 2) if rng.random() < 0.5 else 0
        for i in range(int(rng.integers(2, 9))):
            if y + lead > y_max:
                break
            w = col_w - (indent if i == 0 else 0)
            text = self._line_text(
                rng, lang, font, face, w * (rng.uniform(0.3, 0.9) if rng.random() < 0.15 else 1.0)
            )
            self._put_line(
                draw, mdraw, x0 + (indent if i == 0 else 0), y, text, font, color, quads, texts
            )
            y += lead
        return y

    def _block_head(self, rng, draw, mdraw, x0, y, col_w, y_max, body, lang, color, quads, texts):
        size = int(body * rng.uniform(1.3, 2.6))
        if y + size * 1.5 > y_max:
            return y_max
        font, face = self._font(rng, lang, size)
        text = self._line_text(rng, lang, font, face, col_w * rng.uniform(0.3, 0.9))
        if lang == "en" and rng.random() < 0.4:
            text = text.upper() if face.covers(text.upper()) else text
        col = color if rng.random() < 0.7 else text_color(rng, 235.0, min_contrast=90)
        x = x0 if rng.random() < 0.7 else x0 + max(0.0, (col_w - font.getlength(text)) / 2)
        self._put_line(draw, mdraw, x, y, text, font, col, quads, texts)
        return y + size * 1.3

    def _block_list(self, rng, draw, mdraw, x0, y, col_w, y_max, body, lang, color, quads, texts):
        """Receipt / price list: item on the left, amount right-aligned, dashed separators."""
        font, face = self._font(rng, lang, body)
        lead = body * rng.uniform(1.3, 1.8)
        for _ in range(int(rng.integers(3, 10))):
            if y + lead > y_max:
                break
            left = self._line_text(rng, lang, font, face, col_w * rng.uniform(0.25, 0.6))
            amount = f"{rng.uniform(0, 999):.2f}"
            self._put_line(draw, mdraw, x0, y, left, font, color, quads, texts)
            if face.covers(amount):
                self._put_line(
                    draw,
                    mdraw,
                    x0 + col_w - font.getlength(amount),
                    y,
                    amount,
                    font,
                    color,
                    quads,
                    texts,
                )
            y += lead
        if rng.random() < 0.5 and y + lead <= y_max:
            yy = int(y + lead * 0.3)
            for xx in range(int(x0), int(x0 + col_w), 8):
                draw.line([(xx, yy), (xx + 4, yy)], fill=tuple(int(c) for c in color), width=1)
            y += lead * 0.7
        return y

    def _block_table(self, rng, draw, mdraw, x0, y, col_w, y_max, body, lang, color, quads, texts):
        font, face = self._font(rng, lang, max(10, int(body * 0.9)))
        ncols = int(rng.integers(2, 6))
        nrows = int(rng.integers(2, 8))
        row_h = body * rng.uniform(1.6, 2.4)
        if y + row_h * 2 > y_max:
            return y_max
        nrows = min(nrows, int((y_max - y) // row_h))
        cw = col_w / ncols
        rule = tuple(int(c) for c in color)
        lw = int(rng.integers(1, 3))
        grid = rng.random() < 0.6
        for r in range(nrows + 1):
            if grid or r in (0, 1, nrows):
                draw.line([(x0, y + r * row_h), (x0 + col_w, y + r * row_h)], fill=rule, width=lw)
        if grid:
            for c in range(ncols + 1):
                draw.line([(x0 + c * cw, y), (x0 + c * cw, y + nrows * row_h)], fill=rule, width=lw)
        pad = max(3.0, body * 0.3)
        for r in range(nrows):
            for c in range(ncols):
                if rng.random() < 0.15:
                    continue
                text = self._line_text(
                    rng, lang, font, face, (cw - 2 * pad) * rng.uniform(0.4, 1.0)
                )
                bb = font.getbbox(text) if text else (0, 0, 0, 0)
                ty = y + r * row_h + (row_h - (bb[3] + bb[1])) / 2
                self._put_line(draw, mdraw, x0 + c * cw + pad, ty, text, font, color, quads, texts)
        return y + nrows * row_h

    def _block_form(self, rng, draw, mdraw, x0, y, col_w, y_max, body, lang, color, quads, texts):
        font, face = self._font(rng, lang, body)
        lead = body * rng.uniform(1.8, 2.6)
        rule = tuple(int(c) for c in color)
        for _ in range(int(rng.integers(2, 6))):
            if y + lead > y_max:
                break
            label = self._line_text(rng, lang, font, face, col_w * rng.uniform(0.15, 0.35))
            colon = ":" if lang == "en" or not face.covers("：") else "："
            label = label + colon if label and face.covers(colon) else label
            self._put_line(draw, mdraw, x0, y, label, font, color, quads, texts)
            lx = x0 + font.getlength(label) + body * 0.5
            base = y + font.getmetrics()[0] + 3
            draw.line([(lx, base), (x0 + col_w, base)], fill=rule, width=1)
            if rng.random() < 0.7:
                val_font, val_face = self._font(rng, lang, body)
                val = self._line_text(
                    rng, lang, val_font, val_face, (x0 + col_w - lx) * rng.uniform(0.3, 0.9)
                )
                self._put_line(
                    draw,
                    mdraw,
                    lx + body * 0.3,
                    y,
                    val,
                    val_font,
                    text_color(rng, 235.0, 100),
                    quads,
                    texts,
                )
            y += lead
        return y

    # --- receipts -----------------------------------------------------------------------------------
    def _receipt(self, rng: np.random.Generator):
        """A till receipt: scanned alone (the page is the slip) or photographed on a surface.

        The slip is laid out as rows: ``None`` is a printed rule (ink, not a text line), else a
        list of ``(align, text)`` parts, ``align`` one of left, right, centre, indent, or a column
        (quantity and unit price right-aligned, currency left-aligned): receipts print short
        tokens ("1", "RM") as separate boxes."""
        W0, H0 = self.size
        pw, ph = int(W0 * rng.uniform(0.35, 0.75)), int(H0 * rng.uniform(0.8, 1.6))
        if rng.random() < 0.5:  # scanned: the page is the slip
            W, H, x0, y0 = pw, ph, 0, 0
            img = np.zeros((H, W, 3), np.uint8)
        else:
            W, H = int(W0 * rng.uniform(0.8, 1.2)), int(H0 * rng.uniform(0.9, 1.2))
            pw, ph = min(pw, W - 8), min(ph, H - 8)
            x0, y0 = int(rng.integers(0, W - pw)), int(rng.integers(-ph // 4, H - ph // 2))
            img = _enlarge(background(rng, H // 4, W // 4, self.photos), W, H)
        slip = _enlarge(paper(rng, max(1, ph // 4), max(1, pw // 4)), pw, ph)
        ys0, ys1 = max(0, y0), min(H, y0 + ph)
        img[ys0:ys1, x0 : x0 + pw] = slip[ys0 - y0 : ys1 - y0]
        page, draw, ink, mdraw, quads, texts = self._canvas(img)

        lang = "en" if not self.has_ch or rng.random() < 0.7 else "ch"
        margin = pw * rng.uniform(0.04, 0.1)
        left, right = x0 + margin, x0 + pw - margin
        span = right - left
        cols = int(rng.integers(30, 49))  # characters per line, like a till printer
        body = max(10, int(span / (cols * 0.6)))
        fam = None
        if self.mono and lang == "en" and rng.random() < 0.7:
            fam = self.mono[int(rng.integers(len(self.mono)))]
            font = self.latin.font(fam[int(rng.integers(len(fam)))], body)
            face = self.latin.faces[fam[0]]
        else:
            font, face = self._font(rng, lang, body)
        color = text_color(rng, 235.0, min_contrast=float(rng.uniform(70, 150)))
        fill = tuple(int(c) for c in color)
        lead = body * rng.uniform(1.15, 1.6)
        upper = lang == "en" and rng.random() < 0.7

        def words(width: float) -> str:
            t = self._line_text(rng, lang, font, face, width)
            return t.upper() if upper and face.covers(t.upper()) else t

        def amount() -> str:
            v = f"{rng.uniform(0, 500) if rng.random() < 0.9 else rng.uniform(500, 9999):.2f}"
            return v if rng.random() < 0.7 else str(rng.choice(["RM", "$", "", "SR "])) + v

        # header: shop name (larger, drawn separately), address, phone / tax numbers
        title = words(span * rng.uniform(0.4, 0.9) / 1.4)
        rows: list[list[tuple[str, str]] | None] = [
            [("c", words(span * rng.uniform(0.4, 0.9)))] for _ in range(int(rng.integers(0, 2)))
        ]
        rows += [[("c", words(span * rng.uniform(0.5, 1.0)))] for _ in range(rng.integers(1, 4))]
        digits = "".join(str(d) for d in rng.integers(0, 10, 10))
        for key in rng.choice(["TEL", "GST REG NO", "CO. REG", "TAX ID", "FAX"], 2, replace=False):
            rows.append([("c", f"{key}: {digits[: int(rng.integers(6, 11))]}")])
        meta = []
        for key in rng.choice(
            ["INVOICE NO", "DATE", "CASHIER", "TABLE", "BILL NO", "TIME"], 3, replace=False
        ):
            d, m, yr, hh, mm = (
                int(v) for v in rng.integers([1, 1, 10, 0, 0], [29, 13, 30, 24, 60])
            )
            val = {
                "DATE": f"{d:02d}/{m:02d}/20{yr}",
                "TIME": f"{hh:02d}:{mm:02d}",
                "CASHIER": words(span * 0.3),
            }.get(str(key), digits[:8])
            split = rng.random() >= 0.5
            meta.append([("l", f"{key}:"), ("r", val)] if split else [("l", f"{key}: {val}")])
        items = []
        columns = rng.random() < 0.5  # item table: name, quantity, unit price, amount columns
        if columns:
            items.append(
                [
                    ("l", str(rng.choice(["ITEM", "DESCRIPTION", "DESC"]))),
                    ("q", str(rng.choice(["QTY", "Q", "QTY."]))),
                    ("u", str(rng.choice(["PRICE", "U/P", "U.PRICE"]))),
                    ("r", str(rng.choice(["AMOUNT", "AMT", "TOTAL"]))),
                ]
            )
        for _ in range(int(rng.integers(2, 15))):
            price = amount()
            if columns:
                qty = str(int(rng.integers(1, 10)) if rng.random() < 0.8 else rng.integers(10, 100))
                name = words(span * rng.uniform(0.15, 0.4))
                unit = f"{rng.uniform(0, 500):.2f}"
                items.append([("l", name), ("q", qty), ("u", unit), ("r", price)])
            elif rng.random() < 0.4:  # quantity line under the item
                qty = f"{int(rng.integers(1, 10))} x {amount()}"
                items += [[("l", words(span * rng.uniform(0.3, 0.7)))], [("i", qty), ("r", price)]]
            else:
                items.append([("l", words(span * rng.uniform(0.3, 0.7))), ("r", price)])
        currency = rng.random() < 0.3  # the currency printed in its own column
        totals = [
            [("l", key), ("m", "RM"), ("r", amount().removeprefix("RM"))]
            if currency
            else [("l", key), ("r", amount())]
            for key in ["SUBTOTAL", "GST 6%", "ROUNDING", "TOTAL", "CASH", "CHANGE"]
            if rng.random() < 0.6
        ]
        footer = [[("c", words(span * rng.uniform(0.3, 0.8)))] for _ in range(rng.integers(1, 3))]
        for section in (meta, items, totals, footer):
            rows += ([None] if rng.random() < 0.8 else []) + section

        def place(align: str, text: str, f=font, after: float = -np.inf) -> float:
            """Draw one part unless it would run into the row's previous part (which ends at
            ``after``); returns where this row now ends."""
            if text and face.covers(text):
                x = {
                    "l": left,
                    "i": left + body * 2,
                    "r": right - f.getlength(text),
                    "c": left + max(0.0, (span - f.getlength(text)) / 2),
                    "q": left + span * q_edge - f.getlength(text),  # right-aligned columns
                    "u": left + span * u_edge - f.getlength(text),
                    "m": left + span * m_x,
                }[align]
                if x >= after + body * 0.8:
                    self._put_line(draw, mdraw, x, y, text, f, color, quads, texts)
                    return x + f.getlength(text)
            return after

        q_edge, u_edge, m_x = rng.uniform(0.5, 0.6), rng.uniform(0.72, 0.8), rng.uniform(0.5, 0.62)
        y = float(y0 + margin)
        place("c", title, self.latin.font(fam[0], int(body * 1.4)) if fam is not None else font)
        y += lead * 1.3
        y_end = min(H, y0 + ph) - body * 2
        dash = str(rng.choice(["-", "=", "*", "."]))
        dashes = dash * int(span / max(font.getlength(dash), 1))
        for row in rows:
            if y > y_end:
                break
            if row is not None:
                end = -np.inf
                for align, text in row:
                    end = place(align, text, after=end)
            elif face.covers(dash) and rng.random() < 0.5:
                draw.text((left, y), dashes, font=font, fill=fill)
            else:
                draw.line([(left, y + body * 0.5), (right, y + body * 0.5)], fill=fill, width=1)
            y += lead
        out = np.asarray(page).astype(np.float32)
        if rng.random() < 0.5:  # thermal print fading in bands
            band = low_freq_noise(rng, H, W, 4)[..., None]
            out = 255 - (255 - out) * (0.7 + 0.3 * band)
        out = np.clip(out, 0, 255).astype(np.uint8)
        return out, quads, texts, (np.asarray(ink) if ink is not None else None)

    # --- scenes ------------------------------------------------------------------------------------
    def _scene(self, rng: np.random.Generator):
        W0, H0 = self.size
        W, H = (int(W0 * rng.uniform(0.8, 1.1)), int(H0 * rng.uniform(0.5, 0.8)))
        if rng.random() < 0.4:
            W, H = H, W
        bg = background(rng, H // 2, W // 2, self.photos, weights=(0.1, 0.1, 0.15, 0.2, 0.45))
        img = cv2.resize(
            np.clip(bg, 0, 255).astype(np.uint8), (W, H), interpolation=cv2.INTER_LINEAR
        ).astype(np.float32)
        ink = np.zeros((H, W), np.uint8) if self.want_mask else None
        occupied = np.zeros((H // 8 + 1, W // 8 + 1), bool)
        quads: list[np.ndarray] = []
        texts: list[str] = []
        target = int(rng.integers(3, 16))
        for _ in range(target * 3):
            if len(quads) >= target:
                break
            lang = self._lang(rng)
            size = int(np.exp(rng.uniform(np.log(16), np.log(110))))
            font, face = self._font(rng, lang, size)
            sampler = self.en_text if lang == "en" else self.ch_text
            text = sampler.sample(rng)
            if not face.covers(text):
                continue
            if lang == "en" and rng.random() < 0.3 and face.covers(text.upper()):
                text = text.upper()
            if font.getlength(text) > W * 0.9:
                continue
            m = render_mask(text, font, pad=2)
            h0, w0 = m.shape
            bb = ink_bbox(m)
            if bb is None:
                continue
            M = random_homography(
                rng,
                w0,
                h0,
                rot_deg=30.0 if rng.random() < 0.5 else 5.0,
                shear=0.15,
                persp=float(rng.uniform(0, 0.08)),
            )
            pw, ph = warp_size(M, w0, h0)
            if pw >= W - 4 or ph >= H - 4:
                continue
            x = int(rng.integers(0, W - pw))
            y = int(rng.integers(0, H - ph))
            cell = occupied[y // 8 : (y + ph) // 8 + 1, x // 8 : (x + pw) // 8 + 1]
            if cell.any():
                continue
            cell[...] = True
            wm = cv2.warpPerspective(m, M, (pw, ph), flags=cv2.INTER_LINEAR)
            a = wm.astype(np.float32)[..., None] / 255.0
            region = img[y : y + ph, x : x + pw]
            color = text_color(rng, luminance(region), min_contrast=float(rng.uniform(80, 140)))
            if rng.random() < 0.25:  # plate behind the text (sign, label)
                pc = np.clip(255 - color + rng.normal(0, 20, 3), 0, 255).astype(np.float32)
                pad = max(2, size // 5)
                ys0, ys1 = max(0, y - pad), min(H, y + ph + pad)
                xs0, xs1 = max(0, x - pad), min(W, x + pw + pad)
                q = cv2.perspectiveTransform(_quad(bb[0], bb[1], bb[2], bb[3])[None], M)[
                    0
                ] + np.float32([x, y])
                poly = np.zeros((ys1 - ys0, xs1 - xs0), np.uint8)
                center = q.mean(axis=0)
                grown = q + np.sign(q - center) * pad
                cv2.fillConvexPoly(
                    poly, np.round(grown - np.float32([xs0, ys0])).astype(np.int32), 1
                )
                img[ys0:ys1, xs0:xs1][poly > 0] = pc
                region = img[y : y + ph, x : x + pw]
            region[...] = region * (1 - a) + color[None, None] * a
            if ink is not None:
                ink[y : y + ph, x : x + pw] = np.maximum(ink[y : y + ph, x : x + pw], wm)
            q = cv2.perspectiveTransform(_quad(bb[0], bb[1], bb[2], bb[3])[None], M)[
                0
            ] + np.float32([x, y])
            quads.append(q)
            texts.append(text)
        if rng.random() < self.distractor_ratio:
            add_distractors(rng, img, occupied, int(rng.integers(2, 12)))
        return np.clip(img, 0, 255).astype(np.uint8), quads, texts, ink

    # --- page-level augmentation ------------------------------------------------------------------
    def _page_augment(
        self, rng: np.random.Generator, img: np.ndarray, quads, ink, scene: bool = False
    ):
        h, w = img.shape[:2]
        if rng.random() < 0.5:
            M = random_homography(
                rng,
                w,
                h,
                rot_deg=6.0 if rng.random() < 0.7 else 15.0,
                shear=0.0,
                persp=float(rng.uniform(0, 0.03)),
            )
            # scale back to about the original size
            ow, oh = warp_size(M, w, h)
            s = min(w / ow, h / oh)
            M = np.diag([s, s, 1.0]) @ M
            size = (max(1, int(ow * s)), max(1, int(oh * s)))
            border = tuple(int(v) for v in rng.integers(0, 256, 3))
            img = cv2.warpPerspective(
                img,
                M,
                size,
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=border,
            )
            if ink is not None:
                ink = cv2.warpPerspective(ink, M, size, flags=cv2.INTER_LINEAR)
            quads = _transform(quads, M)
        img = photometric(img, rng, strength=0.7, blur_scale=1.0)
        return img, quads, ink
