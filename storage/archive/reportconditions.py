"""Conditions on a report's attachments and statistics reading, for the search filters (storage.archive.query)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Engine, column, exists, inspect, not_, table

from storage.archive.records import ArchiveError
from storage.models import Report, ReportStatistics


def attachment_condition(engine: Engine, wanted: bool, fmt: str | None = None) -> ColumnElement[bool]:
    """Has (or has no) attachment; with ``fmt``, an attachment of that format."""
    if not inspect(engine).has_table("attachment"):
        raise ArchiveError("--has-attachment needs attachment records, which this archive does not have "
                           "(no 'attachment' table: it arrives with a later schema upgrade)")
    attachment = table("attachment", column("report_id"), column("format"))
    found = exists().where(attachment.c.report_id == Report.id,
                           *([attachment.c.format == fmt] if fmt is not None else []))
    return found if wanted else not_(found)


def statistics_condition(state: str) -> ColumnElement[bool]:
    """The report's statistics are ``unread``, ``inconsistent`` (findings) or else consistent."""
    read = exists().where(ReportStatistics.report_id == Report.id)
    if state == "unread":
        return not_(read)
    count = ReportStatistics.findings_count
    return exists().where(ReportStatistics.report_id == Report.id, count > 0 if state == "inconsistent"
                          else count == 0)
