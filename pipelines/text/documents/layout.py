"""Lines from positioned characters: shared by the PDF and OFD readers.

Government PDFs put each visual line and each table cell down as separate runs of glyphs.  Grouping
glyphs by baseline, splitting a line where a gap wider than two characters opens (a table cell
boundary, written as a tab), reading a two-column page column by column and re-joining lines that
wrap inside a paragraph (also across columns and pages) gives the same text shape as the HTML
extractor: one paragraph or one table row per line.  Ruled tables (:mod:`tables`) come in as whole
rows and are placed by their height on the page.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipelines.text.documents.tables import Table

_CELL_GAP = 2.0  # gap, in character heights, that separates table cells
_SUPERSCRIPT = 0.7  # a raised line at most this share of the size of the line below is its superscript
_SENTENCE_END = tuple("。！？：；!?:;")
_WS = re.compile(r"\s+")
_MARK = re.compile(r"[\dA-Za-z*†‡§()\[\],\-①-⑳\s]")  # what footnote marks are made of


@dataclass(frozen=True, slots=True)
class Glyph:
    """One character: left/right edges, baseline ``y`` (grows upwards, as in PDF), font ``size`` and its
    ``index`` in the content stream (the order the producer wrote it in)."""

    char: str
    x0: float
    x1: float
    y: float
    size: float
    index: int = 0


@dataclass(frozen=True, slots=True)
class Row:
    """One visual line: its cells, whether it starts indented / runs to the right margin, whether it is a
    table row (never joined with prose), and its baseline (for page furniture)."""

    cells: tuple[str, ...]
    indented: bool
    full: bool
    table: bool = False
    y: float = 0.0

    @property
    def text(self) -> str:
        return "\t".join(self.cells)


def ascii_word(char: str) -> bool:
    """A Latin letter or digit: two such words keep a space between them when lines are joined."""
    return char.isascii() and char.isalnum()


def join_lines(lines: Iterable[Sequence[Glyph]]) -> str:
    """The text of wrapped lines as one string: CJK runs on, Latin words keep a space between them."""
    out = ""
    for line in lines:
        text = "".join(g.char for g in sorted(line, key=lambda g: g.x0)).strip()
        if out and text and ascii_word(out[-1]) and ascii_word(text[0]):
            out += " "
        out += text
    return out


@dataclass(slots=True)
class _Run:
    """One cell of one visual line: its text, ink extent and first/last content-stream index."""

    text: str
    x0: float
    x1: float
    first: int
    last: int


@dataclass(slots=True)
class _Line:
    runs: list[_Run]
    size: float
    y: float


def _runs(glyphs: list[Glyph]) -> list[_Run]:
    """Cells of one line: a gap wider than ``_CELL_GAP`` sizes starts a new one."""
    glyphs = sorted(glyphs, key=lambda g: g.x0)
    height = median(g.size for g in glyphs)
    groups: list[list[Glyph]] = [[]]
    last_x1: float | None = None
    for g in glyphs:
        if last_x1 is not None and g.x0 - last_x1 > _CELL_GAP * height:
            groups.append([])
        groups[-1].append(g)
        last_x1 = g.x1 if last_x1 is None else max(last_x1, g.x1)
    runs = []
    for group in groups:
        ink = [g for g in group if g.char.strip()]
        if ink:
            runs.append(_Run("".join(g.char for g in group).strip(), min(g.x0 for g in ink), max(g.x1 for g in ink),
                             min(g.index for g in group), max(g.index for g in group)))
    return runs


def _continues(run: _Run, other: _Run) -> bool:
    """True when ``other`` sits right under ``run``: each one's centre within the other's extent."""
    centre, other_centre = (run.x0 + run.x1) / 2, (other.x0 + other.x1) / 2
    return run.x0 <= other_centre <= run.x1 and other.x0 <= centre <= other.x1


def _wrapped_cells(lines: list[_Line]) -> list[_Line]:
    """Table cells wrapped onto lines below ("户籍人口" over "（万人）") joined again.

    A borderless table's rows are lines, but a header or label cell that wraps puts its second half
    on the next line, among other cells or on a line of its own.  Producers write a cell's text in
    one go, so a run written right after a cell and sitting under it is the rest of that cell.
    Prose lines are left to :func:`paragraphs`.
    """
    starts = {run.first: (n, run) for n, line in enumerate(lines) for run in line.runs}
    for n, line in enumerate(lines):
        for run in line.runs:
            while not run.text.endswith(_SENTENCE_END):
                found = next((starts[i] for i in range(run.last + 1, run.last + 5) if i in starts), None)
                if found is None:
                    break
                m, other = found
                tabular = len(line.runs) > 1 or len(lines[m].runs) > 1 or m > n + 1
                if not (n < m <= n + 3 and tabular and _continues(run, other)
                        and line.y - lines[m].y <= 4 * line.size):
                    break
                joiner = " " if ascii_word(run.text[-1]) and ascii_word(other.text[0]) else ""
                run.text, run.last = run.text + joiner + other.text, other.last
                lines[m].runs.remove(other)
                del starts[other.first]
    return _row_labels([line for line in lines if line.runs])


def _row_labels(lines: list[_Line]) -> list[_Line]:
    """A label centred beside a two-line header ("年龄组") put first in the header row it was written before."""
    out: list[_Line] = []
    for line in lines:
        above = out[-1] if out else None
        if (above is not None and len(line.runs) == 1 and len(above.runs) > 1
                and line.runs[0].x1 < above.runs[0].x0 and 0 < above.runs[0].first - line.runs[0].last <= 4
                and above.y - line.y <= 2 * line.size):
            above.runs.insert(0, line.runs[0])
        else:
            out.append(line)
    return out


def baselines(glyphs: Iterable[Glyph]) -> list[list[Glyph]]:
    """Glyphs grouped by baseline, top line first; a glyph drawn twice at one place (fake bold) counts once."""
    lines: list[list[Glyph]] = []
    for g in sorted(glyphs, key=lambda g: (-g.y, g.x0)):
        if lines and abs(lines[-1][0].y - g.y) <= max(g.size * 0.4, 0.5):
            if any(o.char == g.char and abs(o.x0 - g.x0) < g.size * 0.3 for o in lines[-1][-3:]):
                continue
            lines[-1].append(g)
        else:
            lines.append([g])
    return _superscripts(lines)


def _superscripts(lines: list[list[Glyph]]) -> list[list[Glyph]]:
    """Footnote marks ("人口¹1761.48") set small and raised into the line they belong to, in x order."""
    out: list[list[Glyph]] = []
    for line in reversed(lines):  # bottom up: each raised line meets the line below it first
        below = out[-1] if out else None
        if (below is not None and all(_MARK.match(g.char) for g in line)
                and max(g.size for g in line) <= _SUPERSCRIPT * below[0].size
                and 0 < line[0].y - below[0].y <= 0.6 * below[0].size):
            out[-1] = sorted(below + line, key=lambda g: g.x0)
        else:
            out.append(line)
    return out[::-1]


def out_of_order(lines: Iterable[list[Glyph]]) -> float:
    """Share of glyphs whose place in a cell contradicts the order the producer wrote them in.

    Within one cell of one line, text is written left to right; glyphs of several lines pulled into
    one (wrong sizes, rotated text, per-character positioning) break that order wholesale.
    """
    total = wrong = 0
    for line in lines:
        ordered = sorted(line, key=lambda g: g.x0)
        height = median(g.size for g in ordered)
        for a, b in itertools.pairwise(ordered):
            if b.x0 - a.x1 > _CELL_GAP * height:
                continue  # a cell boundary: cells may be written in any order
            total += 1
            wrong += b.index < a.index
    return wrong / total if total else 0.0


def char_ngrams(text: str, n: int = 4) -> Counter[str]:
    """Multiset of character n-grams after removing all whitespace (line breaks and tabs are layout)."""
    s = _WS.sub("", text)
    return Counter(s[i : i + n] for i in range(max(len(s) - n + 1, 0)))


def ngram_f1(predicted: str, gold: str, n: int = 4) -> float:
    """Character n-gram F1 between two texts (1.0 when both are empty): how far two readings agree in
    order, not only in characters; the readers' self-check and the benchmarks' score."""
    p, g = char_ngrams(predicted, n), char_ngrams(gold, n)
    if not p and not g:
        return 1.0
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return 2 * precision * recall / (precision + recall)


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
    for size, start in sorted(gaps, reverse=True):  # widest first
        lefts = [[g for g in line if g.x1 <= start + 0.1 and g.char.strip()] for line in lines]
        # Wrapped prose ends at the gutter in one run; a table row ending there has several cells.
        ends = [(max(g.x1 for g in left), median(g.size for g in left), len(_runs(left)))
                for left in lefts if left]
        aligned = sum(1 for end, size, cells in ends if start - end < 1.5 * size and cells == 1)
        if aligned >= max(3, len(ends) * 0.3):
            return start + size / 2
    return None


Shaped = tuple[tuple[str, ...], float, float, float, float]  # cells, x extent, size, baseline


def _shape(lines: list[list[Glyph]]) -> list[Shaped]:
    """Each line's cells, x extent, median size and baseline (lines without text dropped)."""
    found = _wrapped_cells([_Line(runs, median(g.size for g in line), line[0].y)
                            for line in lines if (runs := _runs(line))])
    return [(tuple(r.text for r in line.runs), line.runs[0].x0, line.runs[-1].x1, line.size, line.y)
            for line in found]


