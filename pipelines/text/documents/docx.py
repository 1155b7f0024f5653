"""DOCX text with python-docx (MIT): paragraphs and table rows in document order.

The zip is checked before python-docx opens it, so a zip bomb (huge declared sizes or an absurd
compression ratio) is refused as ``corrupt`` without being inflated.
"""

from __future__ import annotations

import zipfile
from io import BytesIO

from pipelines.text.documents.base import DocumentText, Status

NAME = "python-docx"
MAX_UNZIPPED = 200 * 1024 * 1024
MAX_RATIO = 200


def zip_problem(data: bytes) -> str | None:
    """Why this zip must not be inflated, or None."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        return f"damaged zip: {exc}"
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNZIPPED or total / packed > MAX_RATIO:
        return f"zip bomb: {total} bytes unpacked from {packed}"
    if any(i.flag_bits & 0x1 for i in infos):
        return "encrypted zip"
    return None


def _cell_text(cell: object) -> str:
    return " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())  # type: ignore[attr-defined]


def read(data: bytes, fmt: str = "docx") -> DocumentText:
    import docx
    from docx.table import Table, _Cell
    from docx.text.paragraph import Paragraph

    problem = zip_problem(data)
    if problem:
        status = Status.ENCRYPTED if problem == "encrypted zip" else Status.CORRUPT
        return DocumentText("", status, NAME, fmt, detail=problem)
    try:
        document = docx.Document(BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors… for damaged parts
        return DocumentText("", Status.CORRUPT, NAME, fmt, detail=f"unreadable DOCX: {type(exc).__name__}: {exc}"[:200])
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            if block.text.strip():
                lines.append(block.text.strip())
        elif isinstance(block, Table):
            for row in block.rows:
                # The row's own cells: python-docx's row.cells repeats a merged cell once per grid column
                # and once per row it spans; an HTML table has it once, in its first row.
                cells = [_cell_text(_Cell(tc, block)) for tc in row._tr.tc_lst if tc.vMerge != "continue"]
                if any(cells):
                    lines.append("\t".join(cells))
    text = "\n".join(lines)
    return DocumentText(text, Status.OK if text else Status.EMPTY, NAME, fmt,
                        detail="" if text else "DOCX without text")
