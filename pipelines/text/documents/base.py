"""What a reader returns: the text of one document, how it was got, or why there is none."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """What became of one attachment; everything but ``ok`` keeps the bytes for a later ``reextract``."""

    OK = "ok"
    NEEDS_OCR = "needs_ocr"  # image-only (scans, 图片版) and no OCR engine installed
    NEEDS_CONVERTER = "needs_converter"  # DOC/WPS and neither antiword nor LibreOffice installed
    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"  # truncated, damaged, zip bomb, not the format it claims
    EMPTY = "empty"  # zero bytes, or a readable file without text
    TOO_LARGE = "too_large"
    TIMEOUT = "timeout"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True, slots=True)
class DocumentText:
    """Extracted text (paragraphs and table rows one per line, cells tab-joined) and how it was got."""

    text: str
    status: Status
    extractor: str
    format: str
    pages: int | None = None
    ocr: bool = False
    detail: str = ""
    ocr_confidence: float | None = None  # Tesseract's mean word confidence (0–100) when OCR ran
    ocr_pages: tuple[int, ...] = ()  # scanned PDF pages (0-based) not OCR'd yet

    @property
    def ok(self) -> bool:
        return self.status is Status.OK


@dataclass(frozen=True, slots=True)
class OcrText:
    """Text of one image and Tesseract's mean word confidence (0–100; None without words)."""

    text: str
    confidence: float | None
    words: int = 0