def _rows(shaped: list[Shaped], margins: tuple[float, float]) -> list[Row]:
    left, right = margins
    return [Row(cells, x0 - left > size * 1.5, len(cells) == 1 and right - x1 < size * 1.5, y=y)
            for cells, x0, x1, size, y in shaped]


def _margins(shaped: list[Shaped]) -> tuple[float, float]:
    """Left edge of all lines, right edge of the prose (one-cell) lines."""
    if not shaped:
        return 0.0, 0.0
    prose = [s[2] for s in shaped if len(s[0]) == 1]
    return min(s[1] for s in shaped), max(prose) if prose else 0.0


def page_rows(glyphs: Iterable[Glyph], width: float, tables: Sequence[Table] = ()) -> list[Row]:
    """One page's rows: column by column on a two-column page, ruled tables in place by their height."""
    lines = baselines(g for g in glyphs if g.char.strip() or g.char == " ")
    gutter = None if tables else _gutter(lines, width)
    if gutter is not None:
        left = _shape([kept for line in lines if (kept := [g for g in line if g.x1 <= gutter])])
        right = _shape([kept for line in lines if (kept := [g for g in line if g.x1 > gutter])])
        return _rows(left, _margins(left)) + _rows(right, _margins(right))
    shaped = _shape(lines)
    rows = _rows(shaped, _margins(shaped))
    for table in tables:  # top first: each goes before the first line below its top edge
        at = next((i for i, row in enumerate(rows) if not row.table and row.y < table.top), len(rows))
        rows[at:at] = [Row(cells, False, False, True, table.top) for cells in table.texts]
    return rows


def paragraphs(rows: Iterable[Row]) -> str:
    """Rows to text: a prose row that runs to the right margin continues on the next row.

    When the document indents first lines (首行缩进, the norm for official documents) an unindented row
    after a full one is always a continuation; otherwise a full row ending a sentence ends its paragraph.
    """
    rows = list(rows)
    prose = [r for r in rows if len(r.cells) == 1 and not r.table]
    indents = bool(prose) and sum(r.indented for r in prose) >= len(prose) * 0.1
    out: list[str] = []
    joinable = False
    for row in rows:
        if joinable and len(row.cells) == 1 and not row.indented and not row.table and out:
            out[-1] += row.text
        else:
            out.append(row.text)
        joinable = row.full and not row.table and (indents or not row.text.endswith(_SENTENCE_END))
    return "\n".join(out)
