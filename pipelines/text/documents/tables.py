"""Ruled tables: cells rebuilt from the lines a producer drew around them.

Gaps between glyphs tell table cells apart only in one-line cells; government tables wrap labels
inside cells ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）"), merge cells over rows
("（三）不予公开") and write vertical labels one character per line ("三、本年度办理结果").  When the
borders are drawn, they say which glyphs share a cell: the grid of drawn rules is split into slots,
slots with no rule between them are merged into one cell, and each cell's glyphs are read as one
text.  Rows come out as an HTML table reads: a merged cell in the first row it spans, cells
tab-joined, so the same report as HTML and as PDF gives the same text.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from pipelines.text.documents.layout import Glyph, baselines, join_lines

_TOL = 2.0  # points: rules this close are one rule, and touch
_COVER = 0.7  # share of a slot side a rule must cover to separate two slots


@dataclass(frozen=True, slots=True)
class Rule:
    """A drawn horizontal or vertical line (PDF coordinates, y upwards), ``x0 <= x1`` and ``y0 <= y1``."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def horizontal(self) -> bool:
        return self.y1 - self.y0 <= self.x1 - self.x0


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell: its text, left and right edges, and the first and last grid rows it spans."""

    text: str
    x0: float
    x1: float
    first: int
    last: int


@dataclass(frozen=True, slots=True)
class Table:
    """A ruled table: its extent, its cells row by row (a merged cell in the first row it spans), the x of
    its vertical rules and its number of grid rows."""

    top: float
    bottom: float
    rows: tuple[tuple[Cell, ...], ...]
    columns: tuple[float, ...]
    grid_rows: int

    @property
    def texts(self) -> list[tuple[str, ...]]:
        """Cell texts of each row that has any."""
        return [cells for row in self.rows if any(cells := tuple(c.text for c in row))]


def _snap(values: Iterable[float]) -> list[float]:
    """Positions within ``_TOL`` of each other as one (their mean), ascending."""
    groups: list[list[float]] = []
    for v in sorted(values):
        if groups and v - groups[-1][-1] <= _TOL:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [sum(g) / len(g) for g in groups]


def _touch(h: Rule, v: Rule) -> bool:
    return h.x0 - _TOL <= v.x0 <= h.x1 + _TOL and v.y0 - _TOL <= h.y0 <= v.y1 + _TOL


def _clusters(rules: Sequence[Rule]) -> list[list[Rule]]:
    """Rules connected by crossings, touching ends or continuing one another: one cluster per table.

    ONLYOFFICE and Word draw each cell's border as its own segment, so a line beside a merged cell
    reaches the rest of the table only through the segments it continues.
    """
    parent = list(range(len(rules)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    hs = [i for i, r in enumerate(rules) if r.horizontal]
    vs = [i for i, r in enumerate(rules) if not r.horizontal]
    for i in hs:
        for j in vs:
            if _touch(rules[i], rules[j]):
                parent[find(i)] = find(j)
    for group, across, start, end in ((hs, "y0", "x0", "x1"), (vs, "x0", "y0", "y1")):
        lines: list[list[int]] = []  # rules on one line (same y, or same x), each within _TOL of the last
        for i in sorted(group, key=lambda i: getattr(rules[i], across)):
            if lines and getattr(rules[i], across) - getattr(rules[lines[-1][-1]], across) <= _TOL:
                lines[-1].append(i)
            else:
                lines.append([i])
        for line in lines:
            ordered = sorted(line, key=lambda i: getattr(rules[i], start))
            reach = getattr(rules[ordered[0]], end)
            for i, j in itertools.pairwise(ordered):
                if getattr(rules[j], start) - reach <= _TOL:
                    parent[find(i)] = find(j)
                reach = max(reach, getattr(rules[j], end))
    groups: dict[int, list[Rule]] = {}
    for i, rule in enumerate(rules):
        groups.setdefault(find(i), []).append(rule)
    return list(groups.values())


def _covered(spans: list[tuple[float, float]], lo: float, hi: float) -> bool:
    """True when ``spans`` cover at least ``_COVER`` of ``[lo, hi]``."""
    total, reach = 0.0, lo
    for a, b in sorted(spans):
        a, b = max(a, reach), min(b, hi)
        if b > a:
            total += b - a
            reach = b
    return total >= _COVER * (hi - lo)


class _Grid:
    """Slots between snapped rule positions; slots with no rule between them form one cell."""

    def __init__(self, rules: list[Rule]) -> None:
        self.xs = _snap(r.x0 for r in rules if not r.horizontal)
        self.ys = _snap(r.y0 for r in rules if r.horizontal)[::-1]  # top first
        self.hspans = {i: [(r.x0, r.x1) for r in rules if r.horizontal and abs(r.y0 - y) <= _TOL]
                       for i, y in enumerate(self.ys)}
        self.vspans = {i: [(r.y0, r.y1) for r in rules if not r.horizontal and abs(r.x0 - x) <= _TOL]
                       for i, x in enumerate(self.xs)}
        cols, rows = len(self.xs) - 1, len(self.ys) - 1
        self.cell = list(range(cols * rows))  # union-find over slots, row-major
        for r in range(rows):
            for c in range(cols):
                slot = r * cols + c
                if c + 1 < cols and not _covered(self.vspans[c + 1], self.ys[r + 1], self.ys[r]):
                    self._union(slot, slot + 1)
                if r + 1 < rows and not _covered(self.hspans[r + 1], self.xs[c], self.xs[c + 1]):
                    self._union(slot, slot + cols)
        self.cols, self.rows = cols, rows

    def has_columns(self) -> bool:
        """True when some row has two cells side by side."""
        return any(self._find(r * self.cols + c) != self._find(r * self.cols + c + 1)
                   for r in range(self.rows) for c in range(self.cols - 1))

    def _find(self, i: int) -> int:
        while self.cell[i] != i:
            self.cell[i] = self.cell[self.cell[i]]
            i = self.cell[i]
        return i

    def _union(self, a: int, b: int) -> None:
        a, b = self._find(a), self._find(b)
        self.cell[max(a, b)] = min(a, b)  # the root is the cell's top-left slot

    def slot(self, x: float, y: float) -> int | None:
        if not (self.xs[0] < x < self.xs[-1] and self.ys[-1] < y < self.ys[0]):
            return None
        c = bisect_right(self.xs, x) - 1
        r = bisect_right([-y for y in self.ys], -y) - 1
        return self._find(r * self.cols + c)


def _table(rules: list[Rule], glyphs: list[Glyph]) -> tuple[Table | None, list[Glyph]]:
    """The table drawn by one cluster of rules and the glyphs outside it (all of them when it is no table)."""
    grid = _Grid(rules)
    if not grid.has_columns():
        return None, glyphs  # frames around boxes or lines of text are no table
    inside: dict[int, list[Glyph]] = {}
    rest = []
    for g in glyphs:
        cell = grid.slot((g.x0 + g.x1) / 2, g.y + g.size * 0.3)
        if cell is None:
            rest.append(g)
        else:
            inside.setdefault(cell, []).append(g)
    if not inside:
        return None, glyphs
    spans: dict[int, list[int]] = {}
    for slot in range(grid.cols * grid.rows):
        spans.setdefault(grid._find(slot), []).append(slot)
    rows: list[list[Cell]] = [[] for _ in range(grid.rows)]
    for root, slots in sorted(spans.items()):
        text = join_lines(baselines(inside.get(root, [])))
        cols = [s % grid.cols for s in slots]
        cell = Cell(text, grid.xs[min(cols)], grid.xs[max(cols) + 1], root // grid.cols, max(slots) // grid.cols)
        rows[cell.first].append(cell)
    table = Table(grid.ys[0], grid.ys[-1], tuple(tuple(r) for r in rows), tuple(grid.xs), grid.rows)
    return table, rest


def find_tables(rules: Sequence[Rule], glyphs: Sequence[Glyph]) -> tuple[list[Table], list[Glyph]]:
    """Ruled tables on a page, top first, and the glyphs that are not in any of them."""
    tables = []
    rest = list(glyphs)
    for cluster in _clusters(rules):
        if sum(r.horizontal for r in cluster) < 2 or sum(not r.horizontal for r in cluster) < 2:
            continue
        table, rest = _table(cluster, rest)
        if table is not None:
            tables.append(table)
    return sorted(tables, key=lambda t: -t.top), rest


_ITEM = re.compile(r"^\s*([（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+、|\d+\s*[.、．)）]|[①-⑳])")
_NUMBER = re.compile(r"^[-+\d.,%‰\s]*$")
_SAME_X = 3.0  # points: column edges this close on two pages are one table's


def _label(text: str) -> bool:
    return not _NUMBER.match(text)


def continue_table(prev: Table, nxt: Table) -> tuple[Table, Table]:
    """Join a row-group label that a page break cut in two ("（四）无" | "法提供").

    ``nxt`` is the table at the top of the page after the one ``prev`` ends.  When both have the same
    columns, a merged label cell in ``nxt``'s first row that starts no new item ("（五）", "2.") and
    sits under a label cell of ``prev``'s last row is the rest of that label: its text moves there,
    where the HTML table has it.
    """
    if not prev.rows or not nxt.rows or not all(any(abs(x - p) <= _SAME_X for p in prev.columns)
                                                for x in nxt.columns):
        return prev, nxt
    bottom = [c for row in prev.rows for c in row if c.last == prev.grid_rows - 1 and _label(c.text)]
    moved: dict[Cell, Cell] = {}
    for cell in nxt.rows[0]:
        if cell.last == cell.first or not _label(cell.text) or _ITEM.match(cell.text):
            continue
        above = next((c for c in bottom if abs(c.x0 - cell.x0) <= _SAME_X and abs(c.x1 - cell.x1) <= _SAME_X), None)
        if above is not None:
            moved[above] = cell
    if not moved:
        return prev, nxt
    prev_rows = tuple(tuple(replace(c, text=c.text + moved[c].text) if c in moved else c for c in row)
                      for row in prev.rows)
    gone = set(moved.values())
    nxt_rows = tuple(tuple(replace(c, text="") if c in gone else c for c in row) for row in nxt.rows)
    return replace(prev, rows=prev_rows), replace(nxt, rows=nxt_rows)
