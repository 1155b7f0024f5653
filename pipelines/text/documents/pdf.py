"""PDF text with pypdfium2 (PDFium, Apache-2.0/BSD): the fastest reader measured and the best on CJK.

PDFium's own text order keeps table cells apart only by spaces and interleaves two-column pages, so
the glyph boxes are laid out again by :mod:`layout`, ruled tables by :mod:`tables`.  That layout must
never do worse than PDFium's order: a page where it disagrees with the content stream (glyphs of
several lines pulled into one, text out of written order) falls back to PDFium's order.  Page
numbers and running headers are dropped (:mod:`furniture`).  Pages that are a picture with at most a
small text footer are scans: OCR'd when tesseract is installed (:mod:`ocr`), else ``needs_ocr``.
"""

from __future__ import annotations

import ctypes
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipelines.text.documents.base import DocumentText, OcrText, Status
from pipelines.text.documents.furniture import Page, drop_furniture, is_page_number
from pipelines.text.documents.layout import Glyph, Row, baselines, ngram_f1, out_of_order, page_rows, paragraphs
from pipelines.text.documents.ocr import OCR_MARK, fill_ocr, ocr_available, ocr_image
from pipelines.text.documents.tables import Rule, Table, continue_table, find_tables

NAME = "pypdfium2"
_SCAN_COVER = 0.5  # a page this much covered by images …
_SCAN_MAX_CHARS = 80  # … with fewer text characters (a footer, a watermark) is a scan
_OUT_OF_ORDER = 0.2  # share of glyphs against the written order beyond which the layout is not trusted
_MIN_AGREEMENT = 0.5  # 4-gram F1 with PDFium's order below which the layout scrambled the page
_RULE_WIDTH = 3.0  # a filled box thinner than this is a drawn line
_OCR_SCALE = 300 / 72
_WHITE = 235  # fill colour channels all above this: a box as white as the page, not a border

Matrix = tuple[float, float, float, float, float, float]


def glyphs(textpage: pdfium.PdfTextPage) -> list[Glyph]:
    """Every real character of a page with its baseline origin and font size (generated spaces skipped).

    The size is the font size times the text matrix scale: WPS writes CJK text at size ~300 scaled by
    0.05, and taking 300 as the line height would pull the whole page into one line.
    """
    out = []
    raw = textpage.raw
    x, y = ctypes.c_double(), ctypes.c_double()  # reused out-parameters
    matrix = pdfium_c.FS_MATRIX()
    for i in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(raw, i)
        if not code or code in (0xFFFE, 0xFFFF) or pdfium_c.FPDFText_IsGenerated(raw, i) == 1:
            continue
        x0, _, x1, _ = textpage.get_charbox(i)
        pdfium_c.FPDFText_GetCharOrigin(raw, i, ctypes.byref(x), ctypes.byref(y))
        pdfium_c.FPDFText_GetMatrix(raw, i, ctypes.byref(matrix))
        scale = abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5 or 1.0
        size = (pdfium_c.FPDFText_GetFontSize(raw, i) or 1.0) * scale
        out.append(Glyph(chr(code), x0, x1, y.value, size, i))
    return out


def _compose(inner: Matrix, outer: Matrix) -> Matrix:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _objects(page: pdfium.PdfPage) -> Iterator[tuple[ctypes.c_void_p, Matrix]]:
    """Every page object with its matrix to page space, inside form XObjects too."""
    stack: list[tuple[ctypes.c_void_p, Matrix]] = []
    for i in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        stack.append((pdfium_c.FPDFPage_GetObject(page.raw, i), (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)))
    m = pdfium_c.FS_MATRIX()
    while stack:
        obj, outer = stack.pop()
        pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(m))
        matrix = _compose((m.a, m.b, m.c, m.d, m.e, m.f), outer)
        if pdfium_c.FPDFPageObj_GetType(obj) == pdfium_c.FPDF_PAGEOBJ_FORM:
            stack += [(pdfium_c.FPDFFormObj_GetObject(obj, j), matrix)
                      for j in range(pdfium_c.FPDFFormObj_CountObjects(obj))]
        else:
            yield obj, matrix


