"""A subtree as lines of text: block elements and <br> break lines, data tables give tab-joined rows.

Statistics tables are kept as tab-joined rows because the annual-report parsers downstream read them.
"""

from __future__ import annotations

import re

from lxml import etree

BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "tfoot",
        "caption",
        "section",
        "article",
        "main",
        "blockquote",
        "pre",
        "center",
        "address",
        "hr",
        "form",
        "header",
        "footer",
        "nav",
        "aside",
        "figure",
        "figcaption",
        "fieldset",
        "body",
        "html",
        "br",
    }
)
_WS = re.compile(r"[^\S\n]+")
_CJK_SPACE = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef]) (?=[\u3000-\u9fff\uff00-\uffef])")
_NOT_TEXT = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+")
_ROWS = etree.XPath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
_EDGE_SPACE = re.compile(r"^ | $", re.M)  # what strip() leaves once _WS folded every space run to one " "


# All the text inside an element, as "".join(el.itertext()) gives it, but concatenated by libxml2 (40× faster).
text_of = etree.XPath("string()", smart_strings=False)


def clean_line(line: str) -> str:
    return _WS.sub(" ", line).strip()


def text_len(text: str) -> int:
    """Letters, digits and CJK characters: how much text a block really holds."""
    return len(_NOT_TEXT.sub("", text))


def _cells_on_one_line(joined: str) -> list[str]:
    """Cell texts, one per line of ``joined``, each on one line: spaces folded and stripped, and none left between
    CJK characters ("商业<br>企业" wraps inside a header cell must not become "商业 企业"). One pass of each regex
    over the whole table instead of four calls per cell."""
    return _CJK_SPACE.sub("", _EDGE_SPACE.sub("", _WS.sub(" ", joined.replace("\t", " ")))).split("\n")


def _data_table_lines(table: etree._Element) -> list[str] | None:
    """Tab-joined rows of a data table; None for a layout table (nested, one column, long cells),
    which is rendered as blocks instead. Each cell's text is computed once."""
    if table.find(".//table") is not None:
        return None
    rows = [[" ".join(c.itertext()).replace("\n", " ") for c in row.iterchildren("td", "th")] for row in _ROWS(table)]
    if not rows or max(map(len, rows)) < 2:
        return None
    cells = iter(_cells_on_one_line("\n".join([cell for row in rows for cell in row])))
    rows = [[next(cells) for _ in row] for row in rows]
    if any(len(cell) > 300 and text_len(cell) > 300 for row in rows for cell in row):
        return None
    return ["\t".join(cells) for cells in rows if any(cells)]


def render(root: etree._Element) -> list[str]:
    """Linearise a subtree (see the module docstring)."""
    return _lines("".join(_parts(root, None)[0]))


def render_with(root: etree._Element, part: etree._Element) -> tuple[list[str], list[str]]:
    """Lines of ``root`` and the lines ``render(part)`` gives for a descendant.

    One walk serves both the whole page (searched for the metadata bar) and the body container in it,
    unless the walk rendered ``part`` as cells of a data table around it.
    """
    parts, span = _parts(root, part)
    return _lines("".join(parts)), _lines("".join(parts[span[0] : span[1]])) if span else render(part)


def _parts(root: etree._Element, part: etree._Element | None) -> tuple[list[str], tuple[int, int] | None]:
    """Text pieces of the walk and where ``part``'s own pieces (its tail excluded) lie among them.

    Iterative (``iterwalk``) so that pathologically deep trees cannot hit the recursion limit.
    """
    parts: list[str] = []
    start, span = 0, None
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag if isinstance(el.tag, str) else ""
        block = tag in BLOCK_TAGS
        if event == "start":
            if el is part:
                start = len(parts)
            table_lines = _data_table_lines(el) if tag == "table" else None
            if table_lines is not None:
                parts.append("\n" + "\n".join(table_lines).replace("\t", "\x00") + "\n")
                walker.skip_subtree()  # its end event still follows
                continue
            if block:
                parts.append("\n")
            if tag:
                parts.append((el.text or "").replace("\t", " "))
        else:
            if block:
                parts.append("\n")
            if el is part:
                span = (start, len(parts))
            if el is not root:
                parts.append((el.tail or "").replace("\t", " "))
    return parts, span


def _lines(text: str) -> list[str]:
    lines = (clean_line(line).replace("\x00", "\t") for line in text.split("\n"))
    return [line for line in lines if line.strip("\t")]
