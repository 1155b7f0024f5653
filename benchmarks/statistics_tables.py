"""Statistics-table reading: cell accuracy and identity findings per real report with a hand-made gold.

Every real report of ``tests/statistics_corpus`` (PROVENANCE.md there) is read by nianbao's reader and by a
baseline in the same run: a positional reader that assigns each line's numbers to the 2021 form's rows in
printed order, ignoring labels (what a reader without label matching gets).  Cell accuracy = gold cells read
exactly (a blank cell must come out ``None``) / gold cells.  The Huaian PDF is read twice: from poppler's
layout text (the stand-in until nianbao's PDF reader gives table rows) and from nianbao's own PDF reader.

Usage (from the repository root):
    python benchmarks/statistics_tables.py
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The golds and their helpers live with the tests; the script's own folder leaves sys.path, or this file would
# shadow the standard library's ``statistics`` module for everything imported below.
sys.path[0] = str(ROOT)

from pipelines.text.documents import extract_document  # noqa: E402
from pipelines.text.statistics import read_statistics  # noqa: E402
from pipelines.text.statistics.reader import split_row  # noqa: E402
from pipelines.text.statistics.schema import (  # noqa: E402
    ACTIVE_COLUMNS,
    APPEAL_GROUPS,
    APPEAL_OUTCOMES,
    APPLICANTS,
    ROWS_2021,
)
from tests.support.statistics import (  # noqa: E402
    HUAIAN_GOLD,
    PINGTAN_GOLD,
    SHUYANG_GOLD,
    cell_diff,
    huaian_text,
    load_gold,
    pingtan_text,
    shuyang_text,
)

HUAIAN_PDF = Path("/work/shared/realworld/pdf_js_huaian_city_2024_zfxxgk_annual_report_wps.pdf")


def positional(text: str) -> dict[str, Any]:
    """Baseline: numbers in printed order into the 2021 rows, labels ignored."""
    lines = text.splitlines()
    mark = {name: next((i for i, line in enumerate(lines) if re.match(pattern, line.strip())), len(lines))
            for name, pattern in (("active", r"二、主动公开"), ("apps", r"三、收到和处理"), ("appeals", r"四、.*复议"))}
    numbers = [split_row(line)[1] for line in lines]
    active_rows = [n for n in numbers[mark["active"]:mark["apps"]] if n]
    active = {item: dict(zip(cols, values, strict=False))
              for (item, cols), values in zip(ACTIVE_COLUMNS["2021"].items(), active_rows, strict=False)}
    rows = [n[-7:] for n in numbers[mark["apps"]:mark["appeals"]] if len(n) >= 7]
    apps: dict[str, Any] = {}
    for path, values in zip(ROWS_2021, rows, strict=False):
        node = apps
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = dict(zip(APPLICANTS, values, strict=True))
    flat = [v for n in numbers[mark["appeals"]:] for v in n][:15]
    appeals = {g: dict(zip(APPEAL_OUTCOMES, flat[i * 5:i * 5 + 5], strict=False)) for i, g in enumerate(APPEAL_GROUPS)}
    other = apps.pop("other_processing", {})
    return {"active": active, "applications": apps, "appeals": appeals,
            "extra_rows": {"other_processing_breakdown": other}}


def huaian_ours() -> str:
    if not HUAIAN_PDF.exists():
        return ""
    return extract_document(HUAIAN_PDF.read_bytes(), name=HUAIAN_PDF.name).text


CASES: list[tuple[str, str, Callable[[], str]]] = [
    ("平潭综合实验区 2023 (HTML page)", PINGTAN_GOLD, pingtan_text),
    ("沭阳县发改局 2023 (HTML tables, reduced copy)", SHUYANG_GOLD, shuyang_text),
    ("淮安市 2024 (PDF via poppler -layout)", HUAIAN_GOLD, huaian_text),
    ("淮安市 2024 (PDF via nianbao's reader)", HUAIAN_GOLD, huaian_ours),
]


def main() -> None:
    print("| report | gold cells | nianbao | baseline (positional) | identity findings |")
    print("|---|---:|---:|---:|---:|")
    totals = [0, 0, 0]
    for name, gold_name, text_of in CASES:
        gold = load_gold(gold_name)
        text = text_of()
        stats, findings = read_statistics(text)
        cells, wrong = cell_diff(gold, stats)
        _, wrong_base = cell_diff(gold, positional(text))
        ours, base = cells - len(wrong), cells - len(wrong_base)
        totals = [totals[0] + cells, totals[1] + ours, totals[2] + base]
        print(f"| {name} | {cells} | {ours / cells:.1%} | {base / cells:.1%} | "
              f"{len(findings) if stats else 'no tables'} |")
    cells, ours, base = totals
    print(f"| all | {cells} | {ours / cells:.1%} | {base / cells:.1%} | |")
    print(f"\ncell accuracy ratio nianbao / baseline: {ours / max(base, 1):.2f}")


if __name__ == "__main__":
    main()
