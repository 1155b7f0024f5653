"""The statistics tables of a report (政府信息公开工作年度报告 tables 二/三/四) as data, with the form's checks.

``read_statistics(text)`` is the one entry point for pipelines and the CLI: the tables in the schema of the
hand-typed Huaian gold (``schema.py``) and the failed identities (``checks.py``).
"""

from __future__ import annotations

from typing import Any

from pipelines.text.statistics.checks import Finding, check_statistics
from pipelines.text.statistics.reader import read_tables


def read_statistics(text: str) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The report's tables (``None`` when it prints none) and the identities they fail."""
    stats = read_tables(text)
    if stats is None:
        return None, []
    return stats, check_statistics(stats)


__all__ = ["Finding", "check_statistics", "read_statistics", "read_tables"]
