"""Reports published as files: PDF, DOCX, scans, generated from the same blocks as the HTML pages.

Files are generated at runtime (deterministic, no fixtures to ship): :func:`pdf_bytes` draws the
text with reportlab's built-in CID font STSong-Light (no font file needed), first lines indented
two characters and lines wrapped at the margin like a Word export, tables as rows of cells;
``columns=2`` gives a two-column layout.  :func:`docx_bytes` writes a Word file with real tables;
:func:`scan_pdf_bytes` an image-only PDF (a "全真版" scan with no text layer).

:func:`attachment_portals` is one extra TRS portal (闽侯县, Fujian style) whose report column holds a
report published only as PDF, one only as DOCX (both linked straight from the list, TRS ``P0….pdf``
names), a page whose body is "详见附件" with the PDF in a Fujian ``var apps = [...]`` array and a
``viewer.html?file=`` iframe, a page carrying an HTML body plus a PDF copy of the same text (the PDF is
also listed on its own: two URLs, one report), an image-only PDF served as ``text/html``, and a page
whose attachments are a truncated PDF and an HTML error page served as ``application/pdf``.  It stays out
of :func:`demo_portals` because those files are not HTML pages.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import io
import random
import zipfile
from collections.abc import Sequence
from dataclasses import replace

from nianbao.demo import chrome, trs
from nianbao.demo.bodies import Block
from nianbao.demo.chrome import Response, Route
from nianbao.demo.content import DemoDocument, DemoPortal, _build, _report
from pipelines.text.documents import extract_document

FONT = "STSong-Light"
PDF_TYPE, DOCX_TYPE = "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_A4 = (595.0, 842.0)
_MARGIN = 72.0
_SIZE, _LEADING = 12.0, 20.0
_NO_LINE_START = frozenset("。，、；：？！）》」”,.;:?!)")
_CELL_GAP = 3  # em between table cells: wider than the two-em gap readers split cells at


@functools.cache
def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _wrap(text: str, width: float, size: float, indent: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, line, room = [], "", width - indent
    for char in text:
        # 避头尾: one closing punctuation mark may hang in the margin rather than start a line
        hang = char in _NO_LINE_START and stringWidth(line, _font(), size) <= room
        if line and not hang and stringWidth(line + char, _font(), size) > room:
            lines.append(line)
            line, room = "", width
        line += char
    return [*lines, line] if line else lines


class _Pages:
    """A cursor over columns and pages of a reportlab canvas."""

    def __init__(self, columns: int) -> None:
        from reportlab.pdfgen import canvas

        self.buf = io.BytesIO()
        self.canvas = canvas.Canvas(self.buf, pagesize=_A4, invariant=True)
        gutter = 36.0
        self.width = (_A4[0] - 2 * _MARGIN - gutter * (columns - 1)) / columns
        self.lefts = [_MARGIN + i * (self.width + gutter) for i in range(columns)]
        self.column, self.y, self.last_size = 0, _A4[1] - _MARGIN, _SIZE

    def line(self, parts: Sequence[tuple[float, str]], size: float, leading: float) -> None:
        self.y -= max(0.0, size - self.last_size)  # room above a taller line (prose after a small-print table)
        self.last_size = size
        if self.y < _MARGIN:
            self.column += 1
            if self.column == len(self.lefts):
                self.canvas.showPage()
                self.column = 0
            self.y = _A4[1] - _MARGIN
        self.canvas.setFont(_font(), size)
        for dx, text in parts:
            self.canvas.drawString(self.lefts[self.column] + dx, self.y, text)
        self.y -= leading

    def done(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buf.getvalue()


def pdf_bytes(blocks: Sequence[Block], columns: int = 1) -> bytes:
    """A text PDF of ``blocks``: paragraphs wrapped with a two-character first-line indent, tables row by row."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    pages = _Pages(columns)
    for block in blocks:
        if isinstance(block, str):
            for i, line in enumerate(_wrap(block, pages.width, _SIZE, 2 * _SIZE)):
                pages.line([(2 * _SIZE if i == 0 else 0.0, line)], _SIZE, _LEADING)
            continue
        rows = [[cell.text for cell in row if cell.text] for row in block]
        widest = max(sum(stringWidth(c, _font(), 1.0) for c in row) + _CELL_GAP * len(row) for row in rows)
        size = min(9.0, pages.width / widest)
        for row in rows:
            x, parts = 0.0, []
            for cell in row:
                parts.append((x, cell))
                x += stringWidth(cell, _font(), size) + _CELL_GAP * size
            pages.line(parts, size, size * 1.8)
    return pages.done()


