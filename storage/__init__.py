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
    read_portal_file,
)
from storage.session import DEFAULT_DB_URL, default_db_url, get_engine

__all__ = [
    "DEFAULT_DB_URL",
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
    "default_db_url",
    "get_engine",
    "read_portal_file",
]
