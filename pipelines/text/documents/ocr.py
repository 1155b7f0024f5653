"""OCR for image-only reports with Tesseract (Apache-2.0) and its ``chi_sim`` model, when installed.

Tesseract is a system program, not a pip package, so it is optional: without it (or without the
chi_sim language data) scans are stored with status ``needs_ocr`` and ``nianbao reextract`` picks
them up once it is installed.  OCR text is marked (``ocr=True``, with Tesseract's mean word
confidence) because it is never exact.  A PDF's scanned pages are left in its text as marks
(:data:`OCR_MARK`) that :func:`fill_ocr` replaces, so pages can be OCR'd one per capped child.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from dataclasses import replace
from io import BytesIO
from typing import Any

from pipelines.text.documents.base import DocumentText, OcrText, Status
from pipelines.text.documents.layout import ascii_word

LANG = "chi_sim"
OCR_MARK = "\x00ocr page {}\x00"  # cannot occur in extracted text: PDFium drops NUL
_MARK = re.compile(r"\x00ocr page (\d+)\x00")
_TIMEOUT_S = 120


@functools.cache
def ocr_available() -> bool:
    """True when a ``tesseract`` binary with the chi_sim model is on PATH."""
    binary = shutil.which("tesseract")
    if binary is None:
        return False
    listed = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30)
    return LANG in (listed.stdout + listed.stderr).split()


def parse_tsv(tsv: str) -> OcrText:
    """Lines and mean confidence from ``tesseract … tsv`` output (CJK words joined without spaces)."""
    lines: dict[tuple[str, ...], str] = {}
    confidences: list[float] = []
    for record in tsv.splitlines()[1:]:
        fields = record.split("\t")
        if len(fields) < 12 or fields[0] != "5" or not fields[11].strip():
            continue
        word, key = fields[11].strip(), tuple(fields[1:5])  # page, block, paragraph, line
        confidences.append(float(fields[10]))
        line = lines.get(key, "")
        lines[key] = line + (" " if line and ascii_word(line[-1]) and ascii_word(word[0]) else "") + word
    mean = round(sum(confidences) / len(confidences), 1) if confidences else None
    return OcrText("\n".join(line for line in lines.values() if line), mean, len(confidences))


def ocr_image(image: Any) -> OcrText:
    """Text of one PIL image."""
    buf = BytesIO()
    image.save(buf, format="PNG")
    done = subprocess.run(["tesseract", "stdin", "stdout", "-l", LANG, "--psm", "6", "tsv"], input=buf.getvalue(),
                          capture_output=True, timeout=_TIMEOUT_S)
    return parse_tsv(done.stdout.decode("utf-8", "replace"))


def fill_ocr(result: DocumentText, texts: dict[int, OcrText], failed: str = "") -> DocumentText:
    """``result`` with its scanned pages' marks replaced by their OCR text; a page missing from ``texts``
    is dropped, and named in ``detail`` with the reason (``failed``, else why OCR did not run)."""
    if not result.ocr_pages:
        return result
    done = texts
    text = _MARK.sub(lambda m: done[int(m.group(1))].text if int(m.group(1)) in done else "", result.text)
    text = "\n".join(line for line in text.split("\n") if line.strip())
    missing = [i + 1 for i in result.ocr_pages if i not in done]
    words = sum(t.words for t in done.values())
    confidence = (round(sum((t.confidence or 0) * t.words for t in done.values()) / words, 1) if words else None)
    only_scans = len(result.ocr_pages) == result.pages
    extractor = result.extractor if not done else ("tesseract" if only_scans else f"{result.extractor}+tesseract")
    detail = result.detail
    if missing:
        reason = failed or ("not OCR'd" if ocr_available() else "no OCR engine installed")
        detail = f"scanned page(s) {', '.join(map(str, missing))} {reason}"
    status = Status.OK if text else Status.NEEDS_OCR
    return replace(result, text=text, status=status, extractor=extractor, ocr=bool(done),
                   ocr_confidence=confidence, ocr_pages=tuple(i - 1 for i in missing), detail=detail)


def read_image(data: bytes, fmt: str) -> DocumentText:
    """An image published as the report (图片版)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as image:
            image.load()
            frame = image.copy()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        return DocumentText("", Status.CORRUPT, "pillow", fmt, detail=f"unreadable image: {exc}"[:200])
    if not ocr_available():
        return DocumentText("", Status.NEEDS_OCR, "none", fmt, pages=1, detail="image; no OCR engine installed")
    found = ocr_image(frame)
    return DocumentText(found.text, Status.OK if found.text else Status.NEEDS_OCR, "tesseract", fmt, pages=1,
                        ocr=True, ocr_confidence=found.confidence)
