"""Draft a reference text for a real PDF from third-party readers only (see PROVENANCE.md).

Text outside ruled tables: poppler's ``pdftotext -layout`` on that part of the page (``-x -y -W -H``
crops).  Ruled tables: pdfplumber's ``find_tables()`` cells, read as an HTML table reads (row by
row, a merged cell once in the first row it spans, a cell's wrapped lines joined), tab-joined.
Whitespace runs inside a line become one tab; lines that are only a page number are listed on
stderr and dropped.  The draft is then corrected by hand against the page images
(``pdftoppm -png -r 110``); nothing here imports nianbao's own readers.

    python tests/documents/draft_reference.py FILE.pdf > draft.txt
"""

from __future__ import annotations

import re
import subprocess
import sys

_PAGE_NUMBER = re.compile(r"^[-—–－\s]*\d{1,3}[-—–－\s]*$|^第\s*\d+\s*页[，,\s]*共\s*\d+\s*页$")


def _poppler(path: str, page: int, top: float, bottom: float, width: float) -> list[str]:
    """Lines of poppler's layout text between ``top`` and ``bottom`` (points from the page top)."""
    if bottom - top < 1:
        return []
    done = subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), "-x", "0", "-y", str(int(top)),
                           "-W", str(int(width) + 1), "-H", str(int(bottom - top) + 1), path, "-"],
                          capture_output=True, text=True, check=True)
    return [re.sub(r"\s{2,}", "\t", line.strip()) for line in done.stdout.splitlines() if line.strip()]


def _cell(text: str | None) -> str:
    return "".join((text or "").split("\n")).strip()


def draft(path: str) -> list[str]:
    import pdfplumber

    out: list[str] = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            top = 0.0
            for table in sorted(page.find_tables(), key=lambda t: t.bbox[1]):
                _, t0, _, t1 = table.bbox
                out += _poppler(path, number, top, t0, page.width)
                for row in table.extract():
                    cells = [_cell(c) for c in row if c is not None]
                    if any(cells):
                        out.append("\t".join(cells))
                top = t1
            out += _poppler(path, number, top, page.height, page.width)
    kept = []
    for line in out:
        if _PAGE_NUMBER.match(line):
            print(f"dropped page number line: {line!r}", file=sys.stderr)
        else:
            kept.append(line)
    return kept


if __name__ == "__main__":
    print("\n".join(draft(sys.argv[1])))
