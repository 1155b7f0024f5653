"""The one query API over the archive: the CLI, the crawler's pipelines and the tests all use it.

Writes are idempotent and safe under concurrent crawls: reports are keyed by content hash and
sightings by URL, both behind unique constraints, and every insert is an insert-or-ignore/upsert in
a short transaction (one report, or a few with ``record_many``), so two crawls at once never store a
report twice and a crawl killed midway leaves only whole rows behind.
"""

from __future__ import annotations

import threading

from storage.archive.compliance import Compliance
from storage.archive.history import History
from storage.archive.locks import HeldLock, Locks, PortalLocked
from storage.archive.marks import Marks
from storage.archive.portals import (
    LEVELS,
    Portals,
    parse_portal_file,
    portal_spec_from_mapping,
    portal_spec_to_mapping,
    read_portal_file,
)
from storage.archive.records import (
    ArchiveError,
    AttachmentRecord,
    AttachmentView,
    ChangeEvent,
    Outcome,
    PortalHealth,
    PortalSpec,
    ReportRecord,
    ReportView,
    RunView,
    SearchHit,
    SightingView,
    VersionView,
)
from storage.archive.reports import Reports
from storage.archive.runlog import RunLog
from storage.archive.runs import Runs
from storage.archive.search import Search
from storage.archive.statistics import Statistics, StatisticsView


class Archive(Portals, Reports, Search, History, Runs, RunLog, Locks, Statistics, Compliance,
              Marks):
    """Registry, reports, search, history, crawl runs, locks, statistics and compliance behind any SQLAlchemy URL.

    One module per concern; each adds its methods to this class.
    """


_OPEN: dict[str, Archive] = {}
_OPEN_LOCK = threading.Lock()


def open_archive(url: str) -> Archive:
    """The process's one :class:`Archive` for ``url``: every component of a crawl shares it and its engine."""
    with _OPEN_LOCK:
        if url not in _OPEN:
            _OPEN[url] = Archive(url)
        return _OPEN[url]


__all__ = ["LEVELS", "Archive", "ArchiveError", "AttachmentRecord", "AttachmentView", "ChangeEvent", "HeldLock",
           "Outcome", "PortalHealth", "PortalLocked", "PortalSpec", "ReportRecord", "ReportView", "RunView",
           "SearchHit", "SightingView", "StatisticsView", "VersionView", "open_archive", "parse_portal_file",
           "portal_spec_from_mapping", "portal_spec_to_mapping", "read_portal_file"]
