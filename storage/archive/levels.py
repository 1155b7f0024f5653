"""Organ levels read from the organ's name, for reports a portal of another level publishes: a county portal's
街道/乡镇 sub-column carries street offices' and townships' reports, which `--level street` must find.

One vocabulary for the search filter (SQL, same on SQLite and PostgreSQL) and the compliance view (Python).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_

from storage.models import Report

STREET_MARK = "街道"  # 街道办事处, 街道办, 街道
TOWNSHIP_SUFFIXES = ("乡", "镇", "苏木", "乡人民政府", "镇人民政府", "乡政府", "镇政府", "苏木人民政府")
ORGAN_LEVELS = ("street", "township")


def organ_level_of(organ: str | None) -> str | None:
    """"street" / "township" when the organ's name says so, else None (its portal's level applies)."""
    name = (organ or "").strip()
    if STREET_MARK in name:
        return "street"
    if name.endswith(TOWNSHIP_SUFFIXES):
        return "township"
    return None


def organ_level_condition(level: str) -> ColumnElement[bool]:
    """``report.organ`` names an organ of ``level`` (one of ORGAN_LEVELS), as :func:`organ_level_of` decides."""
    if level == "street":
        return Report.organ.contains(STREET_MARK)
    return or_(*(Report.organ.endswith(suffix) for suffix in TOWNSHIP_SUFFIXES))
