"""Font index: which characters each installed face really draws, and per-line font choice.

A face is scanned once (cmap via fontTools, then a non-empty-ink check per character with
Pillow) for the characters of the built-in charsets; the result is cached as JSON under
``~/.cache/openocr/`` keyed by the font files' paths, sizes and mtimes; a file whose size and
mtime are unchanged is not scanned again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import string
import sys
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import ImageFont

INDEX_VERSION = 4
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
SYSTEM_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "C:/Windows/Fonts",
)
# Faces that map code points to placeholders, draw symbols, digits only, pixels or are not free.
BLOCKLIST = (
    "lastresort",
    "d050000l",
    "standardsymbol",
    "dseg",
    "droidsansfallback",
    "unifont",
    "simhei",
    "opensymbol",
    "symbol",
    "dingbat",
    "webdings",
    "wingding",
    "emoji",
    "cmex",
    "cmsy",
    "cmmi",
    "cmr10",
    "cmb10",
    "cmtt",
    "cmss",
    "stixsize",
    "stixnonuni",
    "mathtexgyre",
    "math",
    "monofett",
    "keyboard",  # Linux Biolinum Keyboard: every letter inside a key cap
    "ubuntu-title",  # draws lower-case letters for capitals
    "f500",  # one case for both
    "wargames",
    "abogado",
    "itwasn",
    "steve",
    "ocrbe",  # OCR-B "inverted": white letters in black cells
    "ocrbx",
    "sousyo",  # Kouzan's cursive (grass-script) cut: unreadable as print
)
# regional / width variants of one design count as one family when sampling
_VARIANT = re.compile(
    r"\s+(CN|HK|TW|JP|KR|SC|TC|MBE|Mono|Sharp|Condensed|Light|Medium|Black|Thin|ExtraLight|SemiBold|Bold)\b"
    r"|\s+-\s+\w+$"  # "kiloji - B", "kiloji - P"
    r"|(?<=BrushFont)Gyousyo$"  # Kouzan's semi-cursive cut of the same hand
)
LATIN_REQUIRED = "".join(chr(c) for c in range(33, 127))
LATIN_CAPS_DIGITS = string.ascii_uppercase + string.digits
_STYLE_SUFFIX = re.compile(r"(bold|italic|condensed)$")


def design_family(family: str) -> str:
    """Coarse design key for Latin faces: the family's first word, so that the many named
    cuts of one design (CMU Serif / CMU Bright, Tiresias Infofont / Signfont, OCRA / OCRABold)
    count once when sampling."""
    first = re.split(r"[\s_-]+", _VARIANT.sub("", family).strip() or family)[0].lower()
    return _STYLE_SUFFIX.sub("", first) or first


def _builtin_chars() -> str:
    chars: set[str] = set(chr(c) for c in range(32, 127))
    for name in ("en", "ch"):
        try:
            text = (
                resources.files("openocr.assets.charsets")
                .joinpath(f"{name}.txt")
                .read_text("utf-8")
            )
        except (FileNotFoundError, ModuleNotFoundError):
            continue
        chars.update(ch for ch in text.replace("\r", "").split("\n") if len(ch) == 1)
    return "".join(sorted(chars))


def bundled_font_dir() -> Path:
    return Path(str(resources.files("openocr.assets").joinpath("fonts")))


def _extra_dirs() -> list[Path]:
    dirs = [Path(p) for p in os.environ.get("OPENOCR_FONT_DIRS", "").split(os.pathsep) if p]
    # fonts shipped inside pip wheels (only those that are installed)
    for site in sys.path:
        for sub in (
            "matplotlib/mpl-data/fonts/ttf",
            "rendercv_fonts",
            "weblate_fonts",
            "deckr_fonts",
        ):
            p = Path(site) / sub
            if p.is_dir():
                dirs.append(p)
    return dirs


def find_font_files(dirs: list[Path] | None = None, system: bool = True) -> list[Path]:
    roots = list(dirs or [])
    if system:
        roots += [Path(os.path.expanduser(d)) for d in SYSTEM_FONT_DIRS] + _extra_dirs()
    roots.append(bundled_font_dir())
    seen: set[str] = set()
    files: list[Path] = []
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, _, names in os.walk(root, followlinks=True):
            for n in sorted(names):
                if n.lower().endswith(FONT_SUFFIXES):
                    p = Path(dirpath) / n
                    key = os.path.realpath(p)
                    if key not in seen:
                        seen.add(key)
                        files.append(p)
    return files


@dataclass
class Face:
    path: str
    index: int
    family: str
    style: str
    chars: str  # characters of the built-in charsets this face draws (space included)

    @property
    def key(self) -> str:
        return f"{self.path}#{self.index}"

    @property
    def is_latin(self) -> bool:
        return all(c in self._set for c in LATIN_REQUIRED)

    @property
    def _set(self) -> frozenset[str]:
        s = self.__dict__.get("_cset")
        if s is None:
            s = frozenset(self.chars)
            self.__dict__["_cset"] = s
        return s

    def covers(self, text: str) -> bool:
        s = self._set
        return all(c in s for c in text)


def _blocked(name: str) -> bool:
    n = name.lower().replace(" ", "").replace("_", "")
    return any(b in n for b in BLOCKLIST)


def _scan_file(path: Path, wanted: str) -> list[Face]:
    from fontTools.ttLib import TTCollection, TTFont

    try:
        if path.suffix.lower() in (".ttc", ".otc"):
            fonts = list(TTCollection(str(path), lazy=True).fonts)
        else:
            fonts = [TTFont(str(path), lazy=True, fontNumber=0)]
    except Exception:
        return []
    faces = []
    for idx, tt in enumerate(fonts):
        try:
            name = tt["name"]
            family = str(name.getBestFamilyName() or path.stem)
            style = str(name.getBestSubFamilyName() or "")
            cmap = tt.getBestCmap() or {}
        except Exception:
            continue
        if _blocked(family) or _blocked(path.stem):
            continue
        cand = [c for c in wanted if ord(c) in cmap]
        if len(cand) < 10:
            continue
        try:
            pil = ImageFont.truetype(str(path), 24, index=idx)
        except Exception:
            continue
        ok = [" "] if " " in cand else []
        shapes: set[bytes] = set()
        for c in cand:
            if c == " ":
                continue
            try:
                mask = pil.getmask(c)
            except Exception:
                continue
            if mask.getbbox() is None:
                continue
            ok.append(c)
            if c in "aAbBeEgG08" and len(shapes) < 20:
                shapes.add(bytes(mask))
        # a symbol font draws the same box for every letter
        latin_letters = sum(c in ok for c in "aAbBeEgG08")
        if latin_letters >= 8 and len(shapes) <= 2:
            continue
        if _unicase(pil, ok):  # capitals for both cases: lower-case text would be mislabelled
            ok = [c for c in ok if not ("a" <= c <= "z")]
        faces.append(Face(str(path), idx, family, style, "".join(ok)))
    return faces


def _unicase(pil: ImageFont.FreeTypeFont, chars: list[str]) -> bool:
    """True when lower-case letters are drawn as tall as capitals (an all-caps face): the
    median height ratio of x-height letters to their capitals is over 0.9 (0.6-0.8 in
    ordinary faces, about 0.8 in small caps)."""
    have = set(chars)
    ratios = []
    for lo in "acemnorsuvwxz":
        if lo in have and lo.upper() in have:
            a, b = pil.getbbox(lo), pil.getbbox(lo.upper())
            ratios.append((a[3] - a[1]) / max(b[3] - b[1], 1))
    return len(ratios) >= 8 and float(np.median(ratios)) > 0.9


def _settings(wanted: str) -> str:
    """What a scan's result depends on besides the files: index version, charsets, blocklist."""
    return f"v{INDEX_VERSION}\n{wanted}\n{BLOCKLIST}\n"


