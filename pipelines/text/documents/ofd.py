"""OFD (GB/T 33190, China's fixed-layout format): text read straight from the package's XML.

An OFD file is a zip of XML parts; each page's ``Content.xml`` holds ``TextObject`` elements with
``TextCode`` runs placed by ``X``/``Y`` (and per-glyph ``DeltaX``).  No maintained permissive
Python package reads OFD text, and the structure is simple, so the glyphs are placed here and laid
out with the same code as PDF pages.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

from lxml import etree

from pipelines.text.documents.base import DocumentText, Status
from pipelines.text.documents.docx import zip_problem
from pipelines.text.documents.layout import Glyph, page_rows, paragraphs

NAME = "ofd-xml"
_PAGE = re.compile(r"Pages/Page_(\d+)/Content\.xml$")


def _deltas(value: str | None, count: int, size: float) -> list[float]:
    """OFD DeltaX: numbers, with ``g N D`` meaning N times D."""
    out: list[float] = []
    tokens = (value or "").split()
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            out += [float(tokens[i + 2])] * int(tokens[i + 1])
            i += 3
        else:
            out.append(float(tokens[i]))
            i += 1
    return (out + [size] * count)[: max(count - 1, 0)]


def _page_glyphs(xml: bytes) -> list[Glyph]:
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    glyphs = []
    for obj in root.iter("{*}TextObject"):
        size = float(obj.get("Size") or 3.5)
        bx, by = (float(v) for v in (obj.get("Boundary") or "0 0 0 0").split()[:2])
        for code in obj.iter("{*}TextCode"):
            text = code.text or ""
            x, y = bx + float(code.get("X") or 0), by + float(code.get("Y") or 0)
            for char, step in zip(text, [0.0, *_deltas(code.get("DeltaX"), len(text), size)], strict=False):
                x += step
                # OFD y grows downwards; layout expects PDF orientation.
                glyphs.append(Glyph(char, x, x + size, -y, size))
    return glyphs


def read(data: bytes, fmt: str = "ofd") -> DocumentText:
    problem = zip_problem(data)
    if problem:
        return DocumentText("", Status.CORRUPT, NAME, fmt, detail=problem)
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            parts = sorted((int(m.group(1)), n) for n in zf.namelist() if (m := _PAGE.search(n)))
            rows = [row for _, name in parts for row in page_rows(_page_glyphs(zf.read(name)), 210.0)]
    except (zipfile.BadZipFile, etree.XMLSyntaxError, ValueError, KeyError) as exc:
        return DocumentText("", Status.CORRUPT, NAME, fmt, detail=f"unreadable OFD: {exc}"[:200])
    text = paragraphs(rows)
    if not parts:
        return DocumentText("", Status.CORRUPT, NAME, fmt, detail="OFD without pages")
    if not text:
        return DocumentText("", Status.NEEDS_OCR, NAME, fmt, pages=len(parts), detail="OFD pages without text")
    return DocumentText(text, Status.OK, NAME, fmt, pages=len(parts))
