"""What monitoring knows about a report beyond its text: superseded by an edit, withdrawn from every URL.

An edited page makes a new report (reports are unique content) and moves the URL's sighting to it, so the
old text is left with no URL; ``report_version`` links the two. Search hits, exports, the report page and the
feed all mark such reports the same way, from these two lookups (one query each per page or batch of ids).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, func, select

from storage.archive.base import ArchiveBase
from storage.models import ReportVersion, Sighting


def superseded_by(conn: Connection, ids: Iterable[int]) -> dict[int, int]:
    """Report id → the newest text that replaced it at one of its URLs (only superseded reports appear)."""
    wanted = list(ids)
    if not wanted:
        return {}
    newest = func.max(ReportVersion.id)
    latest = dict(conn.execute(select(ReportVersion.old_report_id, newest)
                               .where(ReportVersion.old_report_id.in_(wanted))
                               .group_by(ReportVersion.old_report_id)).all())
    if not latest:
        return {}
    by_version = dict(conn.execute(select(ReportVersion.id, ReportVersion.new_report_id)
                                   .where(ReportVersion.id.in_(list(latest.values())))).all())
    return {old: by_version[version] for old, version in latest.items()}


def withdrawn(conn: Connection, ids: Iterable[int]) -> set[int]:
    """Reports every URL of which is withdrawn (404/410/gone); a report with no URL left is not "withdrawn"."""
    wanted = list(ids)
    if not wanted:
        return set()
    stmt = (select(Sighting.report_id).where(Sighting.report_id.in_(wanted)).group_by(Sighting.report_id)
            .having(func.count(Sighting.withdrawn_at) == func.count()))
    return set(conn.scalars(stmt))


class Marks(ArchiveBase):
    def report_marks(self, report_id: int) -> tuple[int | None, bool]:
        """(the report that superseded this one or None, whether every URL of it is withdrawn)."""
        with self.engine.connect() as conn:
            return superseded_by(conn, [report_id]).get(report_id), report_id in withdrawn(conn, [report_id])

    def superseded_among(self, ids: Iterable[int]) -> set[int]:
        """Those of ``ids`` whose text an edit has since replaced."""
        with self.engine.connect() as conn:
            return set(superseded_by(conn, ids))
