"""The fault-injection portal (tests/support/faults.py, table in docs/faults.md), crawled for real.

Two crawls with an edit in between: every good report archived exactly once with its full text, every bad
page recorded with its reason, nothing asked of the internal network. Then the oversized inputs on SQLite
and PostgreSQL alike, and a crawl killed with SIGKILL that still shows what it archived.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from storage import Archive
from storage.archive.reports import TRUNCATED
from tests.support import ROOT
from tests.support.commands import run_cmd
from tests.support.faults import LONG_ORGAN, FaultSite, crawl, edited_paragraphs, register

pytestmark = pytest.mark.e2e


def text(paragraphs: tuple[str, ...]) -> str:
    return "\n".join(paragraphs)


def test_two_crawls_archive_every_good_report_once_and_record_every_bad_one(sqlite_url: str) -> None:
    with FaultSite() as site:
        archive = register(sqlite_url, site, "faults", "gates")
        first = crawl(sqlite_url, site)
        site.edited = True
        second = crawl(sqlite_url, site)
        for result in (first, second):
            assert result.returncode == 0, result.stdout + result.stderr[-3000:]

        good = site.of("faults", "archived")
        edited = next(c for c in good if c.fault.startswith("edited"))
        expected = [text(c.paragraphs) for c in good] + [text(edited_paragraphs(edited.paragraphs))]
        reports = list(archive.iter_reports())
        assert sorted(r.body for r in reports) == sorted(expected)  # each exactly once, with its full text
        by_url = {s.url: r for r in reports for s in r.sightings}
        for case in good:
            latest = edited_paragraphs(case.paragraphs) if case is edited else case.paragraphs
            assert by_url[site.page_url(case)].body == text(latest), case.fault
            assert by_url[site.page_url(case)].title == case.title, case.fault
        assert [v.number for v in archive.versions(by_url[site.page_url(edited)].id)] == [1, 2]

        runs = archive.list_runs()
        assert [r.finish_reason for r in runs] == ["finished", "finished"]
        assert runs[0].stats["nianbao/reports/changed"] == 1
        for run in runs:
            check_recorded(site, archive, run.errors, run.stats)
        assert site.internal_requests == []
        assert site.served("/private/report.html") == 0


def check_recorded(site: FaultSite, archive: Archive, errors: tuple[dict[str, Any], ...],
                   stats: dict[str, Any]) -> None:
    """Each bad case of a run has its reason where its Case says."""
    evidence = {name: archive.portal_health(name).evidence for name in ("faults", "gates")}  # type: ignore[union-attr]
    for case in [c for c in site.cases if c.portal in ("faults", "gates") and c.expect != "archived"]:
        if case.expect == "error":
            url = case.recorded_url or site.page_url(case)
            assert any(e["url"] == url and case.reason in e["reason"] for e in errors), (case.fault, errors)
        elif case.expect == "evidence":
            assert any(e["kind"] == case.reason and e["url"].startswith(site.page_url(case).rsplit("-", 1)[0])
                       for e in evidence[case.portal]), (case.fault, evidence)
        else:
            assert stats.get(case.reason), (case.fault, case.reason)
    urls = {site.page_url(c) for c in site.cases} | {c.recorded_url for c in site.cases}
    assert {e["url"] for e in errors} <= urls  # no error about a page that is not a fault


def archive_dump(db_url: str, site: FaultSite) -> dict[str, Any]:
    """What a crawl of the oversized portal left, port-free, for comparing backends."""
    archive = Archive(db_url)
    (run,) = archive.list_runs()

    def portless(url: str) -> str:
        return url.replace(f":{site.port}", "")

    return {
        "reports": sorted((r.title, r.organ, r.body, sorted(r.meta.items()), [portless(s.url) for s in r.sightings],
                           [(a.file_name, a.status) for a in archive.attachments(r.id)])
                          for r in archive.iter_reports()),
        "errors": sorted((portless(e["url"]), e["stage"], e["reason"].replace(f":{site.port}", ""))
                         for e in run.errors),
        "finish": run.finish_reason,
    }


def test_oversized_inputs_end_the_same_on_sqlite_and_postgresql(sqlite_url: str, pg_url: str,
                                                                tmp_path: Path) -> None:
    with FaultSite() as site:
        dumps = []
        for db in (sqlite_url, pg_url):
            register(db, site, "big")
            beside = [f"NIANBAO_FILES_DIR={tmp_path / 'files'}", f"NIANBAO_HTTPCACHE_DIR={tmp_path / 'cache'}",
                      "NIANBAO_FEED="]  # a PostgreSQL archive would keep them in the current directory
            result = crawl(db, site, *[a for s in beside for a in ("-s", s)])
            assert result.returncode == 0, result.stdout + result.stderr[-3000:]
            dumps.append(archive_dump(db, site))
    assert dumps[0] == dumps[1]
    organ = next(r for r in dumps[0]["reports"] if r[0].startswith(LONG_ORGAN[:20]))
    assert organ[1] == LONG_ORGAN[: 200 - len(TRUNCATED)] + TRUNCATED and ("truncated", {"organ": 251}) in organ[3]
    assert organ[0] == f"{LONG_ORGAN}2023年政府信息公开工作年度报告"  # the title is text: kept whole
    ((file_name, _),) = next(r for r in dumps[0]["reports"] if r[5])[5]
    assert len(file_name) == 500  # cut by the attachment stage already, the same on both
    long_url = [e for e in dumps[0]["errors"] if "longer than the archive's 2000" in e[2]]
    assert len(long_url) == 1 and long_url[0][1] == "pipeline"


def test_a_killed_crawl_shows_what_it_archived(sqlite_url: str) -> None:
    with FaultSite() as site:
        archive = register(sqlite_url, site, "faults")
        good = len(site.of("faults", "archived"))
        child = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "crawl", "--db", sqlite_url,
                                  *site.crawl_settings()], cwd=ROOT, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while archive.count_reports() < good and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        assert child.poll() is None, "the crawl ended before it could be killed (the stalled page keeps it going)"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    archived = archive.count_reports()
    assert archived == good
    listed = run_cmd(["nianbao", "runs", "--db", sqlite_url])
    assert listed.returncode == 0, listed.stderr
    row = listed.stdout.splitlines()[1].split()
    assert row[0] == "1" and row[3] == "killed", listed.stdout
    assert int(row[5]) == archived, listed.stdout  # the "new" column
