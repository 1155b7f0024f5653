"""PDF text with pypdfium2 (PDFium, Apache-2.0/BSD): the fastest reader measured and the best on CJK.

See benchmarks/attachments.py: PDFium's own text order keeps table cells apart only by spaces and
interleaves two-column pages, so the glyph boxes are laid out again by :mod:`layout`.  A PDF whose
pages carry images but (almost) no text is a scan: status ``needs_ocr``, or OCR when available.
"""

from __future__ import annotations

import ctypes

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipelines.text.documents import DocumentText, Status
from pipelines.text.documents.layout import Glyph, page_rows, paragraphs
from pipelines.text.documents.ocr import ocr_available, ocr_images

NAME = "pypdfium2"
_MIN_CHARS_PER_PAGE = 10  # fewer text characters than this on average: an image-only scan


def glyphs(textpage: pdfium.PdfTextPage) -> list[Glyph]:
    """Every real character of a page with its baseline origin and font size (generated spaces skipped)."""
    out = []
    raw = textpage.raw
    x, y = ctypes.c_double(), ctypes.c_double()  # reused out-parameters
    for i in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(raw, i)
        if not code or code in (0xFFFE, 0xFFFF) or pdfium_c.FPDFText_IsGenerated(raw, i) == 1:
            continue
        x0, _, x1, _ = textpage.get_charbox(i)
        pdfium_c.FPDFText_GetCharOrigin(raw, i, ctypes.byref(x), ctypes.byref(y))
        # Glyph boxes of non-embedded CJK fonts are flat; the font size is the reliable line height.
        out.append(Glyph(chr(code), x0, x1, y.value, pdfium_c.FPDFText_GetFontSize(raw, i) or 1.0))
    return out


def _open(data: bytes, fmt: str) -> pdfium.PdfDocument | DocumentText:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            return DocumentText("", Status.ENCRYPTED, NAME, fmt, detail="password-protected PDF")
        return DocumentText("", Status.CORRUPT, NAME, fmt, detail=f"unreadable PDF: {message[:200]}")


def read(data: bytes, fmt: str = "pdf") -> DocumentText:
    doc = _open(data, fmt)
    if isinstance(doc, DocumentText):
        return doc
    try:
        pages = len(doc)
        if pages == 0:
            return DocumentText("", Status.CORRUPT, NAME, fmt, pages=0, detail="PDF without pages")
        rows, chars = [], 0
        for index in range(pages):
            page = doc[index]
            found = glyphs(page.get_textpage())
            chars += sum(1 for g in found if g.char.strip())
            rows += page_rows(found, page.get_width())
        if chars < _MIN_CHARS_PER_PAGE * pages:
            if not ocr_available():
                return DocumentText("", Status.NEEDS_OCR, NAME, fmt, pages=pages,
                                    detail="image-only PDF (scan); no OCR engine installed")
            images = [doc[i].render(scale=300 / 72).to_pil() for i in range(pages)]
            text = ocr_images(images)
            status = Status.OK if text else Status.NEEDS_OCR
            return DocumentText(text, status, "tesseract", fmt, pages=pages, ocr=True)
        text = paragraphs(rows)
        return DocumentText(text, Status.OK, NAME, fmt, pages=pages)
    finally:
        doc.close()