def scan_png_bytes(page: int = 0) -> bytes:
    """A scanned page as a PNG: lines of "text" as grey bars (no OCR engine reads anything in it)."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (1240, 1754), 250)
    draw = ImageDraw.Draw(image)
    rng = random.Random(f"scan:{page}")
    for row in range(40):
        y = 150 + row * 36
        draw.rectangle((150 + (60 if row % 6 == 0 else 0), y, 150 + rng.randint(600, 940), y + 18), fill=40)
    png = io.BytesIO()
    image.save(png, format="PNG")
    return png.getvalue()


def scan_pdf_bytes(pages: int = 2) -> bytes:
    """An image-only PDF: each page is a picture of text lines (grey bars), no text layer at all."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=_A4, invariant=True)
    for page in range(pages):
        pdf.drawImage(ImageReader(io.BytesIO(scan_png_bytes(page))), 0, 0, *_A4)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def docx_bytes(blocks: Sequence[Block]) -> bytes:
    """A Word file of ``blocks`` with real tables (spanned cells merged, as Word saves them)."""
    import docx

    document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
            continue
        width = max(len(row) for row in block)
        table = document.add_table(rows=len(block), cols=width)
        for row, cells in zip(table.rows, block, strict=True):
            for i, cell in enumerate(cells):
                row.cells[i].text = cell.text
            if len(cells) < width:  # a short row's last cell spans the rest
                row.cells[len(cells) - 1].merge(row.cells[width - 1]).text = cells[-1].text
    # the same bytes every run (the demo archive is pinned by a regression snapshot): no save time inside
    document.core_properties.created = document.core_properties.modified = _EPOCH
    buf = io.BytesIO()
    document.save(buf)
    return _zip_without_times(buf.getvalue())


_EPOCH = datetime.datetime(2024, 1, 1)


def _zip_without_times(data: bytes) -> bytes:
    """The zip again with every member dated 1980-01-01: python-docx stamps members with the time of saving."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), src.read(info),
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


# --------------------------------------------------------------------------- the attachments portal

PDF_ONLY, DOCX_ONLY, HTML_AND_PDF, POINTER, SCAN, BAD_FILES = "pdf", "docx", "html+pdf", "pointer", "scan", "bad"
IMAGES = "images"  # 图片版: the page body is only pictures of the report
_GOV = "闽侯县人民政府"
_ENTRIES = (  # (title, organ, published, year, how it is published)
    ("闽侯县2021年政府信息公开工作年度报告", _GOV, "2022-01-20", 2021, DOCX_ONLY),
    ("闽侯县2022年政府信息公开工作年度报告", _GOV, "2023-01-16", 2022, PDF_ONLY),
    ("闽侯县上街镇2022年政府信息公开工作年度报告", "闽侯县上街镇人民政府", "2023-01-30", 2022, SCAN),
    ("闽侯县2023年政府信息公开工作年度报告", _GOV, "2024-01-18", 2023, HTML_AND_PDF),
    ("闽侯县甘蔗街道2023年政府信息公开工作年度报告", "闽侯县甘蔗街道办事处", "2024-01-25", 2023, POINTER),
    ("闽侯县南屿镇2023年政府信息公开工作年度报告", "闽侯县南屿镇人民政府", "2024-01-26", 2023, BAD_FILES),
    ("闽侯县白沙镇2023年政府信息公开工作年度报告", "闽侯县白沙镇人民政府", "2024-01-29", 2023, IMAGES),
)
POINTER_TEXT = "详见附件。"


def _file_path(doc: DemoDocument, suffix: str = "", ext: str = "pdf") -> str:
    """TRS attachment name beside the page: ``/zwgk/zfxxgknb/202401/P020240118<docid>.pdf``."""
    return f"/zwgk/zfxxgknb/{doc.published:%Y%m}/P0{doc.published:%Y%m%d}{doc.doc_id}{suffix}.{ext}"


@functools.cache
def _portal() -> tuple[DemoPortal, dict[str, str]]:
    """The portal and each document's publication mode by doc_id."""
    entries = [_report(title, organ, published, year) for title, organ, published, year, _ in _ENTRIES]
    built = _build("minhou", _GOV, "trs", "福建省福州市闽侯县", "350121", "county", "utf-8", ("/zwgk/zfxxgknb/",),
                   entries, "3501210001")
    modes: dict[str, str] = {}
    documents = []
    for doc, (*_, mode) in zip(built.documents, _ENTRIES, strict=True):
        modes[doc.doc_id] = mode
        if mode in (PDF_ONLY, SCAN, DOCX_ONLY):  # linked straight from the list
            doc = replace(doc, paths=(_file_path(doc, ext="docx" if mode == DOCX_ONLY else "pdf"),))
        if mode == HTML_AND_PDF:  # the page, and its PDF copy listed as an entry of its own
            doc = replace(doc, paths=(doc.paths[0], _file_path(doc)))
        if mode in (PDF_ONLY, POINTER):  # the archived text is what the PDF reader recovers
            data = pdf_bytes(doc.blocks, columns=2 if mode == POINTER else 1)
            doc = replace(doc, body=extract_document(data, name="x.pdf").text)
        if mode in (SCAN, IMAGES):
            doc = replace(doc, body="")
        documents.append(replace(doc, content_key=hashlib.sha1(doc.body.encode("utf-8")).hexdigest()[:16]))
    return replace(built, documents=tuple(documents)), modes