def _blank_fill(obj: ctypes.c_void_p) -> bool:
    rgba = [ctypes.c_uint() for _ in range(4)]
    pdfium_c.FPDFPageObj_GetFillColor(obj, *(ctypes.byref(v) for v in rgba))
    r, g, b, a = (v.value for v in rgba)
    return a == 0 or min(r, g, b) >= _WHITE


def _path_rules(obj: ctypes.c_void_p, matrix: Matrix) -> list[Rule]:
    """Horizontal and vertical strokes of one path object (curves ignored), and thin filled boxes as lines."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDFPath_GetDrawMode(obj, ctypes.byref(fill), ctypes.byref(stroke))
    if not stroke.value and (not fill.value or _blank_fill(obj)):
        return []  # an invisible path (a clip), or white boxes WPS lays under each line of text
    points: list[tuple[float, float]] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    lines: list[tuple[tuple[float, float], tuple[float, float]]] = []
    start: tuple[float, float] | None = None
    for i in range(pdfium_c.FPDFPath_CountSegments(obj)):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj, i)
        pdfium_c.FPDFPathSegment_GetPoint(segment, ctypes.byref(x), ctypes.byref(y))
        point = _apply(matrix, x.value, y.value)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not points:
            start = point
        elif kind == pdfium_c.FPDF_SEGMENT_LINETO:
            lines.append((points[-1], point))
        points.append(point)
        if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
            lines.append((point, start))
    if fill.value and not stroke.value and points:
        x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
        y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
        if x1 - x0 < _RULE_WIDTH and y1 - y0 > _RULE_WIDTH:
            return [Rule((x0 + x1) / 2, y0, (x0 + x1) / 2, y1)]
        if y1 - y0 < _RULE_WIDTH and x1 - x0 > _RULE_WIDTH:
            return [Rule(x0, (y0 + y1) / 2, x1, (y0 + y1) / 2)]
    rules = []
    for (ax, ay), (bx, by) in lines:
        if abs(ay - by) < 1.0 and abs(ax - bx) > _RULE_WIDTH:
            rules.append(Rule(min(ax, bx), (ay + by) / 2, max(ax, bx), (ay + by) / 2))
        elif abs(ax - bx) < 1.0 and abs(ay - by) > _RULE_WIDTH:
            rules.append(Rule((ax + bx) / 2, min(ay, by), (ax + bx) / 2, max(ay, by)))
    return rules


@dataclass(frozen=True, slots=True)
class _Drawing:
    rules: list[Rule]
    image_cover: float  # share of the page area under images


def _drawing(page: pdfium.PdfPage) -> _Drawing:
    rules: list[Rule] = []
    area = 0.0
    width, height = page.get_width(), page.get_height()
    for obj, matrix in _objects(page):
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            rules += _path_rules(obj, matrix)
        elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:  # an image is the unit square under its matrix
            corners = [_apply(matrix, cx, cy) for cx in (0, 1) for cy in (0, 1)]
            w = min(max(c[0] for c in corners), width) - max(min(c[0] for c in corners), 0)
            h = min(max(c[1] for c in corners), height) - max(min(c[1] for c in corners), 0)
            area += max(w, 0) * max(h, 0)
    return _Drawing(rules, min(area / (width * height), 1.0) if width and height else 0.0)


def _plain_rows(text: str, height: float) -> list[Row]:
    """PDFium's own order as rows (for a page the layout would scramble), spread down the page."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    step = height / (len(lines) + 1)
    return [Row((line,), False, False, y=height - (i + 1) * step) for i, line in enumerate(lines)]


@dataclass(slots=True)
class _PageParts:
    """What one page holds before layout: its glyphs outside ruled tables, the tables, PDFium's own text."""

    height: float
    width: float
    rest: list[Glyph]
    tables: list[Table]
    plain: str
    scan: bool


