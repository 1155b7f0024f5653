"""Statistics tables of reports: stored per report (keyed by its content hash), read back, filtered.

Written after the report itself (the crawl's statistics stage, ``nianbao reextract``) in its own short
idempotent transaction: reading the same text again replaces the row with the same values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, select

from storage.archive.base import ArchiveBase, _insert
from storage.models import Portal, Report, ReportStatistics, Sighting, utcnow
from storage.session import write_session


@dataclass(frozen=True, slots=True)
class StatisticsView:
    report_id: int
    title: str | None
    organ: str | None
    report_year: int | None
    format: str
    statistics: dict[str, Any]
    findings: list[dict[str, Any]]
    read_at: dt.datetime


def received_of(statistics: dict[str, Any]) -> int | None:
    """Requests received (一、本年新收 总计), the figure users filter and compare on."""
    value = ((statistics.get("applications") or {}).get("new") or {}).get("total")
    return int(value) if isinstance(value, int | float) else None


class Statistics(ArchiveBase):
    def record_statistics(self, content_sha256: str, statistics: dict[str, Any] | None,
                          findings: list[dict[str, Any]]) -> bool:
        """Store what was read from the report with this content hash (``None``: it has no tables).

        False when no report has this hash (nothing to attach the tables to).
        """
        with write_session(self.engine) as s:
            report_id = s.scalar(select(Report.id).where(Report.content_sha256 == content_sha256))
            if report_id is None:
                return False
            if statistics is None:
                s.execute(delete(ReportStatistics).where(ReportStatistics.report_id == report_id))
                return True
            values = {"format": str(statistics.get("format", "")), "statistics": statistics, "findings": findings,
                      "findings_count": len(findings), "received": received_of(statistics), "read_at": utcnow()}
            s.execute(_insert(self.engine)(ReportStatistics).values(report_id=report_id, **values)
                      .on_conflict_do_update(index_elements=["report_id"], set_=values))
            return True

    def _views(self, stmt: Select[Any]) -> list[StatisticsView]:
        with self._read() as s:
            return [StatisticsView(report_id=st.report_id, title=r.title, organ=r.organ, report_year=r.report_year,
                                   format=st.format, statistics=st.statistics, findings=list(st.findings),
                                   read_at=st.read_at)
                    for st, r in s.execute(stmt)]

    @staticmethod
    def _base() -> Select[Any]:
        return select(ReportStatistics, Report).join(Report, Report.id == ReportStatistics.report_id)

    def statistics(self, report_id: int) -> StatisticsView | None:
        found = self._views(self._base().where(ReportStatistics.report_id == report_id))
        return found[0] if found else None

    def statistics_series(self, *, organ: str | None = None, portal: str | None = None) -> list[StatisticsView]:
        """Reports with tables of one organ (name contains ``organ``) or one portal, by year then id."""
        stmt = self._base()
        if organ:
            stmt = stmt.where(Report.organ.contains(organ, autoescape=True))
        if portal:
            seen = (select(Sighting.report_id).join(Portal, Portal.id == Sighting.portal_id)
                    .where(Portal.name == portal))
            stmt = stmt.where(Report.id.in_(seen))
        return self._views(stmt.order_by(Report.report_year, Report.id))

    def statistics_report_ids(self, *, inconsistent: bool = False, received_over: int | None = None) -> list[int]:
        """Reports whose tables fail an identity and/or received more than ``received_over`` requests."""
        stmt = select(ReportStatistics.report_id).order_by(ReportStatistics.report_id)
        if inconsistent:
            stmt = stmt.where(ReportStatistics.findings_count > 0)
        if received_over is not None:
            stmt = stmt.where(ReportStatistics.received > received_over)
        with self._read() as s:
            return list(s.scalars(stmt))

    def iter_statistics(self) -> Iterator[StatisticsView]:
        """Every report's tables in report id order (exports)."""
        yield from self._views(self._base().order_by(ReportStatistics.report_id))