def _file_stamps(files: list[Path]) -> dict[str, str]:
    stamps = {}
    for p in files:
        try:
            st = p.stat()
        except OSError:
            continue
        stamps[str(p)] = f"{st.st_size}\t{int(st.st_mtime)}"
    return stamps


def _files_key(stamps: dict[str, str], settings: str) -> str:
    h = hashlib.sha256(settings.encode())
    for p, stamp in stamps.items():
        h.update(f"{p}\t{stamp}\n".encode())
    return h.hexdigest()[:20]


def _write_index(path: Path, settings_id: str, stamps: dict[str, str], faces: list[Face]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        faces_json = [{k: v for k, v in f.__dict__.items() if not k.startswith("_")} for f in faces]
        payload = {
            "version": INDEX_VERSION,
            "settings": settings_id,
            "stamps": stamps,
            "faces": faces_json,
        }
        tmp.write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def _reusable_scans(settings_id: str, stamps: dict[str, str]) -> dict[str, list[Face]]:
    """Faces per font file from the newest cached index with the same settings, for the files
    whose size and mtime are unchanged: adding one font then scans only that font."""
    try:
        cached = sorted(cache_dir().glob("font_index_*.json"), key=lambda q: -q.stat().st_mtime)
    except OSError:
        return {}
    for path in cached:
        try:
            data = json.loads(path.read_text("utf-8"))
            if data.get("settings") != settings_id:
                continue
            old = data["stamps"]
            same = {p for p, stamp in stamps.items() if old.get(p) == stamp}
            scans: dict[str, list[Face]] = {p: [] for p in same}
            for f in data["faces"]:
                if f["path"] in same:
                    scans[f["path"]].append(Face(**f))
            return scans
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return {}


def cache_dir() -> Path:
    base = os.environ.get("OPENOCR_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "openocr"
    )
    return Path(base)


class FontIndex:
    """All usable faces, with the characters each draws."""

    def __init__(self, faces: list[Face]):
        self.faces = faces

    @classmethod
    def load(
        cls, dirs: list[str | Path] | None = None, system: bool = True, cache: bool = True
    ) -> FontIndex:
        """Scan font directories (system + pip wheels + bundled, plus ``dirs``); cached."""
        wanted = _builtin_chars()
        settings = _settings(wanted)
        stamps = _file_stamps(find_font_files([Path(d) for d in dirs or []], system=system))
        path = cache_dir() / f"font_index_{_files_key(stamps, settings)}.json"
        settings_id = hashlib.sha256(settings.encode()).hexdigest()[:20]
        if cache and path.is_file():
            try:
                data = json.loads(path.read_text("utf-8"))
                faces = [Face(**f) for f in data["faces"]]
                if "stamps" not in data:  # written before reuse existed: make it reusable
                    _write_index(path, settings_id, stamps, faces)
                return cls(faces)
            except (OSError, ValueError, KeyError, TypeError):
                pass
        reused = _reusable_scans(settings_id, stamps) if cache else {}
        faces = []
        for p in stamps:
            faces.extend(reused[p] if p in reused else _scan_file(Path(p), wanted))
        if cache:
            _write_index(path, settings_id, stamps, faces)
        return cls(faces)

    def filter(
        self,
        exclude: tuple[str, ...] | list[str] = (),
        include: tuple[str, ...] | list[str] | None = None,
    ) -> FontIndex:
        """Drop faces whose family or file name contains any of ``exclude`` (case-insensitive);
        keep only those matching ``include`` when given."""

        def match(face: Face, pats) -> bool:
            hay = f"{face.family} {Path(face.path).stem}".lower()
            return any(p.lower() in hay for p in pats)

        faces = [f for f in self.faces if not match(f, exclude)]
        if include:
            faces = [f for f in faces if match(f, include)]
        return FontIndex(faces)


class FontPool:
    """Samples a face (family first, then style) that covers a given text; caches Pillow fonts."""

    def __init__(
        self,
        faces: list[Face],
        cache_size: int = 1024,
        family_key: Callable[[str], str] | None = None,
    ):
        if not faces:
            raise RuntimeError("no usable fonts found; run scripts/install_synth_resources.sh")
        self.faces = faces
        key = family_key or (lambda name: _VARIANT.sub("", name))
        fam: dict[str, list[int]] = {}
        for i, f in enumerate(faces):
            fam.setdefault(key(f.family), []).append(i)
        self.families = list(fam.values())
        self._cache: OrderedDict[tuple[int, int], ImageFont.FreeTypeFont] = OrderedDict()
        self._cache_size = cache_size

    def __len__(self) -> int:
        return len(self.faces)

    def pick(self, rng: np.random.Generator, text: str, tries: int = 12) -> int | None:
        """Index of a random face that draws every character of ``text``, or None."""
        for _ in range(tries):
            fam = self.families[int(rng.integers(len(self.families)))]
            i = fam[int(rng.integers(len(fam)))]
            if self.faces[i].covers(text):
                return i
        ok = [i for i, f in enumerate(self.faces) if f.covers(text)]
        if not ok:
            return None
        return ok[int(rng.integers(len(ok)))]

    def font(self, i: int, size: int) -> ImageFont.FreeTypeFont:
        key = (i, size)
        f = self._cache.get(key)
        if f is not None:
            self._cache.move_to_end(key)
            return f
        face = self.faces[i]
        f = ImageFont.truetype(face.path, size, index=face.index)
        self._cache[key] = f
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return f

    def chars(self) -> set[str]:
        out: set[str] = set()
        for f in self.faces:
            out.update(f.chars)
        return out
