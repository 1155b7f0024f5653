"""Page furniture: page numbers and running headers/footers, which the same report as HTML does not have.

Left in, "-1-" or "第 2 页 共 5 页" lands in the middle of a sentence wrapped across pages and the
PDF never hashes like the HTML copy of the report.  Only the top-most and bottom-most lines of a page
are candidates: a page-number shape there, or a line repeated at the same end of most pages (digits
aside: "XX 局 2024 年部门决算 - 3"), is furniture.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.text.documents.layout import Row

_DASH = r"[-—–－―~～·•\s]*"
_PAGE_NUMBER = re.compile(
    rf"^{_DASH}\d{{1,4}}{_DASH}$"  # 1, -1-, — 1 —, - 4 -
    r"|^第\s*\d{1,4}\s*页\s*[，,、/]?\s*(共\s*\d{1,4}\s*页)?$"  # 第 2 页 共 5 页, 第 1 页，共 5 页
    r"|^共\s*\d{1,4}\s*页\s*[，,、/]?\s*第\s*\d{1,4}\s*页$"  # 共 5 页 第 2 页
    r"|^\d{1,4}\s*/\s*\d{1,4}$"  # 2/5
    r"|^(?i:page)\s*\d{1,4}(\s*(?i:of)\s*\d{1,4})?$"
)
_BAND = 0.15  # share of the page height at the top and at the bottom where furniture sits
_REPEATED = 0.5  # a line at the same page end on this share of the pages (and on three) repeats
_EDGE_ROWS = 2  # rows looked at on each end of a page


@dataclass(frozen=True, slots=True)
class Page:
    """One page's rows in reading order and the page height (rows' ``y`` is measured from its bottom)."""

    rows: list[Row]
    height: float


def is_page_number(text: str) -> bool:
    return bool(_PAGE_NUMBER.match(text.strip()))


def _key(row: Row) -> str:
    return re.sub(r"\d+", "#", "".join(row.text.split()))


def _edges(page: Page) -> list[tuple[int, Row]]:
    """Indexes and rows of the page's top-most and bottom-most prose rows inside the furniture bands."""
    prose = [(i, r) for i, r in enumerate(page.rows) if not r.table]
    top = sorted(prose, key=lambda p: -p[1].y)[:_EDGE_ROWS]
    bottom = sorted(prose, key=lambda p: p[1].y)[:_EDGE_ROWS]
    band = page.height * _BAND
    top = [p for p in top if p[1].y >= page.height - band]
    return top + [p for p in bottom if p[1].y <= band and p not in top]


def drop_furniture(pages: Sequence[Page]) -> list[list[Row]]:
    """Each page's rows without page numbers and without headers/footers repeated across the document."""
    edges = [_edges(page) for page in pages]
    seen = Counter(key for page_edges in edges for key in {_key(row) for _, row in page_edges})
    repeated = {key for key, n in seen.items() if n >= 3 and n >= _REPEATED * len(pages)}
    out = []
    for page, page_edges in zip(pages, edges, strict=True):
        drop = {i for i, row in page_edges if is_page_number(row.text) or _key(row) in repeated}
        out.append([row for i, row in enumerate(page.rows) if i not in drop])
    return out
