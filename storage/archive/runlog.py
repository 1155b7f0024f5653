"""Reading crawl runs back for people: runs page by page (all, or those that crawled one portal) with their
run-wide counters (``crawl_run`` columns), their counters per portal (``crawl_run_portal``), a portal's last
successful run, and the reports a run archived.

Each answer is a fixed number of SELECTs however many runs it covers (the runs, their counters, the total), so
a page of runs costs about the same at 10 runs as at 50,000. Which portals a run crawled is a JSON list in
``crawl_run.portals``; membership is tested with the dialect's JSON functions (SQLite ``json_each``, PostgreSQL
``jsonb @>``), so SQLite and PostgreSQL give the same answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Text, cast, exists, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from storage.archive.base import ArchiveBase, among
from storage.archive.records import RunView
from storage.archive.runcounters import COUNTER_COLUMNS, PORTAL_PREFIX, RUN_TOTALS, as_counters, by_portal
from storage.models import CrawlRun, Portal, Report, ReportVersion, RunPortal, Sighting


@dataclass(frozen=True, slots=True)
class RunReport:
    """A report a run archived: ``change`` is "new" (first archived by the run) or "changed" (an edit it found)."""

    report_id: int
    change: str
    title: str | None
    organ: str | None
    report_year: int | None
    url: str | None
    portal: str | None


_LIGHT = (CrawlRun.id, CrawlRun.started_at, CrawlRun.finished_at, CrawlRun.finish_reason, CrawlRun.portals,
          CrawlRun.errors, *(getattr(CrawlRun, column) for column in RUN_TOTALS.values()))  # without its stats


class RunLog(ArchiveBase):
    def _crawled(self, portal: str) -> ColumnElement[bool]:
        """The run's portal list names ``portal``.

        A substring test on the list's stored text (the name as a JSON serialiser writes it, escaped or not)
        rules out most runs cheaply; the JSON test then makes it exact."""
        text = cast(CrawlRun.portals, Text)
        quick = or_(*(text.contains(form, autoescape=True)
                      for form in dict.fromkeys((json.dumps(portal), json.dumps(portal, ensure_ascii=False)))))
        if self.engine.dialect.name == "postgresql":
            return quick & cast(CrawlRun.portals, JSONB).contains([portal])
        each = func.json_each(CrawlRun.portals).table_valued("value")
        return quick & exists(select(literal(1)).select_from(each).where(each.c.value == portal))

    def runs_page(self, limit: int = 20, offset: int = 0, portal: str | None = None, *,
                  keys: Sequence[str] = ()) -> tuple[list[RunView], int]:
        """Runs newest first (only those that crawled ``portal`` when given) and how many there are in all.

        Their ``stats`` hold only the counters named in ``keys``: a crawl of every portal stores megabytes of
        per-portal counters, and a page of runs needs a handful of them (per-portal ones: ``portal_counters``)."""
        stmt = select(*_LIGHT).order_by(CrawlRun.id.desc()).limit(limit).offset(offset)
        count = select(func.count(CrawlRun.id))
        if portal is not None:
            stmt, count = stmt.where(self._crawled(portal)), count.where(self._crawled(portal))
        with self._read() as s:  # a window count(*) OVER () would carry every run's columns through the sort
            rows = s.execute(stmt).all()
            total = s.scalar(count) if offset or len(rows) == limit else len(rows)
            return _with_stats(s, rows, keys, None), total or 0

    def last_success(self, portal: str, *, keys: Sequence[str] = ()) -> RunView | None:
        """The newest run that finished normally and read at least one list page of ``portal``, with the
        counters named in ``keys``.

        The per-portal counter is the one the crawl records (``pipelines.components.count``), read from the
        run's ``crawl_run_portal`` row (written when a run closes, so a run that finished normally has one)."""
        read_lists = exists().where(RunPortal.run_id == CrawlRun.id, RunPortal.portal == portal,
                                    RunPortal.list_pages > 0)
        stmt = (select(*_LIGHT).where(self._crawled(portal), CrawlRun.finish_reason == "finished", read_lists)
                .order_by(CrawlRun.id.desc()).limit(1))
        with self._read() as s:
            found = _with_stats(s, s.execute(stmt).all(), keys, None)
        return found[0] if found else None

    def run_view(self, run_id: int, *, keys: Sequence[str] = ()) -> RunView | None:
        """One run with the counters named in ``keys`` (``get_run`` loads its whole stats)."""
        with self._read() as s:
            found = _with_stats(s, s.execute(select(*_LIGHT).where(CrawlRun.id == run_id)).all(), keys, None)
        return found[0] if found else None

    def run_wide_stats(self, run_id: int) -> dict[str, Any]:
        """The run's stats without its per-portal counters (those are ``portal_counters``)."""
        each = func.json_each(CrawlRun.stats).table_valued("key", "value")
        with self._read() as s:
            rows = s.execute(select(each.c.key, each.c.value).select_from(CrawlRun).join(each, true())
                             .where(CrawlRun.id == run_id,
                                    func.substr(each.c.key, 1, len(PORTAL_PREFIX)) != PORTAL_PREFIX))
            return {key: value for key, value in rows}

    def portal_counters(self, runs: Sequence[RunView], portal: str | None = None
                        ) -> dict[int, dict[str, dict[str, int]]]:
        """Each run's counters by portal (only ``portal``'s when given), under the names the stats use.

        A closed run's are its ``crawl_run_portal`` rows: an index range, however big its stats. A run without
        rows (still open, or killed before it closed) shows what its stats hold so far — the reports counted
        while it runs (``Archive.record``) — split by :func:`by_portal` as the close would split them."""
        out: dict[int, dict[str, dict[str, int]]] = {r.id: {} for r in runs}
        # plain tuples, not objects: a run of every portal has thousands of rows (ORM objects cost ~60 ms)
        stmt = select(RunPortal.run_id, RunPortal.portal, *COUNTER_COLUMNS).where(RunPortal.run_id.in_(out))
        if portal is not None:
            stmt = stmt.where(RunPortal.portal == portal)
        with self._read() as s:
            for run_id, name, *values in s.execute(stmt):
                out[run_id][name] = as_counters(values)
            unclosed = [r for r in runs if not out[r.id]]
            if unclosed:
                prefix = f"{PORTAL_PREFIX}{portal}/" if portal is not None else PORTAL_PREFIX
                stats = _stats_of(s, [r.id for r in unclosed], (), prefix)
                for run in unclosed:
                    out[run.id] = by_portal(stats[run.id], run.portals)
        return out

    def run_reports(self, run_id: int, limit: int = 500) -> list[RunReport]:
        """Reports first archived by the run and reports it found edited, by report id (at most ``limit`` each).

        Edits are exact (``report_version.run_id``). A sighting's ``run_id`` moves to the last run that saw the
        URL, so "first archived here" is a report that appeared within the run's time span on a URL first seen
        then (its own, or the URL it stood at before an edit) of a portal the run crawled or still carrying
        the run's id; portal locks keep two runs off one portal at once, so that names one run.
        """
        with self._read() as s:
            run = s.execute(select(CrawlRun.started_at, CrawlRun.finished_at, CrawlRun.portals)  # not its stats
                            .where(CrawlRun.id == run_id)).first()
            if run is None:
                return []
            started, portals = run.started_at, list(run.portals or ())
            finished = run.finished_at
            # SQLite grouped by report.id by walking every report in id order, reading each body stored inline (250
            # + 110 ms at 100,000 reports for a run that stored nothing); "+ 0" lets it start from the run's span of
            # ix_report_first_seen and from report_version. PostgreSQL needs the bare id to select the report's row.
            key = Report.id + 0 if self.engine.dialect.name == "sqlite" else Report.id
            in_span = [Report.first_seen >= started, Sighting.first_seen >= started]
            if finished is not None:
                in_span += [Report.first_seen <= finished, Sighting.first_seen <= finished]
            new = (select(Report.id, literal("new").label("change"), Report.title, Report.organ, Report.report_year,
                          func.min(Sighting.url).label("url"), func.min(Portal.name).label("portal"))
                   .outerjoin(ReportVersion, ReportVersion.old_report_id == Report.id)  # a text since edited
                   .join(Sighting, or_(Sighting.report_id == Report.id, Sighting.url == ReportVersion.url))
                   .outerjoin(Portal, Portal.id == Sighting.portal_id)
                   .where(*in_span, or_(Sighting.run_id == run_id,
                                        among(self.engine.dialect.name, Portal.name, portals, Text)))
                   .group_by(key).order_by(key).limit(limit))
            changed = (select(Report.id, literal("changed").label("change"), Report.title, Report.organ,
                              Report.report_year, func.min(ReportVersion.url).label("url"),
                              func.min(Portal.name).label("portal"))
                       .join(ReportVersion, ReportVersion.new_report_id == Report.id)
                       .outerjoin(Sighting, Sighting.url == ReportVersion.url)
                       .outerjoin(Portal, Portal.id == Sighting.portal_id)
                       .where(ReportVersion.run_id == run_id)
                       .group_by(key).order_by(key).limit(limit))
            return [RunReport(r.id, r.change, r.title, r.organ, r.report_year, r.url, r.portal)
                    for stmt in (new, changed) for r in s.execute(stmt)]


