"""The identities the form itself states, checked on the numbers as printed.

Each failed identity is a finding naming the cells involved; the printed numbers are never corrected.  A
blank cell (``None``) counts as absent in a sum; an identity whose printed total is blank, or whose every
addend is blank, cannot be checked and yields nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.text.statistics.schema import APPEAL_GROUPS, APPLICANTS, RESULT_GROUPS

Finding = dict[str, Any]
_PARTS = ("upheld", "corrected", "other", "pending")


def _get(stats: Mapping[str, Any], path: str) -> Any:
    node: Any = stats
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _compare(check: str, total_cell: str, addends: list[tuple[str, int]], stats: Mapping[str, Any],
             against: list[str] | None = None) -> Finding | None:
    """One identity: Σ addends == total (+ Σ ``against``); None when it holds or cannot be checked.

    ``printed`` in the finding is the printed side (total plus ``against``), ``computed`` the sum of addends.
    """
    printed = _get(stats, total_cell)
    values = [(cell, sign, _get(stats, cell)) for cell, sign in addends]
    others = [(cell, _get(stats, cell)) for cell in against or []]
    if printed is None or all(v is None for _, _, v in values):
        return None
    computed = sum(sign * v for _, sign, v in values if v is not None)
    expected = printed + sum(v for _, v in others if v is not None)
    if abs(computed - expected) < 1e-6:
        return None
    cells = {cell: _get(stats, cell) for cell in [total_cell, *(c for c, _ in others), *(c for c, _ in addends)]}
    return {"check": check, "cell": total_cell, "printed": expected, "computed": round(computed, 6),
            "cells": cells}


def check_statistics(stats: Mapping[str, Any]) -> list[Finding]:
    """Every failed identity of the form, in table order."""
    findings: list[Finding | None] = []
    apps = stats.get("applications") or {}
    if apps:
        rows = ["new", "carried_over", "results.public", "results.partial"]
        rows += [f"results.{group}.{sub}" for group, subs in RESULT_GROUPS.items() for sub in subs]
        rows += ["results.other", "results.total", "carried_forward"]
        rows += [f"extra_rows.other_processing_breakdown.{sub}"
                 for sub in (_get(stats, "extra_rows.other_processing_breakdown") or {})]
        for row in rows:
            base = row if row.startswith("extra_rows") else f"applications.{row}"
            findings.append(_compare("row_total", f"{base}.total",
                                     [(f"{base}.{col}", 1) for col in APPLICANTS[:-1]], stats))
        result_rows = ["public", "partial", *(f"{g}.{s}" for g, subs in RESULT_GROUPS.items() for s in subs),
                       "other"]
        for col in APPLICANTS:
            findings.append(_compare("results_total", f"applications.results.total.{col}",
                                     [(f"applications.results.{r}.{col}", 1) for r in result_rows], stats))
        for col in APPLICANTS:
            findings.append(_compare(
                "balance", f"applications.results.total.{col}",
                [(f"applications.new.{col}", 1), (f"applications.carried_over.{col}", 1)], stats,
                against=[f"applications.carried_forward.{col}"]))
    for group in APPEAL_GROUPS:
        findings.append(_compare("appeal_total", f"appeals.{group}.total",
                                 [(f"appeals.{group}.{part}", 1) for part in _PARTS], stats))
    return [f for f in findings if f is not None]
