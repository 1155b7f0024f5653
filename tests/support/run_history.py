"""Crawl runs recorded through the archive's own API, on top of the sample archive, as a crawl records them.

Reports are stored with the run's id (``Archive.record`` counts each outcome on the open run, as the store
pipeline does), withdrawals and statuses go through ``mark_withdrawn`` / ``set_portal_status``, and each run is
closed with its counters plus the per-portal counters the spider and middlewares add
(``nianbao/portal/NAME/list_pages``, ``links/report``, ``hostile/challenged``…) and its error list.

Three runs:

1. daan + xinfu: daan reads 2 list pages and archives one new report; xinfu is challenged on every list page.
2. daan: the run-1 report is edited (changed), a sample report is seen unchanged, another is withdrawn; its
   list links vanish (an alarm) and two report pages fail.
3. daan: still open (no finish reason), one new report so far.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from storage import Archive, Outcome, ReportRecord
from tests.support.sample_archive import SAMPLES

NEW_URL = "http://www.daan.nianbao.test/2025/8.html"
LATER_URL = "http://www.daan.nianbao.test/2025/9.html"
NEW_TITLE = "大安市2024年政府信息公开工作年度报告"
EDITED_TITLE = "大安市2024年政府信息公开工作年度报告（修订）"
LATER_TITLE = "大安市慧阳街道2024年信息公开工作年度报告"
CHALLENGE = {"portal": "xinfu", "url": "http://www.xinfu.nianbao.test/xxgk/", "stage": "list",
             "reason": "challenged: HTTP 412 (瑞数 $_ts cookie script)"}
REPORT_ERRORS = [{"portal": "daan", "url": f"http://www.daan.nianbao.test/2025/{n}.html", "stage": "report",
                  "reason": "HTTP 503"} for n in (10, 11)]


@dataclass(frozen=True, slots=True)
class Runs:
    first: int
    second: int
    third: int
    new_report: int  # archived by the first run, edited by the second
    edited_report: int
    later_report: int  # archived by the third


def _record(archive: Archive, url: str, title: str, body: str, run_id: int) -> int:
    sha = hashlib.sha256(body.encode()).hexdigest()
    archive.record(ReportRecord(url=url, content_sha256=sha, body=body, title=title, organ="大安市人民政府",
                                report_year=2024, portal="daan", run_id=run_id))
    return next(r["id"] for r in archive.export(with_body=False) if r["title"] == title)


def _finish(archive: Archive, run_id: int, counters: dict[str, dict[str, int]], errors: list[dict[str, Any]],
            pages: int) -> None:
    """Close the run with the stats it gathered while open plus the spider's counters (per portal and in all)."""
    stats = dict(archive.get_run(run_id).stats)  # type: ignore[union-attr]
    for portal, named in counters.items():
        for name, n in named.items():
            stats[f"nianbao/portal/{portal}/{name}"] = n
            stats[f"nianbao/{name}"] = stats.get(f"nianbao/{name}", 0) + n
    stats["downloader/response_count"] = pages
    archive.finish_run(run_id, "finished", stats, errors)


def record_runs(archive: Archive) -> Runs:
    """The three runs above, over an archive loaded with ``sample_archive.load``."""
    first = archive.start_run(["daan", "xinfu"])
    new_report = _record(archive, NEW_URL, NEW_TITLE, "大安市2024年报。收到申请5件。", first)
    _finish(archive, first, {"daan": {"list_pages": 2, "links/report": 3, "extracted": 1},
                             "xinfu": {"hostile/challenged": 3, "errors": 1, "errors/list": 1}}, [CHALLENGE], 9)
    archive.set_portal_status("xinfu", "challenged", [{"kind": "challenged", "detail": "HTTP 412",
                                                       "url": CHALLENGE["url"]}])
    archive.set_portal_status("daan", "ok")

    second = archive.start_run(["daan"])
    edited_report = _record(archive, NEW_URL, EDITED_TITLE, "大安市2024年报。收到申请6件。", second)
    unchanged = SAMPLES[3]
    assert archive.record(ReportRecord(
        url=unchanged.url, content_sha256=hashlib.sha256(unchanged.body.encode()).hexdigest(), body=unchanged.body,
        title=unchanged.title, organ=unchanged.organ, report_year=unchanged.year, published=unchanged.published,
        portal=unchanged.portals[0], run_id=second)) is Outcome.UNCHANGED
    assert archive.mark_withdrawn(SAMPLES[4].url, "HTTP 404")
    _finish(archive, second, {"daan": {"list_pages": 2, "links/report": 0, "extracted": 2, "reports/withdrawn": 1,
                                       "errors": 2, "errors/report": 2}}, REPORT_ERRORS, 7)

    third = archive.start_run(["daan"])
    later_report = _record(archive, LATER_URL, LATER_TITLE, "慧阳街道2024年报。", third)
    return Runs(first, second, third, new_report, edited_report, later_report)
