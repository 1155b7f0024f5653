"""The archive stores the same thing on SQLite and PostgreSQL: metadata cut to its column with a marker (never the
body), NUL dropped, a URL too long to be a key refused; and each write counts its outcome on its run at once."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys

import pytest

from storage import Archive, ArchiveError, AttachmentRecord, Outcome, PortalSpec, ReportRecord
from storage.archive.reports import TRUNCATED
from storage.models import CrawlRun
from storage.session import write_session

ORGAN = "测试县人民政府办公室、" * 30  # 330 characters; the column holds 200


def record(url: str, body: str, **kw: object) -> ReportRecord:
    return ReportRecord(url=url, content_sha256=hashlib.sha256(body.encode()).hexdigest(), body=body, **kw)


def test_oversized_metadata_is_cut_with_a_marker_and_the_body_kept(db_url: str) -> None:
    archive = Archive(db_url)
    body = "正文第一段。\x00\n" + "正文很长。" * 20_000
    long_name = "附件" * 400 + ".pdf"
    archive.record(record("http://x.test/1.html", body, title="标题\x00" + "很长" * 600, organ=ORGAN,
                          attachments=(AttachmentRecord(url="http://x.test/" + long_name, file_name=long_name,
                                                        format="pdf", size=3, sha256="0" * 64, status="ok",
                                                        extractor="pdfium", mime="application/pdf" + ";x" * 150),)))
    (report,) = archive.iter_reports()
    assert report.organ is not None and len(report.organ) == 200 and report.organ.endswith(TRUNCATED)
    assert report.organ.startswith(ORGAN[: 200 - len(TRUNCATED)])
    assert report.meta["truncated"] == {"organ": len(ORGAN)}
    assert report.body == body.replace("\x00", "")  # whole, only the NUL PostgreSQL cannot hold is gone
    assert report.title == "标题" + "很长" * 600  # Text: no limit, nothing cut
    (attachment,) = archive.attachments(report.id)
    assert len(attachment.file_name) == 500 and attachment.file_name.endswith(TRUNCATED)
    assert len(attachment.mime or "") == 200


def test_a_url_longer_than_the_key_column_is_refused_on_every_backend(db_url: str) -> None:
    archive = Archive(db_url)
    with pytest.raises(ArchiveError, match="URL of 2001 characters"):
        archive.record(record("http://x.test/" + "a" * 1987, "正文"))
    assert archive.count_reports() == 0


def test_outcomes_are_counted_on_the_open_run_as_they_are_written(db_url: str) -> None:
    archive = Archive(db_url)
    archive.add_portal(PortalSpec(name="daan", homepage="http://x.test/"))
    run_id = archive.start_run(["daan"])
    archive.record(record("http://x.test/1.html", "一", portal="daan", run_id=run_id))
    archive.record(record("http://x.test/2.html", "一", portal="daan", run_id=run_id))
    assert archive.record(record("http://x.test/1.html", "一", portal="daan", run_id=run_id)) is Outcome.UNCHANGED
    stats = archive.get_run(run_id).stats  # type: ignore[union-attr]
    assert stats["nianbao/portal/daan/reports/new"] == 1 and stats["nianbao/reports/new"] == 1
    assert stats["nianbao/portal/daan/reports/duplicate"] == 1
    assert stats["nianbao/portal/daan/reports/unchanged"] == 1
    archive.finish_run(run_id, "finished", {"nianbao/reports/new": 1}, [])
    archive.record(record("http://x.test/3.html", "三", run_id=run_id))  # a closed run keeps its final stats
    assert archive.get_run(run_id).stats == {"nianbao/reports/new": 1}  # type: ignore[union-attr]


def test_a_run_whose_process_died_is_marked_killed_before_runs_are_listed(sqlite_url: str) -> None:
    archive = Archive(sqlite_url)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with write_session(archive.engine) as s:
        s.add(CrawlRun(portals=["daan"], stats={}, errors=[], pid=int(dead.stdout), host=socket.gethostname()))
        s.add(CrawlRun(portals=["live"], stats={}, errors=[], pid=os.getpid(), host=socket.gethostname()))
    assert archive.mark_dead_runs() == [1]
    assert [r.finish_reason for r in archive.list_runs()] == [None, "killed"]
    assert archive.mark_dead_runs() == []
