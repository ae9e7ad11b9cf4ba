"""Text sampling for synthetic lines: corpora (installed or bundled) plus programmatic fields.

Sources are optional and used when present: wordfreq (pip), /usr/share/dict words (wamerican),
fortunes (apt), jieba's dictionary (pip), fortunes-zh (apt). Without them a bundled list of
common English words and uniform charset draws are used. ``export_corpus(DIR)`` snapshots them
into gzipped text files; with ``OPENOCR_CORPUS_DIR=DIR`` set, those files are read instead (a
machine without the packages then samples the same text, e.g. a lent GPU).
"""

from __future__ import annotations

import glob
import gzip
import os
import re
import string
from functools import lru_cache
from importlib import resources

import numpy as np

from ..charset import Charset

FORTUNE_DIR = "/usr/share/games/fortunes"
DICT_WORDS = ("/usr/share/dict/american-english", "/usr/share/dict/words")
TLDS = ("com", "org", "net", "io", "edu", "gov", "co.uk", "de", "cn", "info", "us", "biz")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS_LONG = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\[[0-9;]*m")
STREETS = ("St", "Ave", "Rd", "Blvd", "Dr", "Ln", "Way", "Street", "Road", "Avenue", "Hwy")
CORPUS_ENV = "OPENOCR_CORPUS_DIR"


class Weighted:
    """Items with sampling weights (cumulative, binary-searched)."""

    def __init__(self, items: list[str], weights: np.ndarray | None = None):
        self.items = items
        w = np.ones(len(items)) if weights is None else np.asarray(weights, np.float64)
        self.cum = np.cumsum(w / w.sum())

    def __len__(self) -> int:
        return len(self.items)

    def __call__(self, rng: np.random.Generator) -> str:
        i = int(np.searchsorted(self.cum, rng.random(), side="right"))
        return self.items[min(i, len(self.items) - 1)]


@lru_cache(maxsize=4)
def _bundled_words() -> tuple[str, ...]:
    text = resources.files("openocr.assets").joinpath("synth/words_en.txt").read_text("utf-8")
    return tuple(w for w in text.split() if w)


def _snapshot(name: str) -> list[str] | None:
    """Lines of ``$OPENOCR_CORPUS_DIR/<name>.txt.gz`` when that file exists, else None."""
    folder = os.environ.get(CORPUS_ENV)
    path = os.path.join(folder, f"{name}.txt.gz") if folder else ""
    if not path or not os.path.isfile(path):
        return None
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return f.read().split("\n")[:-1]


def _weighted_snapshot(name: str) -> tuple[tuple[str, ...], tuple[float, ...]] | None:
    lines = _snapshot(name)
    if lines is None:
        return None
    pairs = [ln.rsplit("\t", 1) for ln in lines]
    return tuple(w for w, _ in pairs), tuple(float(x) for _, x in pairs)


def export_corpus(out_dir: str, max_zh_words: int = 150_000) -> dict[str, int]:
    """Write the corpora this machine has to ``out_dir`` (see the module docstring); returns the
    number of entries per file. Chinese words are kept by weight, the ``max_zh_words`` first."""
    os.makedirs(out_dir, exist_ok=True)
    zh, zh_w = chinese_words()
    top = sorted(range(len(zh)), key=lambda i: -zh_w[i])[:max_zh_words]
    en, en_w = english_words()
    tables = {
        "en_words": [f"{w}\t{x:.6g}" for w, x in zip(en, en_w, strict=True)],
        "en_dict": list(dict_words()),
        "en_sentences": list(english_sentences()),
        "zh_words": [f"{zh[i]}\t{zh_w[i]:.6g}" for i in top],
        "zh_sentences": list(chinese_sentences()),
    }
    for name, lines in tables.items():
        with gzip.open(os.path.join(out_dir, f"{name}.txt.gz"), "wt", encoding="utf-8") as f:
            f.write("".join(ln + "\n" for ln in lines))
    return {name: len(lines) for name, lines in tables.items()}


@lru_cache(maxsize=4)
def english_words() -> tuple[tuple[str, ...], tuple[float, ...]]:
    """(words, weights): wordfreq by flattened Zipf rank, else dict words, else bundled list."""
    snap = _weighted_snapshot("en_words")
    if snap is not None:
        return snap
    try:
        import wordfreq

        words = [w for w in wordfreq.top_n_list("en", 60000, wordlist="large") if w.isascii()]
        ranks = np.arange(len(words), dtype=np.float64)
        return tuple(words), tuple((ranks + 50.0) ** -0.6)
    except Exception:
        pass
    words = list(_bundled_words())
    return tuple(words), tuple(np.ones(len(words)))


@lru_cache(maxsize=4)
def dict_words() -> tuple[str, ...]:
    snap = _snapshot("en_dict")
    if snap is not None:
        return tuple(snap)
    for p in DICT_WORDS:
        if os.path.isfile(p):
            with open(p, encoding="utf-8", errors="ignore") as f:
                return tuple(w.strip() for w in f if w.strip().isascii() and w.strip())
    return _bundled_words()


def _read_fortunes(names: list[str]) -> list[str]:
    out: list[str] = []
    for path in names:
        try:
            with open(path, encoding="utf-8", errors="ignore") as f:
                text = f.read()
        except OSError:
            continue
        text = ANSI.sub("", text)
        for entry in text.split("\n%\n"):
            for line in entry.split("\n"):
                line = " ".join(line.split())
                if len(line) >= 4 and len(set(line)) > 3:
                    out.append(line)
    return out


@lru_cache(maxsize=2)
def english_sentences() -> tuple[str, ...]:
    snap = _snapshot("en_sentences")
    if snap is not None:
        return tuple(snap)
    skip = ("art", "ascii-art", "chinese", "tang300", "song100", "debian-hints", "off")
    files = [
        p
        for p in sorted(glob.glob(os.path.join(FORTUNE_DIR, "*")))
        if "." not in os.path.basename(p) and os.path.basename(p) not in skip
    ]
    lines = [
        ln
        for ln in _read_fortunes(files)
        if ln.isascii() and sum(c.isalpha() for c in ln) > len(ln) * 0.6
    ]
    return tuple(lines)


@lru_cache(maxsize=2)
def chinese_words() -> tuple[tuple[str, ...], tuple[float, ...]]:
    """jieba's dictionary with freq**0.5 weights; empty if jieba is absent."""
    snap = _weighted_snapshot("zh_words")
    if snap is not None:
        return snap
    try:
        path = str(resources.files("jieba").joinpath("dict.txt"))
        words, weights = [], []
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2:
                    words.append(parts[0])
                    weights.append(float(parts[1]) ** 0.5)
        return tuple(words), tuple(weights)
    except Exception:
        return (), ()


@lru_cache(maxsize=2)
def chinese_sentences() -> tuple[str, ...]:
    snap = _snapshot("zh_sentences")
    if snap is not None:
        return tuple(snap)
    files = [os.path.join(FORTUNE_DIR, n) for n in ("chinese", "tang300", "song100")]
    return tuple(ln for ln in _read_fortunes(files) if not ln.isascii())


# --- programmatic fields ------------------------------------------------------------------------
def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, n))


