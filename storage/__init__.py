"""The nianbao archive: SQLAlchemy models, sessions, Alembic migrations and the one query API."""

from storage.archive import (
    Archive,
    ArchiveError,
    AttachmentRecord,
    AttachmentView,
    Outcome,
    PortalSpec,
    ReportRecord,
    ReportView,
    RunView,
    SearchHit,
    SightingView,
    StatisticsView,
    open_archive,
    read_portal_file,
)
from storage.session import get_engine

__all__ = [
    "Archive",
    "ArchiveError",
    "AttachmentRecord",
    "AttachmentView",
    "Outcome",
    "PortalSpec",
    "ReportRecord",
    "ReportView",
    "RunView",
    "SearchHit",
    "SightingView",
    "StatisticsView",
    "get_engine",
    "open_archive",
    "read_portal_file",
]
