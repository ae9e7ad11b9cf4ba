"""Request options and response models of the HTTP API (the typed result schema of
``openocr.results``: page -> lines -> words, absolute pixel coordinates)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..postprocess.db import DBPostConfig as Post
from ..preprocess.det import DetPreConfig

Points = list[list[int]]


class DetOptions(BaseModel):
    """Detector options, as query parameters (or fields of a JSON body)."""

    model_config = ConfigDict(extra="forbid")

    thresh: float | None = Field(
        None, ge=0, le=1, description=f"binarization threshold ({Post.thresh})"
    )
    box_thresh: float | None = Field(
        None, ge=0, le=1, description=f"box score threshold ({Post.box_thresh})"
    )
    unclip_ratio: float | None = Field(
        None, gt=0, le=10, description=f"box expansion ({Post.unclip_ratio})"
    )
    score_mode: Literal["slow", "fast"] | None = Field(
        None, description=f"box scoring ({Post.score_mode})"
    )
    limit_side_len: int | None = Field(
        None,
        ge=32,
        le=4096,
        description=f"detector input size ({DetPreConfig.limit_side_len}): images over a square "
        "of this side in pixels are shrunk to it",
    )
    limit_type: Literal["area", "max", "min"] | None = Field(
        None, description="area: pixel budget (default); max: long side; min: short side"
    )
    max_pages: int | None = Field(
        None, ge=1, description="pages of a PDF/TIFF/GIF to process (capped by the server limit)"
    )


class OCROptions(DetOptions):
    drop_score: float | None = Field(
        None, ge=0, le=1, description="drop lines whose recognition score is below this"
    )


class OCRJSONRequest(OCROptions):
    """JSON body of /v1/ocr and /v1/det: a base64 image (or ``data:`` URL) plus options."""

    image: str = Field(..., description="base64 image or PDF, or a data: URL")
    filename: str | None = Field(None, description="label echoed as the page's source")


class RecJSONRequest(BaseModel):
    """JSON body of /v1/rec: base64 crops of single text lines."""

    model_config = ConfigDict(extra="forbid")

    images: list[str] = Field(..., min_length=1, description="base64 line crops")


class WordModel(BaseModel):
    text: str
    score: float
    points: Points


class LineModel(BaseModel):
    text: str
    score: float = Field(description="recognition confidence")
    points: Points = Field(description="quad TL, TR, BR, BL (or polygon), source pixels")
    det_score: float | None = None
    words: list[WordModel] = []


class PageModel(BaseModel):
    source: str | None
    page_index: int
    width: int
    height: int
    lines: list[LineModel]
    timings: dict[str, float]


class OCRResponse(BaseModel):
    pages: list[PageModel]
    text: str = Field(description="all lines in reading order; pages separated by a blank line")
    elapsed: float = Field(description="seconds spent in the worker")


class BoxModel(BaseModel):
    points: Points
    score: float


class DetPageModel(BaseModel):
    source: str | None
    page_index: int
    width: int
    height: int
    boxes: list[BoxModel]
    timings: dict[str, float]


class DetResponse(BaseModel):
    pages: list[DetPageModel]
    elapsed: float


class RecItem(BaseModel):
    text: str
    score: float
    char_scores: list[float]


class RecResponse(BaseModel):
    results: list[RecItem]
    elapsed: float


class ErrorResponse(BaseModel):
    detail: str
