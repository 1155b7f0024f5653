"""OFD (GB/T 33190, China's fixed-layout format): text read straight from the package's XML.

An OFD file is a zip of XML parts; each page's ``Content.xml`` holds ``TextObject`` elements with
``TextCode`` runs placed by ``X``/``Y`` (and per-glyph ``DeltaX``).  Text also lives outside the page
content: in template pages the page names (a red header, a footer), in composite graphic units
(``CompositeObject`` → ``CompositeGraphicUnit`` in ``DocumentRes.xml``/``PublicRes.xml``), and in
annotation layers (``Annotations.xml``).  All of it is placed on its page and laid out together with
the same code as PDF pages, pages in the order ``Document.xml`` lists them.  No maintained permissive
Python package reads OFD text, and the structure is simple.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from io import BytesIO

from lxml import etree

from pipelines.text.documents.base import DocumentText, Status
from pipelines.text.documents.docx import zip_problem
from pipelines.text.documents.furniture import Page, drop_furniture
from pipelines.text.documents.layout import Glyph, page_rows, paragraphs

NAME = "ofd-xml"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_A4 = (210.0, 297.0)
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


def _box(value: str | None) -> tuple[float, float, float, float]:
    parts = [float(v) for v in (value or "").split()[:4]]
    return tuple(parts + [0.0] * (4 - len(parts)))  # type: ignore[return-value]


class _Package:
    """The zip's parts, paths resolved as OFD resolves them (absolute, or relative to the citing part)."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.names = set(zf.namelist())

    def xml(self, path: str) -> etree._Element | None:
        path = path.lstrip("/")
        return etree.fromstring(self.zf.read(path), parser=_PARSER) if path in self.names else None

    @staticmethod
    def resolve(base: str, loc: str) -> str:
        loc = loc.strip()
        return posixpath.normpath(loc.lstrip("/") if loc.startswith("/") else posixpath.join(base, loc))


def _text(code: str | None) -> str:
    return (code or "").strip()


def _glyphs(root: etree._Element, height: float, units: dict[str, etree._Element],
            offset: tuple[float, float] = (0.0, 0.0), depth: int = 0) -> Iterator[Glyph]:
    """Glyphs of the text objects under ``root`` (composite units expanded, placed at their boundary)."""
    ox, oy = offset
    for obj in root.iter("{*}TextObject", "{*}CompositeObject"):
        bx, by, _, _ = _box(obj.get("Boundary"))
        if etree.QName(obj).localname == "CompositeObject":
            unit = units.get(obj.get("ResourceID") or "")
            if unit is not None and depth < 4:  # units may nest; a cycle must not
                yield from _glyphs(unit, height, units, (ox + bx, oy + by), depth + 1)
            continue
        size = float(obj.get("Size") or 3.5)
        for code in obj.iter("{*}TextCode"):
            text = code.text or ""
            x, y = ox + bx + float(code.get("X") or 0), oy + by + float(code.get("Y") or 0)
            for char, step in zip(text, [0.0, *_deltas(code.get("DeltaX"), len(text), size)], strict=False):
                x += step
                # OFD y grows downwards from the top; layout expects PDF orientation.
                yield Glyph(char, x, x + size, height - y, size)


def _units(package: _Package, document: etree._Element, base: str) -> dict[str, etree._Element]:
    """Composite graphic units of the document's public and document resources, by ID."""
    units: dict[str, etree._Element] = {}
    for tag in ("PublicRes", "DocumentRes"):
        for ref in document.iter(f"{{*}}{tag}"):
            res = package.xml(package.resolve(base, _text(ref.text)))
            if res is not None:
                units |= {u.get("ID") or "": u for u in res.iter("{*}CompositeGraphicUnit")}
    return units


def _annotations(package: _Package, document: etree._Element, base: str) -> dict[str, list[etree._Element]]:
    """Annotation appearances (their text placed on the page) by page ID."""
    out: dict[str, list[etree._Element]] = {}
    for ref in document.iter("{*}Annotations"):
        loc = package.resolve(base, _text(ref.text))
        index = package.xml(loc)
        for page in index.iter("{*}Page") if index is not None else ():
            for file_loc in page.iter("{*}FileLoc"):
                annots = package.xml(package.resolve(posixpath.dirname(loc), _text(file_loc.text)))
                if annots is not None:
                    out.setdefault(page.get("PageID") or "", []).extend(annots.iter("{*}Appearance"))
    return out


def _bare_pages(package: _Package) -> list[Page]:
    """Pages found by their part names, for a package whose OFD.xml names no readable document."""
    parts = sorted((int(m.group(1)), n) for n in package.names if (m := _PAGE.search(n)))
    return [Page(page_rows(_glyphs(package.xml(name), _A4[1], {}), _A4[0]), _A4[1])  # type: ignore[arg-type]
            for _, name in parts]


def _pages(package: _Package) -> list[Page]:
    try:
        root = package.xml("OFD.xml")
    except etree.XMLSyntaxError:
        root = None  # a broken entry part: the pages themselves may still read
    doc_root = next((_text(e.text) for e in root.iter("{*}DocRoot")), "") if root is not None else ""
    document = package.xml(doc_root) if doc_root else None
    if document is None:
        return _bare_pages(package)
    base = posixpath.dirname(doc_root.lstrip("/"))
    units = _units(package, document, base)
    templates = {t.get("ID") or "": package.xml(package.resolve(base, t.get("BaseLoc") or ""))
                 for t in document.iter("{*}TemplatePage")}
    annotations = _annotations(package, document, base)
    width, height = next((_box(b.text)[2:] for b in document.iter("{*}PhysicalBox")), _A4)
    pages = []
    for entry in document.iter("{*}Page"):
        content = package.xml(package.resolve(base, entry.get("BaseLoc") or ""))
        if content is None:
            continue
        layers = [content] + [templates[t.get("TemplateID") or ""] for t in content.iter("{*}Template")
                              if templates.get(t.get("TemplateID") or "") is not None]
        found = [g for layer in layers for g in _glyphs(layer, height, units)]
        for appearance in annotations.get(entry.get("ID") or "", []):
            ax, ay, _, _ = _box(appearance.get("Boundary"))
            found += _glyphs(appearance, height, units, (ax, ay))
        pages.append(Page(page_rows(found, width), height))
    return pages


def read(data: bytes, fmt: str = "ofd") -> DocumentText:
    problem = zip_problem(data)
    if problem:
        return DocumentText("", Status.CORRUPT, NAME, fmt, detail=problem)
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            pages = _pages(_Package(zf))
    except (zipfile.BadZipFile, etree.XMLSyntaxError, ValueError, KeyError) as exc:
        return DocumentText("", Status.CORRUPT, NAME, fmt, detail=f"unreadable OFD: {exc}"[:200])
    if not pages:
        return DocumentText("", Status.CORRUPT, NAME, fmt, detail="OFD without pages")
    text = paragraphs(row for rows in drop_furniture(pages) for row in rows)
    if not text:
        return DocumentText("", Status.NEEDS_OCR, NAME, fmt, pages=len(pages), detail="OFD pages without text")
    return DocumentText(text, Status.OK, NAME, fmt, pages=len(pages))
