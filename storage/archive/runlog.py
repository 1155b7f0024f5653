"""Reading crawl runs back for people: runs page by page (all, or those that crawled one portal), a portal's last
successful run, and the reports a run archived.

Each answer is one SELECT however many runs it covers (the run list counts its total with a window function), so
a page of runs costs the same at 10 runs as at 10,000. Which portals a run crawled is a JSON list in
``crawl_run.portals``; membership is tested with the dialect's JSON functions (SQLite ``json_each``, PostgreSQL
``jsonb @>``), so SQLite and PostgreSQL give the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, cast, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from storage.archive.base import ArchiveBase
from storage.archive.records import RunView
from storage.archive.runs import _run_view
from storage.models import CrawlRun, Portal, Report, ReportVersion, Sighting


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


class RunLog(ArchiveBase):
    def _crawled(self, portal: str) -> ColumnElement[bool]:
        """The run's portal list names ``portal``."""
        if self.engine.dialect.name == "postgresql":
            return cast(CrawlRun.portals, JSONB).contains([portal])
        each = func.json_each(CrawlRun.portals).table_valued("value")
        return exists(select(literal(1)).select_from(each).where(each.c.value == portal))

    def runs_page(self, limit: int = 20, offset: int = 0, portal: str | None = None) -> tuple[list[RunView], int]:
        """Runs newest first (only those that crawled ``portal`` when given) and how many there are in all."""
        total = func.count().over().label("total")
        stmt = select(CrawlRun, total).order_by(CrawlRun.id.desc()).limit(limit).offset(offset)
        if portal is not None:
            stmt = stmt.where(self._crawled(portal))
        with self._read() as s:
            rows = s.execute(stmt).all()
            if rows or offset == 0:
                return [_run_view(r[0]) for r in rows], rows[0].total if rows else 0
            count = select(func.count(CrawlRun.id))
            return [], s.scalar(count.where(self._crawled(portal)) if portal is not None else count) or 0

    def last_success(self, portal: str) -> RunView | None:
        """The newest run that finished normally and read at least one list page of ``portal``.

        The per-portal counter is the one the crawl records (``pipelines.components.count``). It is read in
        Python from runs streamed newest first: SQLite's JSON paths miss keys stored with ``\\u`` escapes, as
        non-ASCII portal names are."""
        key = f"nianbao/portal/{portal}/list_pages"
        stmt = (select(CrawlRun).where(self._crawled(portal), CrawlRun.finish_reason == "finished")
                .order_by(CrawlRun.id.desc()).execution_options(yield_per=50))
        with self._read() as s:
            row = next((r for r in s.scalars(stmt) if int((r.stats or {}).get(key) or 0) > 0), None)
            return _run_view(row) if row else None

    def run_reports(self, run_id: int, limit: int = 500) -> list[RunReport]:
        """Reports first archived by the run and reports it found edited, by report id (at most ``limit`` each).

        Edits are exact (``report_version.run_id``). A sighting's ``run_id`` moves to the last run that saw the
        URL, so "first archived here" is a report that appeared within the run's time span on a URL first seen
        then (its own, or the URL it stood at before an edit) of a portal the run crawled or still carrying
        the run's id; portal locks keep two runs off one portal at once, so that names one run.
        """
        with self._read() as s:
            run = s.get(CrawlRun, run_id)
            if run is None:
                return []
            started, portals = run.started_at, list(run.portals or ())
            finished = run.finished_at
            in_span = [Report.first_seen >= started, Sighting.first_seen >= started]
            if finished is not None:
                in_span += [Report.first_seen <= finished, Sighting.first_seen <= finished]
            new = (select(Report.id, literal("new").label("change"), Report.title, Report.organ, Report.report_year,
                          func.min(Sighting.url).label("url"), func.min(Portal.name).label("portal"))
                   .outerjoin(ReportVersion, ReportVersion.old_report_id == Report.id)  # a text since edited
                   .join(Sighting, or_(Sighting.report_id == Report.id, Sighting.url == ReportVersion.url))
                   .outerjoin(Portal, Portal.id == Sighting.portal_id)
                   .where(*in_span, or_(Sighting.run_id == run_id, Portal.name.in_(portals)))
                   .group_by(Report.id).order_by(Report.id).limit(limit))
            changed = (select(Report.id, literal("changed").label("change"), Report.title, Report.organ,
                              Report.report_year, func.min(ReportVersion.url).label("url"),
                              func.min(Portal.name).label("portal"))
                       .join(ReportVersion, ReportVersion.new_report_id == Report.id)
                       .outerjoin(Sighting, Sighting.url == ReportVersion.url)
                       .outerjoin(Portal, Portal.id == Sighting.portal_id)
                       .where(ReportVersion.run_id == run_id)
                       .group_by(Report.id).order_by(Report.id).limit(limit))
            return [RunReport(r.id, r.change, r.title, r.organ, r.report_year, r.url, r.portal)
                    for stmt in (new, changed) for r in s.execute(stmt)]
