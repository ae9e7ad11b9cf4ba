"""Character sets: the one source of truth for CTC class indices.

Index 0 is the CTC blank; characters take indices 1..N in file order. A charset file holds one
character per line (a line holding a single space *is* the space character).
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

BUILTIN_CHARSETS = ("en", "ch")


def is_hanzi(ch: str) -> bool:
    """A CJK Unified Ideograph of the basic block (U+4E00..U+9FFF): every hanzi of the ``ch``
    charset."""
    return "\u4e00" <= ch <= "\u9fff"


@dataclass(frozen=True)
class Charset:
    """An ordered set of characters with CTC blank at index 0.

    >>> cs = Charset.load("en")
    >>> cs.decode(cs.encode("Hello 42"))
    'Hello 42'
    """

    chars: tuple[str, ...]
    name: str = "custom"
    _index: dict[str, int] = field(default=None, init=False, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        seen: dict[str, int] = {}
        for i, ch in enumerate(self.chars):
            if len(ch) != 1:
                raise ValueError(f"charset {self.name!r}: entry {i} is {ch!r}, not one character")
            if ch in seen:
                raise ValueError(
                    f"charset {self.name!r}: duplicate character {ch!r} (entries {seen[ch]} and {i})"
                )
            seen[ch] = i + 1
        object.__setattr__(self, "_index", seen)

    # --- construction -------------------------------------------------------------------
    @classmethod
    def load(cls, spec: str | Path) -> Charset:
        """Load a built-in charset by name (``en``, ``ch``) or a dictionary file by path."""
        if isinstance(spec, str) and spec in BUILTIN_CHARSETS:
            text = resources.files("openocr.assets.charsets").joinpath(f"{spec}.txt").read_bytes()
            return cls.from_text(text.decode("utf-8"), name=spec)
        path = Path(spec)
        if not path.is_file():
            raise FileNotFoundError(
                f"charset {str(spec)!r} is neither a built-in ({', '.join(BUILTIN_CHARSETS)}) nor a file"
            )
        return cls.from_text(path.read_bytes().decode("utf-8"), name=path.stem)

    @classmethod
    def from_text(cls, text: str, name: str = "custom", add_space: bool = False) -> Charset:
        """Parse dictionary text: one character per line, line endings stripped, spaces kept."""
        lines = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
        chars = [ln for ln in lines if ln != ""]
        if add_space and " " not in chars:
            chars.append(" ")
        return cls(tuple(chars), name=name)

    @classmethod
    def of_size(cls, num_classes: int) -> Charset:
        """A placeholder charset with ``num_classes`` classes (blank included), e.g. 6625."""
        return cls(
            tuple(chr(0x4E00 + i) for i in range(num_classes - 1)), name=f"size{num_classes}"
        )

    # --- properties ---------------------------------------------------------------------
    @property
    def num_classes(self) -> int:
        """Number of CTC classes: characters + blank."""
        return len(self.chars) + 1

    @property
    def digest(self) -> str:
        return hashlib.sha256("\n".join(self.chars).encode("utf-8")).hexdigest()[:16]

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, ch: object) -> bool:
        return ch in self._index

    # --- coding -------------------------------------------------------------------------
    def normalize(self, text: str) -> str:
        """Map text onto the charset: characters outside it are NFKC-folded if that helps
        (full-width forms, ligatures), else dropped. Runs of whitespace become one space if the
        charset has a space, and the result is stripped."""
        out: list[str] = []
        for ch in text:
            if ch in self._index:
                out.append(ch)
                continue
            folded = unicodedata.normalize("NFKC", ch)
            if ch.isspace() or folded.isspace():
                out.append(" ")
            elif folded and all(c in self._index for c in folded):
                out.append(folded)
        joined = "".join(out)
        if " " in self._index:
            joined = " ".join(joined.split())
        else:
            joined = joined.replace(" ", "")
        return joined

    def encode(self, text: str, strict: bool = False) -> list[int]:
        """Text to class indices (1-based). Unknown characters are dropped, or raise if strict."""
        ids = []
        for ch in text:
            idx = self._index.get(ch)
            if idx is None:
                if strict:
                    raise KeyError(f"character {ch!r} is not in charset {self.name!r}")
                continue
            ids.append(idx)
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """Class indices to text; blank (0) is skipped. No repeat collapse (see postprocess.ctc)."""
        chars = self.chars
        return "".join(chars[i - 1] for i in ids if i > 0)

    def covers(self, text: str) -> bool:
        return all(ch in self._index for ch in text)

    def lookup_table(self) -> Sequence[str]:
        """Class index -> character, with '' at the blank index (for vectorized decoding)."""
        return ("",) + self.chars

    # --- metadata -----------------------------------------------------------------------
    def to_metadata(self) -> str:
        return json.dumps({"name": self.name, "chars": "".join(self.chars)}, ensure_ascii=False)

    @classmethod
    def from_metadata(cls, meta: str) -> Charset:
        data = json.loads(meta)
        return cls(tuple(data["chars"]), name=data.get("name", "custom"))
