"""Compliance: for every organ a portal publishes for and every report year, was the report found, was it
published by the legal deadline, does it print the standard tables, and do they add up.

The rows are the portals' organs as the archive knows them: an organ counts as expected in every year of the
grid once any report of it was seen on that portal (a 街道/乡镇/部门 sub-column that published once is expected
to publish every year). A registered portal with no report at all is one row, missing everywhere. One plain
SELECT feeds the grid, so SQLite and PostgreSQL give the same answer; the grid itself is built in Python.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, exists, select

from storage.archive.base import ArchiveBase
from storage.archive.levels import organ_level_of
from storage.models import Portal, Report, ReportStatistics, ReportVersion, Sighting

LEVELS = ("government", "department", "subcounty")
_GOVERNMENT = re.compile(r"人民政府$|[省市县区旗州]$")
STATUSES = ("on_time", "late", "undated", "missing")
_FORMAL_SUFFIX = re.compile(r"(人民政府|办事处)$")


def organ_level(organ: str | None, portal_level: str | None = None) -> str:
    """government / department / subcounty, from the organ's name (a portal's own level when it has none).

    "XX县人民政府" and a bare place name ("大安市", as titles print it) are the government; 街道/乡/镇 are
    subcounty; anything else ("财政局", "人民政府办公室") is a department.
    """
    if not organ:
        return portal_level if portal_level in LEVELS else "government"
    name = organ.strip()
    if organ_level_of(name):  # streets (街道) and townships (乡/镇) report to their county, which sets the date
        return "subcounty"
    if _GOVERNMENT.search(name):
        return "government"
    return "department"


def organ_key(organ: str) -> str:
    """One row per organ however its reports name it: titles print "大安市", pages "大安市人民政府"."""
    return _FORMAL_SUFFIX.sub("", organ.strip()) or organ.strip()


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Publication deadlines as (month, day) in the year after the report year, by organ level.

    Regulations (2019) Art. 49: departments by 31 January, local governments by 31 March; before report year
    ``since`` (the 2007 Regulations, Art. 31) every organ had until 31 March, i.e. the government deadline.
    """

    department: tuple[int, int] = (1, 31)
    government: tuple[int, int] = (3, 31)
    subcounty: tuple[int, int] = (3, 31)
    since: int = 2019

    @classmethod
    def parse(cls, department: str, government: str, subcounty: str, since: int) -> Deadlines:
        """From "MM-DD" strings (the deadline settings in crawler/settings.py); a bad one is a clear ValueError."""
        def md(text: str) -> tuple[int, int]:
            month, day = (int(part) for part in text.split("-"))
            dt.date(2001, month, day)  # rejects 02-30 (and 02-29: a deadline must exist every year)
            return month, day
        try:
            return cls(md(department), md(government), md(subcounty), since)
        except ValueError:
            raise ValueError(f"deadlines must be MM-DD: {department!r}, {government!r}, {subcounty!r}") from None

    def due(self, level: str, year: int) -> dt.date:
        month, day = self.government if year < self.since else getattr(self, level)
        return dt.date(year + 1, month, day)


@dataclass(frozen=True, slots=True)
class ComplianceCell:
    """One organ in one report year. ``tables``: None when no report was found."""

    year: int
    status: str  # one of STATUSES
    due: dt.date
    report_id: int | None = None
    published: dt.date | None = None
    days_late: int | None = None
    tables: bool | None = None  # the report prints the standard statistics tables
    findings: int | None = None  # identities its tables fail (0 = they add up)
    superseded: bool = False  # the found text was later replaced by an edited version


@dataclass(slots=True)
class ComplianceRow:
    portal: str
    portal_display: str | None
    region: str | None
    region_code: str | None
    organ: str
    level: str
    cells: dict[int, ComplianceCell] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for c in self.cells.values() if c.status == status)

    @property
    def score(self) -> float:
        """Share of years with an on-time report that prints tables that add up (sort key "worst first")."""
        good = sum(1 for c in self.cells.values() if c.status == "on_time" and c.tables and not c.findings)
        return good / len(self.cells) if self.cells else 0.0


@dataclass(frozen=True, slots=True)
class ComplianceGrid:
    years: list[int]
    rows: list[ComplianceRow]
    deadlines: Deadlines


SORT_KEYS = {
    "region": lambda r: (r.region_code or "", r.portal, r.level != "government", r.organ),
    "organ": lambda r: (r.organ, r.portal),
    "missing": lambda r: (-r.count("missing"), r.organ),
    "late": lambda r: (-r.count("late"), r.organ),
    "score": lambda r: (r.score, r.organ),
}


def _region_condition(region: str) -> ColumnElement[bool]:
    """A region code prefix when all digits (``2208`` = 白城市), else part of the region name."""
    if re.fullmatch(r"\d+", region):
        return Portal.region_code.startswith(region, autoescape=True)
    return Portal.region.contains(region, autoescape=True)


