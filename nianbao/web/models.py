"""Response models of the JSON API: what /api/openapi.json promises, and what FastAPI checks each answer against.

Also the error answers every route documents (``ERRORS``), so a client (or a schema-driven fuzzer such as
schemathesis) knows that 400, 404 and 422 come back as ``{"detail": …}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from storage.archive import AttachmentView, SightingView, VersionView
from storage.archive.runlog import RunReport  # the archive's own dataclass: pydantic validates it as it is


class Problem(BaseModel):
    """Why a request was refused: a bad combination of values (400) or nothing under that name or id (404)."""

    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Values that are each valid but unusable together"},
    404: {"model": Problem, "description": "No such report, portal or run"},
}


class ReportDetail(BaseModel):
    """One archived report: its text and metadata, every URL it was seen at, its versions and its files."""

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
    sightings: list[SightingView]
    versions: list[VersionView]
    attachments: list[AttachmentView]


class RunError(BaseModel):
    """One error a crawl recorded: the page, the stage that failed and why."""

    model_config = ConfigDict(extra="allow")

    portal: str | None = None
    url: str | None = None
    stage: str | None = None
    reason: str | None = None


class PortalRun(BaseModel):
    """One portal in one run: what the run archived from it and what went wrong (the run's per-portal counters)."""

    portal: str
    run_id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    finish_reason: str | None
    new: int
    changed: int
    unchanged: int
    withdrawn: int
    list_pages: int
    report_pages: int
    errors: int
    challenged: int
    gone: int
    trapped: int
    alarms: list[str]
    error_list: list[RunError]


class RunSummary(BaseModel):
    """A crawl run in a list: when, how it ended, what it covered and its main counts."""

    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    duration_seconds: float | None
    finish_reason: str | None
    portals: list[str]
    pages: int
    new: int
    changed: int
    errors: int


class RunList(BaseModel):
    total: int
    limit: int
    offset: int
    runs: list[RunSummary]


class PortalsElsewhere(BaseModel):
    """The run's portals not on this page, summed."""

    portals: int
    list_pages: int
    report_pages: int
    unchanged: int


class RunDetail(RunSummary):
    """One run: ``stats`` holds its run-wide counters (the per-portal ones are ``portal_runs``, paged: those with
    something to report first)."""

    stats: dict[str, Any]
    portal_runs: list[PortalRun]
    portal_page: int
    portal_pages: int
    portals_total: int
    portals_notable: int
    others: PortalsElsewhere
    error_list: list[RunError]
    reports: list[RunReport]


class PortalEntry(BaseModel):
    name: str
    homepage: str | None
    column_urls: list[str]
    display_name: str | None
    region: str | None
    region_code: str | None
    level: str | None
    cms: str | None


class PortalStatus(BaseModel):
    """How the portal answered its last crawl (ok, challenged, gone, trapped, unreachable, no_column)."""

    status: str | None
    evidence: list[dict[str, Any]]
    since: dt.datetime | None
    verified: bool
    challenged_runs: int
    discovered_columns: list[dict[str, Any]]


class PortalDetail(BaseModel):
    portal: PortalEntry
    reports: int
    health: PortalStatus | None
    last_success: RunSummary | None
    runs_total: int
    runs: list[PortalRun]


class ComplianceCell(BaseModel):
    year: int
    status: str
    due: dt.date
    published: dt.date | None
    days_late: int | None
    report_id: int | None
    tables: bool | None
    findings: int | None
    superseded: bool


class ComplianceRow(BaseModel):
    portal: str
    portal_display: str | None
    region: str | None
    region_code: str | None
    organ: str
    level: str
    cells: list[ComplianceCell]


class ComplianceAnswer(BaseModel):
    """The organs × years grid: one row per organ a portal publishes for, one cell per report year."""

    years: list[int]
    deadlines: dict[str, str]  # by organ level, "MM-DD" in the year after the report year
    deadlines_since: int  # the first report year these deadlines apply to (before: 31 March for all)
    totals: dict[str, int]
    rows: list[ComplianceRow]
