"""Compliance: for every organ a portal publishes for and every report year, was the report found, was it
published by the legal deadline, does it print the standard tables, and do they add up.

The rows are the portals' organs as the archive knows them: an organ counts as expected in every year of the
grid once any report of it was seen on that portal (a 街道/乡镇/部门 sub-column that published once is expected
to publish every year). A registered portal with no report at all is one row, missing everywhere. One plain
SELECT feeds the grid, so SQLite and PostgreSQL give the same answer; the grid itself is built in Python, from
the portals' organs grouped once per change of the archive (:class:`ComplianceIndex`).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Engine, exists, select
from sqlalchemy.orm import Session

from storage.archive.base import ArchiveBase
from storage.archive.changes import ChangeWatch, PerEngine, parts, settle
from storage.archive.levels import organ_level_of
from storage.models import Portal, Report, ReportStatistics, ReportVersion, Sighting

LEVELS = ("government", "department", "subcounty")
_GOVERNMENT = re.compile(r"人民政府$|[省市县区旗州]$")
STATUSES = ("on_time", "late", "undated", "missing")
# after a change, group again the portals the journal touches unless they are more than this share of them (and
# more than the least number): then read everything
_JOURNAL_AT_MOST, _JOURNAL_AT_LEAST = 0.2, 50
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


def _in_region(organ: _Organ, region: str) -> bool:
    """A region code prefix when all digits (``2208`` = 白城市), else part of the region name, in any case, as the
    search's region filter takes it (``ILIKE``; SQLite's ``LIKE`` with every case form)."""
    if re.fullmatch(r"\d+", region):
        return (organ.region_code or "").startswith(region)
    return region.lower() in (organ.region or "").lower()


@dataclass(frozen=True, slots=True)
class _Organ:
    """One row of the grid before its cells: an organ as a portal publishes for it, its reports by year."""

    portal: str
    display_name: str | None
    region: str | None
    region_code: str | None
    organ: str
    level: str
    years: dict[int, _Found]


class ComplianceIndex:
    """Every portal's organs with their reports by year, kept in memory and brought up to date per change.

    The grid reads one row per report and sighting (100,000 at 100,000 reports: 1.0–1.5 s of SQL and 0.6 s of
    Python to group them), so, like the facet index (storage.archive.facets), the grouped organs are kept and, when
    the archive's change marker moves, only the portals the journal touches are read and grouped again: those it
    names (a portal's own row, or a sighting's) and those where the reports it names are seen (organs are grouped
    per portal). Everything is read again when the journal says so or touches more than ``_JOURNAL_AT_MOST`` of the
    portals. ``stats`` counts the refreshes of each kind (``full``, ``journal``).
    """

    def __init__(self, engine: Engine) -> None:
        self.stats: Counter[str] = Counter()
        self._watch = ChangeWatch(engine)
        self._lock = threading.Lock()
        self._by_portal: dict[int, list[_Organ]] = {}  # portal id → its organs
        self._organs: list[_Organ] = []

    def organs(self, s: Session) -> list[_Organ]:
        with self._lock:
            changes = self._watch.pending(s.connection())
            if changes is None:
                return self._organs
            if not changes.everything:
                portals = set(changes.portals | changes.sighted)
                for part in parts(sorted(changes.reports)):
                    portals.update(s.scalars(select(Sighting.portal_id).where(Sighting.report_id.in_(part),
                                                                               Sighting.portal_id.is_not(None))))
                if len(portals) <= max(_JOURNAL_AT_LEAST, _JOURNAL_AT_MOST * len(self._by_portal)):
                    self._regroup([r for part in parts(sorted(portals)) for r in _rows(s, part)], portals)
                    self._watch.read()
                    self.stats["journal"] += 1
                    return self._organs
            self._by_portal = {}
            self._regroup(_rows(s, None), set())
            self._watch.read()
            self.stats["full"] += 1
            return self._organs

    def _regroup(self, rows: list[dict[str, Any]], portals: set[int]) -> None:
        """Group ``rows`` (every row of the portals read) in place of what ``portals`` had."""
        for portal in portals:
            self._by_portal.pop(portal, None)
        for portal_id, organs in _group(rows).items():
            self._by_portal[portal_id] = organs
        self._organs = sorted((o for organs in self._by_portal.values() for o in organs),
                              key=lambda o: (o.portal, o.organ))
        settle()


def _rows(s: Session, portals: list[int] | None) -> list[dict[str, Any]]:
    """One row per portal and report seen there (and one per portal without reports): of ``portals`` (None: all)."""
    superseded = exists().where(ReportVersion.old_report_id == Report.id)
    statement = (
        select(Portal.id.label("portal_id"), Portal.name.label("portal"), Portal.display_name, Portal.region,
               Portal.region_code, Portal.level.label("portal_level"), Report.id.label("report_id"), Report.organ,
               Report.report_year, Report.published, ReportStatistics.findings_count,
               ReportStatistics.report_id.is_not(None).label("tables"), superseded.label("superseded"))
        .select_from(Portal)
        .outerjoin(Sighting, Sighting.portal_id == Portal.id)
        .outerjoin(Report, Report.id == Sighting.report_id)
        .outerjoin(ReportStatistics, ReportStatistics.report_id == Report.id)
        .distinct())
    if portals is not None:
        statement = statement.where(Portal.id.in_(portals))
    return [dict(r._mapping) for r in s.execute(statement)]


def _group(rows: list[dict[str, Any]]) -> dict[int, list[_Organ]]:
    """Portal id → one entry per organ of it (as canonicalised), in the order rows first name it."""
    canonical = _canonical_organs(rows)
    organs: dict[tuple[str, str], _Organ] = {}
    owner: dict[tuple[str, str], int] = {}
    found: dict[tuple[str, str], dict[int, list[dict[str, Any]]]] = {}
    for r in rows:
        key = (r["portal"], canonical[r["portal"], organ_key(r["organ"] or r["display_name"] or r["portal"])])
        if key not in organs:
            organs[key] = _Organ(r["portal"], r["display_name"], r["region"], r["region_code"], key[1],
                                 organ_level(r["organ"] or r["display_name"], r["portal_level"]), {})
            owner[key] = r["portal_id"]
        if r["report_id"] is not None and r["report_year"] is not None:
            found.setdefault(key, {}).setdefault(r["report_year"], []).append(r)
    for key, years in found.items():
        organs[key].years.update((year, _found(rows)) for year, rows in years.items())
    out: dict[int, list[_Organ]] = {}
    for key, organ in organs.items():
        out.setdefault(owner[key], []).append(organ)
    return out


compliance_index = PerEngine(ComplianceIndex)


class Compliance(ArchiveBase):
    def compliance(self, deadlines: Deadlines = Deadlines(), *, region: str | None = None, level: str | None = None,
                   portal: str | None = None, first: int | None = None, last: int | None = None,
                   sort: str = "region") -> ComplianceGrid:
        """The organs × years grid, ``first``…``last`` defaulting to the span of report years found."""
        if level is not None and level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        if sort not in SORT_KEYS:
            raise ValueError(f"sort must be one of {', '.join(SORT_KEYS)}, not {sort!r}")
        with self._read() as s:
            organs = compliance_index(self.engine).organs(s)
        if region and region.strip():
            organs = [o for o in organs if _in_region(o, region.strip())]
        if portal:
            organs = [o for o in organs if o.portal == portal]
        found = sorted({year for o in organs for year in o.years})
        # an open end defaults to the span found, never past the given end: ?last=2000 asks for 2000 at most
        first = first if first is not None else (min(found[0], last) if found and last is not None
                                                 else found[0] if found else last)
        last = last if last is not None else (max(found[-1], first) if found and first is not None
                                              else found[-1] if found else first)
        if first is not None and last is not None and first > last:
            raise ValueError(f"first year {first} is after last year {last}")
        span = list(range(first, last + 1)) if first is not None and last is not None else []
        out = []
        # per level and year: the deadline, and the one (immutable) cell of every organ missing then
        due = {(lv, year): deadlines.due(lv, year) for lv in LEVELS for year in span}
        missing = {key: ComplianceCell(key[1], "missing", day) for key, day in due.items()}
        for o in organs:
            if level is None or o.level == level:
                row = ComplianceRow(o.portal, o.display_name, o.region, o.region_code, o.organ, o.level)
                row.cells.update((year, _cell(year, due[o.level, year], found) if (found := o.years.get(year))
                                  else missing[o.level, year]) for year in span)
                out.append(row)
        return ComplianceGrid(span, sorted(out, key=SORT_KEYS[sort]), deadlines)


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


class _Found(NamedTuple):
    """An organ's reports of one year, as a cell reads them: the current text (not superseded, else the newest)
    decides tables; the first publication, timeliness."""

    current: dict[str, Any]
    published: dt.date | None


def _found(rows: list[dict[str, Any]]) -> _Found:
    dates = [r["published"] for r in rows if r["published"] is not None]
    return _Found(min(rows, key=lambda r: (bool(r["superseded"]), -r["report_id"])), min(dates) if dates else None)


def _cell(year: int, due: dt.date, found: _Found) -> ComplianceCell:
    current, published = found
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