def attachment_portals() -> list[DemoPortal]:
    """The 闽侯县 portal (Fujian TRS) whose reports are published as files; see the module docstring."""
    return [_portal()[0]]


def broken_attachment_urls(portal: DemoPortal) -> list[str]:
    """The attachments served broken on purpose (a truncated PDF, an HTML error page named .pdf)."""
    return [f"http://{portal.host}{path}" for doc in portal.documents if publication_mode(doc) == BAD_FILES
            for path in _broken_paths(doc)]


def _broken_paths(doc: DemoDocument) -> tuple[str, str]:
    return _file_path(doc, "_1"), _file_path(doc, "_2")


def publication_mode(doc: DemoDocument) -> str:
    """How a document of :func:`attachment_portals` is published (PDF_ONLY, SCAN, …); "" for others."""
    return _portal()[1].get(doc.doc_id, "") if any(doc in p.documents for p in attachment_portals()) else ""


def _file(content_type: str, data: bytes, doc: DemoDocument) -> Route:
    return lambda _q: Response(200, content_type, data, doc.published)


def _page(portal: DemoPortal, doc: DemoDocument, shown: DemoDocument, extra: str, inside: str = "") -> Route:
    """The TRS detail page of ``shown`` with ``extra`` markup (attachment list, apps array) above the body
    and ``inside`` markup at the start of the body container."""
    def route(_q: chrome.Query) -> Response:
        html = trs.detail_page(portal, doc.paths[0], shown, None, None)
        html = html.replace('<div class="content">', f'{extra}\n<div class="content">', 1)
        html = html.replace('<div class="TRS_Editor">', f'<div class="TRS_Editor">{inside}', 1)
        return chrome.html_response(portal, html, doc.published)
    return route


def routes(portal: DemoPortal) -> dict[str, Route]:
    """Routes that replace or add to the TRS routes of the attachments portal: files and pages linking them."""
    if portal.name != "minhou":
        return {}
    table: dict[str, Route] = {}
    for doc in portal.documents:
        mode = publication_mode(doc)
        pdf_path = _file_path(doc)
        if mode == PDF_ONLY:
            table[doc.paths[0]] = _file(PDF_TYPE, pdf_bytes(doc.blocks), doc)
        elif mode == DOCX_ONLY:
            table[doc.paths[0]] = _file(DOCX_TYPE, docx_bytes(doc.blocks), doc)
        elif mode == SCAN:  # mislabelled as HTML by the server, as happens
            table[doc.paths[0]] = _file("text/html; charset=utf-8", scan_pdf_bytes(), doc)
        elif mode == HTML_AND_PDF:
            table[pdf_path] = _file(PDF_TYPE, pdf_bytes(doc.blocks), doc)
            listing = f'<div class="fjxz">附件：<a href="./{pdf_path.rsplit("/", 1)[1]}">{doc.title}.pdf</a></div>'
            table[doc.paths[0]] = _page(portal, doc, doc, listing)
        elif mode == POINTER:  # Fujian: body "详见附件", PDF in var apps = [...] and a 全真版 viewer iframe
            table[pdf_path] = _file(PDF_TYPE, pdf_bytes(doc.blocks, columns=2), doc)
            name = f"{doc.title}（原件）.pdf"
            extra = (f'<script>var apps = [{{url:"http://{portal.host}{pdf_path}", name:"{name}"}}];\n'
                     f"var apps1 = [];</script>\n<div class=\"qzb\"><iframe class=\"isofd\" "
                     f'src="/generic2/web/viewer.html?file={pdf_path}"></iframe></div>')
            table[doc.paths[0]] = _page(portal, doc, replace(doc, blocks=(POINTER_TEXT,)), extra)
        elif mode == BAD_FILES:  # a normal page whose attachments are a truncated PDF and an HTML error page
            good = pdf_bytes(doc.blocks)
            broken, fake = _broken_paths(doc)
            table[broken] = _file(PDF_TYPE, good[: len(good) // 3], doc)
            table[fake] = _file(PDF_TYPE, chrome.error_page(200, "文件不存在").body, doc)
            links = "".join(f'<a href="./{path.rsplit("/", 1)[1]}">附件{i}.pdf</a>'
                            for i, path in enumerate((broken, fake), 1))
            table[doc.paths[0]] = _page(portal, doc, doc, f'<div class="fjxz">附件：{links}</div>')
        elif mode == IMAGES:  # TRS content images W0….png, nothing else in the body
            images = [_file_path(doc, f"_{i}", "png").replace("/P0", "/W0") for i in range(2)]
            for i, path in enumerate(images):
                table[path] = _file("image/png", scan_png_bytes(i), doc)
            inside = "".join(f'<p><img src="./{p.rsplit("/", 1)[1]}" alt=""></p>' for p in images)
            table[doc.paths[0]] = _page(portal, doc, replace(doc, blocks=()), "", inside)
    return table