def _stats_of(s: Session, run_ids: Sequence[int], keys: Sequence[str], prefix: str | None
              ) -> dict[int, dict[str, Any]]:
    """The counters of each run named in ``keys`` or under ``prefix``, without loading its whole stats.

    One query for all the runs; ``json_each`` parses each run's stats once, whatever the number of keys (SQLite's
    JSON paths miss keys stored with ``\\u`` escapes, as non-ASCII names are)."""
    stats: dict[int, dict[str, Any]] = {run_id: {} for run_id in run_ids}
    if run_ids and (keys or prefix):
        each = func.json_each(CrawlRun.stats).table_valued("key", "value")
        wanted = [each.c.key.in_(list(keys))] if keys else []
        if prefix:
            wanted.append(func.substr(each.c.key, 1, len(prefix)) == prefix)
        for run_id, key, value in s.execute(select(CrawlRun.id, each.c.key, each.c.value).join(each, true())
                                            .where(CrawlRun.id.in_(stats), or_(*wanted))):
            stats[run_id][key] = value
    return stats


def _with_stats(s: Session, rows: Sequence[Row[Any]], keys: Sequence[str], prefix: str | None) -> list[RunView]:
    """Runs read without their stats (``_LIGHT``), given the counters named in ``keys`` or under ``prefix``.

    A closed run's run-wide counters are its ``crawl_run`` columns (``RUN_TOTALS``); only a run still open, or
    counters the columns do not hold, are read out of its stats document."""
    columns = not prefix and set(keys) <= set(RUN_TOTALS)
    closed = {r.id: {key: getattr(r, RUN_TOTALS[key]) for key in keys} for r in rows
              if columns and r.pages_fetched is not None}
    stats = {**_stats_of(s, [r.id for r in rows if r.id not in closed], keys, prefix), **closed}
    return [RunView(id=r.id, started_at=r.started_at, finished_at=r.finished_at, finish_reason=r.finish_reason,
                    portals=tuple(r.portals or ()), stats=stats[r.id], errors=tuple(r.errors or ())) for r in rows]