class Compliance(ArchiveBase):
    def compliance(self, deadlines: Deadlines = Deadlines(), *, region: str | None = None, level: str | None = None,
                   portal: str | None = None, first: int | None = None, last: int | None = None,
                   sort: str = "region") -> ComplianceGrid:
        """The organs × years grid, ``first``…``last`` defaulting to the span of report years found."""
        if level is not None and level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        if sort not in SORT_KEYS:
            raise ValueError(f"sort must be one of {', '.join(SORT_KEYS)}, not {sort!r}")
        rows = self._compliance_rows(region, portal)
        found = sorted({r["report_year"] for r in rows if r["report_year"] is not None})
        # an open end defaults to the span found, never past the given end: ?last=2000 asks for 2000 at most
        first = first if first is not None else (min(found[0], last) if found and last is not None
                                                 else found[0] if found else last)
        last = last if last is not None else (max(found[-1], first) if found and first is not None
                                              else found[-1] if found else first)
        if first is not None and last is not None and first > last:
            raise ValueError(f"first year {first} is after last year {last}")
        span = list(range(first, last + 1)) if first is not None and last is not None else []
        grid: dict[tuple[str, str], ComplianceRow] = {}
        reports: dict[tuple[str, str], dict[int, list[dict[str, Any]]]] = {}
        canonical = _canonical_organs(rows)
        for r in rows:
            key = (r["portal"], canonical[r["portal"], organ_key(r["organ"] or r["display_name"] or r["portal"])])
            organ = key[1]
            if key not in grid:
                grid[key] = ComplianceRow(r["portal"], r["display_name"], r["region"], r["region_code"], organ,
                                          organ_level(r["organ"] or r["display_name"], r["portal_level"]))
            if r["report_id"] is not None and r["report_year"] is not None:
                reports.setdefault(key, {}).setdefault(r["report_year"], []).append(r)
        out = [row for row in grid.values() if level is None or row.level == level]
        for row in out:
            for year in span:
                row.cells[year] = _cell(year, deadlines.due(row.level, year),
                                        reports.get((row.portal, row.organ), {}).get(year, []))
        return ComplianceGrid(span, sorted(out, key=SORT_KEYS[sort]), deadlines)

    def _compliance_rows(self, region: str | None, portal: str | None) -> list[dict[str, Any]]:
        superseded = exists().where(ReportVersion.old_report_id == Report.id)
        stmt = (select(Portal.name.label("portal"), Portal.display_name, Portal.region, Portal.region_code,
                       Portal.level.label("portal_level"), Report.id.label("report_id"), Report.organ,
                       Report.report_year, Report.published, ReportStatistics.findings_count,
                       ReportStatistics.report_id.is_not(None).label("tables"), superseded.label("superseded"))
                .select_from(Portal)
                .outerjoin(Sighting, Sighting.portal_id == Portal.id)
                .outerjoin(Report, Report.id == Sighting.report_id)
                .outerjoin(ReportStatistics, ReportStatistics.report_id == Report.id)
                .distinct())
        if region and region.strip():
            stmt = stmt.where(_region_condition(region.strip()))
        if portal:
            stmt = stmt.where(Portal.name == portal)
        with self._read() as s:
            return [dict(r._mapping) for r in s.execute(stmt)]


def _canonical_organs(rows: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(portal, organ key) → the row's organ: a name printed without its place ("财政局") joins the full name
    ("靖宇县财政局") seen on the same portal when the missing prefix is the portal's own place, so one organ is
    one row however a title spells it. Names of other places' organs are left alone."""
    by_portal: dict[str, set[str]] = {}
    places: dict[str, str] = {}
    for r in rows:
        by_portal.setdefault(r["portal"], set()).add(organ_key(r["organ"] or r["display_name"] or r["portal"]))
        places[r["portal"]] = (r["region"] or "") + (r["display_name"] or "")
    out: dict[tuple[str, str], str] = {}
    for portal, organs in by_portal.items():
        for organ in organs:
            fuller = [o for o in organs if len(o) > len(organ) and o.endswith(organ)
                      and o[:-len(organ)] in places[portal]]
            out[portal, organ] = min(fuller, key=lambda o: (len(o), o)) if fuller else organ
    return out


def _cell(year: int, due: dt.date, found: list[dict[str, Any]]) -> ComplianceCell:
    """The year's report: the current text (not superseded) decides tables; the first publication, timeliness."""
    if not found:
        return ComplianceCell(year, "missing", due)
    current = sorted(found, key=lambda r: (bool(r["superseded"]), -r["report_id"]))[0]
    dates = [r["published"] for r in found if r["published"] is not None]
    published = min(dates) if dates else None
    status = "undated" if published is None else ("on_time" if published <= due else "late")
    return ComplianceCell(year, status, due, current["report_id"], published,
                          (published - due).days if status == "late" else None, bool(current["tables"]),
                          current["findings_count"], bool(current["superseded"]))


RECORD_FIELDS = ("portal", "region", "region_code", "organ", "level", "year", "status", "due", "published",
                 "days_late", "report_id", "tables", "findings", "superseded")


def grid_records(grid: ComplianceGrid) -> list[dict[str, Any]]:
    """Long format, one row per organ per year (CSV/JSON export of the grid in its order)."""
    return [{"portal": row.portal, "region": row.region, "region_code": row.region_code, "organ": row.organ,
             "level": row.level, "year": cell.year, "status": cell.status, "due": cell.due,
             "published": cell.published, "days_late": cell.days_late, "report_id": cell.report_id,
             "tables": cell.tables, "findings": cell.findings, "superseded": cell.superseded}
            for row in grid.rows for cell in row.cells.values()]
