"""Helpers for the statistics-table tests and benchmark: real inputs, their hand-typed golds, cell comparison."""

from __future__ import annotations

import json
import re
from typing import Any

from pipelines.extract import extract
from pipelines.text.encoding import decode_html
from tests.support import CORPUS, ROOT

STATISTICS_CORPUS = ROOT / "tests" / "statistics_corpus"
PINGTAN_PAGE = CORPUS / "realpages" / "fj_pingtan_zfxxgknb_2023_annual_report_detail_trs.html"
PINGTAN_URL = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202403/t20240308_87885.htm"
HUAIAN_GOLD = "pdf_js_huaian_city_2024_zfxxgk_annual_report_wps.statistics.json"  # the lead's hand-typed gold
PINGTAN_GOLD = "fj_pingtan_2023.statistics.json"
COMPARED = ("active", "applications", "appeals", "extra_rows")


def layout_to_tabs(text: str) -> str:
    """``pdftotext -layout`` output as the archive stores tables: runs of 2+ spaces become one TAB."""
    return "\n".join(re.sub(r" {2,}", "\t", line.strip()) for line in text.splitlines())


def pingtan_text() -> str:
    return extract(decode_html(PINGTAN_PAGE.read_bytes()), PINGTAN_URL).text


SHUYANG_PAGE = STATISTICS_CORPUS / "js_shuyang_fgj_2023_tables_reduced.html"
SHUYANG_URL = "http://www.shuyang.gov.cn/sygfj/gknb/202401/2ecfb31a335f4d689220a3a23e24a986.shtml"
SHUYANG_GOLD = "js_shuyang_fgj_2023.statistics.json"


def shuyang_text() -> str:
    return extract(decode_html(SHUYANG_PAGE.read_bytes()), SHUYANG_URL).text


def huaian_text() -> str:
    """Poppler's layout text of the Huaian PDF (a third party's reading), as tab-separated rows."""
    return layout_to_tabs((STATISTICS_CORPUS / "pdf_js_huaian_city_2024.pdftotext-layout.txt").read_text())


def load_gold(name: str) -> dict[str, Any]:
    return json.loads((STATISTICS_CORPUS / name).read_text())


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf cells by dotted path."""
    if not isinstance(node, dict):
        return {prefix: node}
    out: dict[str, Any] = {}
    for key, value in node.items():
        out.update(flatten(value, f"{prefix}.{key}" if prefix else key))
    return out


def cell_diff(gold: dict[str, Any], got: dict[str, Any] | None) -> tuple[int, list[tuple[str, Any, Any]]]:
    """Number of gold cells and the ones ``got`` has wrong (path, gold, got)."""
    want = flatten({k: gold.get(k, {}) for k in COMPARED})
    have = flatten({k: (got or {}).get(k, {}) for k in COMPARED})
    return len(want), [(path, value, have.get(path)) for path, value in want.items() if have.get(path) != value]
