"""Result objects: ``Page`` -> ``TextLine`` -> optional ``Word``.

Coordinates are absolute pixels of the original image, ``[[x, y], ...]`` (quads ordered TL, TR,
BR, BL). Lines are stored in reading order. An empty result is an empty ``Page``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


def _points(points: Any) -> list[list[int]]:
    return [[int(round(float(x))), int(round(float(y)))] for x, y in (p[:2] for p in points)]


@dataclass
class Word:
    """A space-separated word inside a line (from CTC timesteps)."""

    text: str
    score: float
    points: list[list[int]]

    def __post_init__(self) -> None:
        self.score = float(self.score)
        self.points = _points(self.points)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "score": self.score, "points": self.points}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Word:
        return cls(d["text"], float(d["score"]), _points(d["points"]))


@dataclass
class TextLine:
    """One detected and recognized text line.

    ``score`` is the recognition confidence (mean of per-character max probabilities);
    ``det_score`` the detector's box score.
    """

    text: str
    score: float
    points: list[list[int]]
    det_score: float | None = None
    words: list[Word] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.score = float(self.score)
        self.det_score = None if self.det_score is None else float(self.det_score)
        self.points = _points(self.points)

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """Axis-aligned (x0, y0, x1, y1)."""
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return min(xs), min(ys), max(xs), max(ys)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text, "score": self.score, "points": self.points}
        if self.det_score is not None:
            d["det_score"] = self.det_score
        if self.words:
            d["words"] = [w.to_dict() for w in self.words]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TextLine:
        return cls(
            text=d["text"],
            score=float(d["score"]),
            points=d["points"],
            det_score=None if d.get("det_score") is None else float(d["det_score"]),
            words=[Word.from_dict(w) for w in d.get("words", [])],
        )

    def to_reference(self) -> dict[str, Any]:
        """The reference's per-box dict: transcription, points, score."""
        return {"transcription": self.text, "points": self.points, "score": self.score}


@dataclass
class Page:
    """OCR result for one image (or one page of a multi-page file).

    >>> page = Page(width=100, height=40, lines=[TextLine("hi", 0.9, [[0, 0], [9, 0], [9, 5], [0, 5]])])
    >>> page.text, len(page), Page.from_dict(page.to_dict()) == page
    ('hi', 1, True)
    """

    width: int
    height: int
    lines: list[TextLine] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    source: str | None = None
    page_index: int = 0

    def __len__(self) -> int:
        return len(self.lines)

    def __iter__(self):
        return iter(self.lines)

    def __getitem__(self, i: int) -> TextLine:
        return self.lines[i]

    @property
    def text(self) -> str:
        """Plain text, one line per text line, in reading order."""
        return "\n".join(line.text for line in self.lines)

    @property
    def score(self) -> float:
        return sum(ln.score for ln in self.lines) / len(self.lines) if self.lines else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "page_index": self.page_index,
            "width": self.width,
            "height": self.height,
            "lines": [ln.to_dict() for ln in self.lines],
            "timings": dict(self.timings),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Page:
        return cls(
            width=int(d["width"]),
            height=int(d["height"]),
            lines=[TextLine.from_dict(ln) for ln in d.get("lines", [])],
            timings={k: float(v) for k, v in d.get("timings", {}).items()},
            source=d.get("source"),
            page_index=int(d.get("page_index", 0)),
        )

    def to_json(self, **kwargs: Any) -> str:
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(self.to_dict(), **kwargs)

    def to_reference(self) -> list[dict[str, Any]]:
        """The reference's list of ``{"transcription", "points", "score"}`` dicts."""
        return [ln.to_reference() for ln in self.lines]

    def to_markdown(self) -> str:
        return "\n\n".join(ln.text for ln in self.lines)

    def normalized(self) -> list[dict[str, Any]]:
        """Lines with points relative to the page size (0..1)."""
        w, h = max(self.width, 1), max(self.height, 1)
        return [
            {"text": ln.text, "score": ln.score, "points": [[x / w, y / h] for x, y in ln.points]}
            for ln in self.lines
        ]

    def draw(self, image: Any, drop_score: float = 0.0, font_path: str | None = None) -> Any:
        """The two-panel visualisation (RGB uint8 array); ``image`` is the page's image."""
        from .viz import draw_ocr

        return draw_ocr(image, self, drop_score=drop_score, font_path=font_path)