def _letters(rng: np.random.Generator, n: int, alphabet: str = string.ascii_uppercase) -> str:
    return "".join(alphabet[i] for i in rng.integers(0, len(alphabet), n))


def _word(rng: np.random.Generator) -> str:
    w = dict_words()
    return w[int(rng.integers(len(w)))]


def field_en(rng: np.random.Generator) -> str:
    """A random structured string: price, date, time, phone, e-mail, URL, ID, code, number..."""
    k = int(rng.integers(16))
    r = rng.random
    if k == 0:  # price
        v = float(np.exp(rng.uniform(0, 9)))
        s = f"{v:,.2f}" if r() < 0.5 else f"{v:.2f}"
        return (
            rng.choice(["$", "$", "", "USD ", "EUR "]) + s
            if r() < 0.8
            else s + rng.choice([" USD", "/kg", " ea"])
        )
    if k == 1:  # date
        y, m, d = int(rng.integers(1950, 2035)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
        fmts = (
            f"{y}-{m:02d}-{d:02d}",
            f"{m:02d}/{d:02d}/{y}",
            f"{d:02d}.{m:02d}.{y}",
            f"{d} {MONTHS[m - 1]} {y}",
            f"{MONTHS_LONG[m - 1]} {d}, {y}",
            f"{d:02d}-{MONTHS[m - 1].upper()}-{y % 100:02d}",
            f"{m}/{d}/{y % 100:02d}",
        )
        return fmts[int(rng.integers(len(fmts)))]
    if k == 2:  # time
        h, mi, s = int(rng.integers(0, 24)), int(rng.integers(0, 60)), int(rng.integers(0, 60))
        fmts = (
            f"{h:02d}:{mi:02d}",
            f"{h:02d}:{mi:02d}:{s:02d}",
            f"{h % 12 + 1}:{mi:02d} {rng.choice(['AM', 'PM', 'am', 'pm'])}",
        )
        return fmts[int(rng.integers(len(fmts)))]
    if k == 3:  # phone
        a, b, c = _digits(rng, 3), _digits(rng, 3), _digits(rng, 4)
        fmts = (
            f"({a}) {b}-{c}",
            f"{a}-{b}-{c}",
            f"+1 {a} {b} {c}",
            f"{a}.{b}.{c}",
            f"+{int(rng.integers(1, 99))} {_digits(rng, 2)} {_digits(rng, 4)} {_digits(rng, 4)}",
            f"Tel: {a}-{b}-{c}",
        )
        return fmts[int(rng.integers(len(fmts)))]
    if k == 4:  # e-mail
        user = _word(rng).lower().replace("'", "")
        if r() < 0.5:
            user += rng.choice([".", "_", ""]) + (
                _word(rng).lower().replace("'", "")
                if r() < 0.5
                else _digits(rng, int(rng.integers(1, 4)))
            )
        return f"{user}@{_word(rng).lower().replace(chr(39), '')}.{rng.choice(TLDS)}"
    if k == 5:  # URL
        host = _word(rng).lower().replace("'", "") + rng.choice(
            ["", "-" + _word(rng).lower().replace("'", "")]
        )
        s = f"{rng.choice(['www.', 'https://', 'http://', 'https://www.', ''])}{host}.{rng.choice(TLDS)}"
        if r() < 0.4:
            s += "/" + _word(rng).lower().replace("'", "")
        return s
    if k == 6:  # ID / invoice / order number
        fmts = (
            f"{_letters(rng, int(rng.integers(1, 4)))}-{_digits(rng, int(rng.integers(3, 8)))}",
            f"#{_digits(rng, int(rng.integers(3, 8)))}",
            f"{rng.choice(['INV', 'NO.', 'No.', 'ID', 'REF', 'SKU', 'PO'])}{rng.choice(['', ' ', ':', ': ', '#'])}{_digits(rng, int(rng.integers(4, 10)))}",
            _letters(rng, 2) + _digits(rng, int(rng.integers(6, 12))),
        )
        return fmts[int(rng.integers(len(fmts)))]
    if k == 7:  # alphanumeric code / licence plate / serial
        alpha = string.ascii_uppercase + string.digits
        n = int(rng.integers(3, 11))
        s = _letters(rng, n, alpha)
        if r() < 0.4:
            cut = int(rng.integers(1, n))
            s = s[:cut] + rng.choice(["-", " ", "."]) + s[cut:]
        return s
    if k == 8:  # plain numbers
        fmts = (
            str(int(rng.integers(0, 10 ** int(rng.integers(1, 7))))),
            f"{rng.uniform(0, 1000):.{int(rng.integers(1, 4))}f}",
            f"{int(rng.integers(0, 10**7)):,}",
            f"{rng.uniform(0, 100):.1f}%",
            f"{int(rng.integers(1, 100))}%",
            f"{rng.choice(['-', '+'])}{rng.uniform(0, 100):.2f}",
        )
        return fmts[int(rng.integers(len(fmts)))]
    if k == 9:  # address line
        return f"{int(rng.integers(1, 9999))} {_word(rng).capitalize()} {rng.choice(STREETS)}{rng.choice(['', '.', ','])}"
    if k == 10:  # quantity / measurement
        units = (
            "kg",
            "g",
            "lb",
            "oz",
            "ml",
            "L",
            "cm",
            "mm",
            "m",
            "km",
            "in",
            "ft",
            "pcs",
            "x",
            "GB",
            "MB",
            "V",
            "W",
            "mph",
            "km/h",
        )
        return f"{rng.uniform(0, 500):.{int(rng.integers(0, 3))}f}{rng.choice(['', ' '])}{rng.choice(units)}"
    if k == 11:  # key: value
        key = _word(rng).capitalize()
        return f"{key}: {field_en(rng) if r() < 0.5 else _word(rng)}"
    if k == 12:  # hex / hash
        return "".join(rng.choice(list("0123456789abcdef"), int(rng.integers(4, 16))))
    if k == 13:  # IP / version
        if r() < 0.5:
            return ".".join(str(int(x)) for x in rng.integers(0, 256, 4))
        return f"v{int(rng.integers(0, 20))}.{int(rng.integers(0, 30))}.{int(rng.integers(0, 100))}"
    if k == 14:  # card / account groups
        return " ".join(_digits(rng, 4) for _ in range(int(rng.integers(2, 5))))
    # page / chapter / misc abbreviations
    return f"{rng.choice(['Page', 'p.', 'Fig.', 'No.', 'Vol.', 'Ch.', 'Tab.', 'Room', 'Gate', 'Exit'])} {int(rng.integers(1, 500))}"


def field_zh(rng: np.random.Generator) -> str:
    k = int(rng.integers(8))
    y, m, d = int(rng.integers(1950, 2035)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
    if k == 0:
        return f"{y}年{m}月{d}日"
    if k == 1:
        return f"{rng.choice(['￥', '¥', '', 'RMB'])}{float(np.exp(rng.uniform(0, 9))):.2f}{rng.choice(['', '元', ''])}"
    if k == 2:
        return f"{rng.choice(['电话', 'Tel', '手机', '联系电话'])}{rng.choice(['：', ':'])}1{_digits(rng, 10)}"
    if k == 3:
        return f"{rng.choice(['订单号', '编号', '发票号码', 'NO.'])}{rng.choice(['：', ':'])}{_digits(rng, int(rng.integers(6, 14)))}"
    if k == 4:
        return f"{int(rng.integers(1, 999))}{rng.choice(['号', '室', '栋', '层', '号楼'])}"
    if k == 5:
        return f"{rng.uniform(0, 100):.{int(rng.integers(0, 3))}f}{rng.choice(['%', '公斤', '千克', '克', '米', '件', '个'])}"
    if k == 6:
        return f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}"
    return field_en(rng)


def apply_case(rng: np.random.Generator, s: str, upper: float = 0.25) -> str:
    u = rng.random()
    if u < upper:
        return s.upper()
    if u < upper + 0.25:
        return s.title() if " " in s else s.capitalize()
    if u < upper + 0.27:
        return "".join(c.upper() if rng.random() < 0.5 else c for c in s)
    return s


class TextSampler:
    """Samples normalized, nonempty strings of at most ``max_len`` characters of ``charset``
    that the given character set (fonts) can draw."""

    def __init__(
        self,
        charset: Charset,
        max_len: int = 25,
        drawable: set[str] | None = None,
        lang: str | None = None,
    ):
        self.charset = charset
        self.max_len = max_len
        self.lang = lang or ("en" if len(charset) < 200 else "ch")
        chars = [c for c in charset.chars if c != " " and (drawable is None or c in drawable)]
        if not chars:
            raise ValueError("no character of the charset can be drawn by the available fonts")
        if self.lang == "en":  # English text on a larger charset: random strings stay ASCII
            chars = [c for c in chars if c.isascii()] or chars
        self.drawable = drawable
        self.random_chars = chars
        w, wt = english_words()
        self.en_words = Weighted(list(w), np.asarray(wt))
        self.en_sentences = english_sentences()
        if self.lang != "en":
            zw, zwt = chinese_words()
            if zw:
                self.zh_words: Weighted | None = Weighted(list(zw), np.asarray(zwt))
            else:
                self.zh_words = None
            self.zh_sentences = chinese_sentences()

    # --- pieces -------------------------------------------------------------------------------
    def _fragment(self, rng: np.random.Generator, lines: tuple[str, ...], n: int) -> str:
        line = lines[int(rng.integers(len(lines)))]
        if len(line) <= n:
            return line
        start = int(rng.integers(0, len(line) - n + 1))
        frag = line[start : start + n]
        if self.lang == "en" and " " in frag:  # cut at word boundaries
            parts = frag.split(" ")
            if start > 0 and len(parts) > 1:
                parts = parts[1:]
            if len(parts) > 1 and start + n < len(line):
                parts = parts[:-1]
            frag = " ".join(parts)
        return frag

    def _random_string(self, rng: np.random.Generator) -> str:
        n = int(rng.integers(1, min(self.max_len, 16) + 1))
        pool = self.random_chars
        s = "".join(pool[i] for i in rng.integers(0, len(pool), n))
        if n > 4 and " " in self.charset and rng.random() < 0.3:
            i = int(rng.integers(1, n - 1))
            s = s[:i] + " " + s[i + 1 :]
        return s

    def _en(self, rng: np.random.Generator) -> str:
        u = rng.random()
        if u < 0.5:  # single word (what the standard scene-text sets hold)
            w = self.en_words(rng) if rng.random() < 0.75 else _word(rng)
            w = apply_case(rng, w, upper=0.45)  # signs, titles: scene words are often capitals
            if rng.random() < 0.12:
                w = w + str(rng.choice(list(".,:;!?)'\"")))
            elif rng.random() < 0.04:
                w = str(rng.choice(list("(\"'#$"))) + w
            return w
        if u < 0.66:  # phrase
            n = int(rng.integers(2, 6))
            return apply_case(rng, " ".join(self.en_words(rng) for _ in range(n)), upper=0.25)
        if u < 0.76 and self.en_sentences:
            s = self._fragment(rng, self.en_sentences, int(rng.integers(6, self.max_len + 1)))
            return s.upper() if rng.random() < 0.08 else s
        if u < 0.94:
            s = field_en(rng)
            return s.upper() if rng.random() < 0.1 else s
        return self._random_string(rng)

    def _zh(self, rng: np.random.Generator) -> str:
        u = rng.random()
        if u < 0.32 and self.zh_words is not None:
            n = int(rng.integers(1, 6))
            return "".join(self.zh_words(rng) for _ in range(n))
        if u < 0.55 and self.zh_sentences:
            return self._fragment(rng, self.zh_sentences, int(rng.integers(2, self.max_len + 1)))
        if u < 0.70:
            return self._random_string(rng)
        if u < 0.85:
            parts = [
                self.zh_words(rng)
                if self.zh_words is not None and rng.random() < 0.7
                else field_zh(rng)
                for _ in range(int(rng.integers(2, 4)))
            ]
            if rng.random() < 0.4:
                parts.insert(int(rng.integers(len(parts) + 1)), self._en(rng))
            return "".join(parts) if rng.random() < 0.7 else " ".join(parts)
        if u < 0.93:
            return field_zh(rng)
        return self._en(rng)

    def sample(self, rng: np.random.Generator) -> str:
        for _ in range(50):
            raw = self._en(rng) if self.lang == "en" else self._zh(rng)
            s = self.charset.normalize(raw)
            if self.drawable is not None:
                s = "".join(c for c in s if c in self.drawable or c == " ")
                s = " ".join(s.split()) if " " in self.charset else s
            if len(s) > self.max_len:
                s = s[: self.max_len].rstrip()
            if s and len(set(s)) > (1 if len(s) > 3 else 0):
                return s
        return self.random_chars[int(rng.integers(len(self.random_chars)))]
