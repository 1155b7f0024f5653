"""CSV cells that are safe to open in a spreadsheet (OWASP "CSV Injection").

Titles and organ names are scraped from portals anyone can publish on, and Excel or LibreOffice run a
cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before one) as a formula.
Such a cell is written with a leading ``'``, which spreadsheets show as text. Only CSV output does this:
JSON Lines and Parquet keep the raw value.
"""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when a spreadsheet would read it as a formula; other values unchanged."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value
