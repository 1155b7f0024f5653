"""The report page's content, read like a document: what it is, where it was seen and in what state, its text,
attachments (with the archived original files), versions with a diff of any two, and its statistics tables.

Also the download route for an attachment's archived bytes (``/reports/ID/files/ATTACHMENT``): always sent as a
download (``Content-Disposition: attachment``, ``application/octet-stream``), never rendered by the browser,
because a file a portal served may be anything (an "PDF" that is really an HTML error page).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from crawler.settings import NIANBAO_FILES_DIR
from nianbao.cli.stats import render
from storage import Archive, ArchiveError
from storage.archive.files import FileStore
from storage.paths import beside_archive


def _pair(count: int, v1: int | None, v2: int | None) -> tuple[int, int] | None:
    """The two versions to compare: those asked for, else the last two; None with a single version."""
    if count < 2:
        return None
    a, b = v1 or count - 1, v2 or count
    if not (1 <= a <= count and 1 <= b <= count) or a == b:
        raise ArchiveError(f"choose two different versions between 1 and {count}")
    return a, b


def _body_of(diff: str) -> str:
    """The diff without its ---/+++ head lines (hashes and times); the page titles it "vA → vB" itself."""
    return "\n".join(diff.split("\n")[2:])


def report_context(archive: Archive, report_id: int, v1: int | None = None, v2: int | None = None) -> dict[str, Any]:
    """Everything report.html shows for one report (404 when there is no such report)."""
    report = archive.get_report(report_id)
    if report is None:
        raise HTTPException(404, f"no report with id {report_id}")
    superseded_by, withdrawn = archive.report_marks(report_id)
    versions = archive.versions(report_id)
    pair = _pair(len(versions), v1, v2)
    statistics = archive.statistics(report_id)
    return {"report": report, "superseded_by": superseded_by, "withdrawn": withdrawn, "versions": versions,
            "pair": pair, "diff": _body_of(archive.diff(report_id, *pair)) if pair else None,
            "attachments": archive.attachments(report_id),
            "statistics": statistics, "statistics_text": render(statistics) if statistics else None}


def files_router(archive: Archive) -> APIRouter:
    router = APIRouter()
    store = FileStore(NIANBAO_FILES_DIR or beside_archive(archive.url, ".files"))

    @router.get("/reports/{report_id}/files/{attachment_id}", include_in_schema=False)
    def archived_file(report_id: int, attachment_id: int) -> Response:
        found = [a for a in archive.attachments(report_id) if a.id == attachment_id]
        data = store.get(found[0].sha256) if found else None
        if data is None:
            raise HTTPException(404, f"report {report_id} has no archived file {attachment_id}")
        name = quote(found[0].file_name or f"attachment-{attachment_id}")
        return Response(data, media_type="application/octet-stream",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})

    return router