def _parts(doc: pdfium.PdfDocument, index: int) -> _PageParts:
    page = doc[index]
    textpage = page.get_textpage()
    found = glyphs(textpage)
    drawing = _drawing(page)
    ink = sum(1 for g in found if g.char.strip())
    scan = ink < _SCAN_MAX_CHARS and drawing.image_cover >= _SCAN_COVER
    tables, rest = find_tables(drawing.rules, found) if not scan else ([], found)
    return _PageParts(page.get_height(), page.get_width(), rest, tables, textpage.get_text_range(), scan)


def _only_furniture(lines: list[list[Glyph]]) -> bool:
    return all(is_page_number("".join(g.char for g in line)) for line in lines)


def _continue_tables(pages: list[_PageParts]) -> None:
    """Join labels cut by a page break between a table ending one page and one starting the next."""
    for prev, nxt in itertools.pairwise(pages):
        if not prev.tables or not nxt.tables:
            continue
        last, first = prev.tables[-1], nxt.tables[0]
        below = [line for line in baselines(prev.rest) if line[0].y < last.bottom]
        above = [line for line in baselines(nxt.rest) if line[0].y > first.top]
        if _only_furniture(below) and _only_furniture(above):
            prev.tables[-1], nxt.tables[0] = continue_table(last, first)


def _page(index: int, parts: _PageParts) -> Page:
    """One page's rows (furniture not yet dropped): laid out, PDFium's order where the layout disagrees."""
    if parts.scan:
        return Page([Row((OCR_MARK.format(index),), False, False, True, parts.height)], parts.height)
    rows = page_rows(parts.rest, parts.width, parts.tables)
    ours = "".join(r.text for r in rows)
    if out_of_order(baselines(parts.rest)) > _OUT_OF_ORDER or ngram_f1(ours, parts.plain) < _MIN_AGREEMENT:
        rows = _plain_rows(parts.plain, parts.height)
    return Page(rows, parts.height)


def _open(data: bytes, fmt: str) -> pdfium.PdfDocument | DocumentText:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            return DocumentText("", Status.ENCRYPTED, NAME, fmt, detail="password-protected PDF")
        return DocumentText("", Status.CORRUPT, NAME, fmt, detail=f"unreadable PDF: {message[:200]}")


def ocr_page(data: bytes, index: int) -> OcrText:
    """OCR of one page, rendered at 300 dpi (the unit :func:`extract_isolated` runs one child for)."""
    doc = pdfium.PdfDocument(data)
    try:
        return ocr_image(doc[index].render(scale=_OCR_SCALE).to_pil())
    finally:
        doc.close()


def read(data: bytes, fmt: str = "pdf", *, ocr: bool = True) -> DocumentText:
    """Text of a PDF; scanned pages OCR'd here when ``ocr`` (else left as marks for the caller to fill)."""
    doc = _open(data, fmt)
    if isinstance(doc, DocumentText):
        return doc
    try:
        pages = len(doc)
        if pages == 0:
            return DocumentText("", Status.CORRUPT, NAME, fmt, pages=0, detail="PDF without pages")
        parts = [_parts(doc, i) for i in range(pages)]
    finally:
        doc.close()
    _continue_tables(parts)
    scans = tuple(i for i, p in enumerate(parts) if p.scan)
    laid_out = [_page(i, p) for i, p in enumerate(parts)]
    text = paragraphs(row for rows in drop_furniture(laid_out) for row in rows)
    result = DocumentText(text, Status.OK, NAME, fmt, pages=pages, ocr_pages=scans)
    if not scans:
        return result if text else replace(result, status=Status.EMPTY, detail="PDF without text")
    if not ocr:
        return result  # the caller OCRs the marked pages, one capped child each
    return fill_ocr(result, {i: ocr_page(data, i) for i in scans} if ocr_available() else {})
