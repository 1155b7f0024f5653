"""Lines from positioned characters: shared by the PDF and OFD readers.

Government PDFs put each visual line and each table cell down as separate runs of glyphs.  Grouping
glyphs by baseline, splitting a line where a gap wider than two characters opens (a table cell
boundary, written as a tab), reading a two-column page column by column and re-joining lines that
wrap inside a paragraph (also across columns and pages) gives the same text shape as the HTML
extractor: one paragraph or one table row per line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median

_CELL_GAP = 2.0  # gap, in character heights, that separates table cells
_SENTENCE_END = tuple("。！？：；!?:;")


@dataclass(frozen=True, slots=True)
class Glyph:
    """One character: left/right edges, baseline ``y`` (grows upwards, as in PDF) and font ``size``."""

    char: str
    x0: float
    x1: float
    y: float
    size: float


@dataclass(frozen=True, slots=True)
class Row:
    """One visual line: its cells, and whether it starts indented / runs to the right margin."""

    cells: tuple[str, ...]
    indented: bool
    full: bool

    @property
    def text(self) -> str:
        return "\t".join(self.cells)


def _cells(glyphs: list[Glyph]) -> tuple[tuple[str, ...], float, float]:
    """Cell texts of one line (a gap wider than ``_CELL_GAP`` sizes starts a new cell), and its x extent."""
    glyphs = sorted(glyphs, key=lambda g: g.x0)
    height = median(g.size for g in glyphs)
    cells: list[str] = []
    current: list[str] = []
    last_x1: float | None = None
    for g in glyphs:
        if last_x1 is not None and g.x0 - last_x1 > _CELL_GAP * height:
            cells.append("".join(current).strip())
            current = []
        current.append(g.char)
        last_x1 = g.x1 if last_x1 is None else max(last_x1, g.x1)
    cells.append("".join(current).strip())
    ink = [g for g in glyphs if g.char.strip()] or glyphs
    return tuple(c for c in cells if c), min(g.x0 for g in ink), max(g.x1 for g in ink)


def _baselines(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Glyphs grouped by baseline, top line first."""
    lines: list[list[Glyph]] = []
    for g in sorted(glyphs, key=lambda g: (-g.y, g.x0)):
        if lines and abs(lines[-1][0].y - g.y) <= max(g.size * 0.4, 0.5):
            lines[-1].append(g)
        else:
            lines.append([g])
    return lines


def _gutter(lines: list[list[Glyph]], width: float) -> float | None:
    """x of an empty vertical band near the page middle that prose lines on its left run up to."""
    ink = [g for line in lines for g in line if g.char.strip()]
    if len(lines) < 4 or not ink:
        return None
    em = median(g.size for g in ink)
    lo, hi = width * 0.3, width * 0.7
    gaps, x = [], lo
    for x0, x1 in sorted((g.x0, g.x1) for g in ink if g.x1 > lo and g.x0 < hi):
        if x0 - x > em:
            gaps.append((x0 - x, x))
        x = max(x, x1)
    for size, start in sorted(gaps, reverse=True):  # widest first; table cell gaps do not align prose
        lefts = [[g for g in line if g.x1 <= start + 0.1 and g.char.strip()] for line in lines]
        ends = [(max(g.x1 for g in left), median(g.size for g in left)) for left in lefts if left]
        aligned = sum(1 for end, size in ends if start - end < 1.5 * size)  # wrapped prose ends at the gutter
        if aligned >= max(3, len(ends) * 0.3):
            return start + size / 2
    return None


def _rows(lines: list[list[Glyph]]) -> list[Row]:
    shaped = [(*_cells(line), median(g.size for g in line)) for line in lines]
    shaped = [s for s in shaped if s[0]]
    if not shaped:
        return []
    left = min(s[1] for s in shaped)
    right = max(s[2] for s in shaped if len(s[0]) == 1) if any(len(s[0]) == 1 for s in shaped) else 0.0
    return [Row(cells, x0 - left > size * 1.5, len(cells) == 1 and right - x1 < size * 1.5)
            for cells, x0, x1, size in shaped]


def page_rows(glyphs: Iterable[Glyph], width: float) -> list[Row]:
    """One page's rows, column by column on a two-column page."""
    lines = _baselines([g for g in glyphs if g.char.strip() or g.char == " "])
    gutter = _gutter(lines, width)
    if gutter is None:
        return _rows(lines)
    left = [kept for line in lines if (kept := [g for g in line if g.x1 <= gutter])]
    right = [kept for line in lines if (kept := [g for g in line if g.x1 > gutter])]
    return _rows(left) + _rows(right)


def paragraphs(rows: Iterable[Row]) -> str:
    """Rows to text: a prose row that runs to the right margin continues on the next row.

    When the document indents first lines (首行缩进, the norm for official documents) an unindented row
    after a full one is always a continuation; otherwise a full row ending a sentence ends its paragraph.
    """
    rows = list(rows)
    prose = [r for r in rows if len(r.cells) == 1]
    indents = bool(prose) and sum(r.indented for r in prose) >= len(prose) * 0.1
    out: list[str] = []
    joinable = False
    for row in rows:
        if joinable and len(row.cells) == 1 and not row.indented and out:
            out[-1] += row.text
        else:
            out.append(row.text)
        joinable = row.full and (indents or not row.text.endswith(_SENTENCE_END))
    return "\n".join(out)
