"""The values the archive takes and gives: records to store, views to read, outcomes and errors."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from storage.errors import ArchiveError


class Outcome(StrEnum):
    """What storing one fetched report did to the archive."""

    NEW = "new"  # content never seen before
    CHANGED = "changed"  # a known URL now carries different content
    UNCHANGED = "unchanged"  # a known URL carries the content it had
    DUPLICATE = "duplicate"  # a new URL carrying content already archived elsewhere


@dataclass(frozen=True, slots=True)
class PortalSpec:
    """One registry entry: a portal and where its annual-report columns are."""

    name: str
    homepage: str | None = None
    column_urls: tuple[str, ...] = ()
    display_name: str | None = None
    region: str | None = None
    region_code: str | None = None
    level: str | None = None
    cms: str | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise ArchiveError("a portal needs a name")
        if not self.homepage and not self.column_urls:
            raise ArchiveError(f"portal {self.name!r} needs a homepage or at least one column URL")


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """A report as the pipeline hands it to the archive."""

    url: str
    content_sha256: str
    body: str
    title: str | None = None
    organ: str | None = None
    report_year: int | None = None
    report_year_source: str = "unknown"
    published: dt.date | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    portal: str | None = None
    http_status: int | None = 200
    run_id: int | None = None
    attachments: tuple[AttachmentRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class AttachmentRecord:
    """A file the report was published as or with; its bytes are in the file store under ``sha256``."""

    url: str
    file_name: str
    format: str
    size: int
    sha256: str
    status: str
    extractor: str
    mime: str | None = None
    pages: int | None = None
    ocr: bool = False
    detail: str = ""
    content_sha256: str | None = None  # of the extracted text; equal to the report's when the texts match


@dataclass(frozen=True, slots=True)
class AttachmentView:
    id: int
    report_id: int
    url: str
    file_name: str
    mime: str | None
    format: str
    size: int
    sha256: str
    pages: int | None
    extractor: str
    status: str
    ocr: bool
    detail: str
    content_sha256: str | None
    first_seen: dt.datetime


@dataclass(frozen=True, slots=True)
class SightingView:
    url: str
    portal: str | None
    http_status: int | None
    first_seen: dt.datetime
    last_seen: dt.datetime
    withdrawn_at: dt.datetime | None = None
    withdrawn_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReportView:
    id: int
    title: str | None
    organ: str | None
    report_year: int | None
    report_year_source: str
    published: dt.date | None
    content_sha256: str
    body: str
    meta: dict[str, Any]
    first_seen: dt.datetime
    sightings: tuple[SightingView, ...]


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: int
    title: str | None
    organ: str | None
    report_year: int | None
    published: dt.date | None
    url: str | None
    snippet: str
    superseded_by: int | None = None  # an edit replaced this text (it then has no URL of its own)
    withdrawn: bool = False  # every URL it was seen at is gone


@dataclass(frozen=True, slots=True)
class RunView:
    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    finish_reason: str | None
    portals: tuple[str, ...]
    stats: dict[str, Any]
    errors: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class VersionView:
    """One distinct text a report's URL(s) carried, numbered from 1 (oldest) in the order seen."""

    number: int
    report_id: int
    content_sha256: str
    seen_at: dt.datetime
    url: str | None
    title: str | None
    chars: int


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """A new, changed or withdrawn report, as announced in the feed and the webhook."""

    kind: str  # "new" | "changed" | "withdrawn"
    at: dt.datetime
    report_id: int
    title: str | None
    url: str | None
    portal: str | None
    detail: str = ""


HIGHLIGHT = ("«", "»")
_SNIPPET_CHARS = 60

MAX_EVIDENCE = 20  # evidence entries kept per portal


@dataclass(frozen=True, slots=True)
class PortalHealth:
    """How a portal answered the last crawl (see ``Archive.set_portal_status``)."""

    name: str
    status: str | None
    evidence: tuple[dict[str, Any], ...]
    since: dt.datetime | None
    verified: bool
    discovered_columns: tuple[dict[str, Any], ...]
    challenged_runs: int

    @property
    def discovered_urls(self) -> tuple[str, ...]:
        return tuple(c["url"] for c in self.discovered_columns if c.get("url"))


def _python_snippet(body: str, terms: Sequence[str]) -> str:
    """A window of the body around the first match, with every term highlighted."""
    pos = min((i for i in (body.find(t) for t in terms) if i >= 0), default=0)
    start = max(0, pos - _SNIPPET_CHARS // 2)
    window = body[start : start + _SNIPPET_CHARS + max(map(len, terms), default=0)].replace("\n", " ")
    for term in terms:
        window = window.replace(term, f"{HIGHLIGHT[0]}{term}{HIGHLIGHT[1]}")
    return ("…" if start else "") + window + ("…" if start + len(window) < len(body) else "")

def _jsonable(stats: dict[str, Any]) -> dict[str, Any]:
    """Scrapy stats hold datetimes and the odd object; keep what JSON can carry, as text otherwise."""
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, int | float | str | bool) or value is None:
            out[key] = value
        elif isinstance(value, dt.datetime | dt.date):
            out[key] = value.isoformat()
        else:
            out[key] = json.loads(json.dumps(value, default=str))
    return out
