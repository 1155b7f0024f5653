"""The whole path, for real: demo portals over loopback HTTP → `nianbao`/`scrapy` commands in
subprocesses (a Twisted reactor runs once per process) → SQLite file / PostgreSQL → queries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nianbao.demo import DemoServer, broken_portals
from nianbao.web import create_app
from storage import Archive, PortalSpec
from tests.support import ROOT
from tests.support.commands import run_cmd
from tests.support.crawls import (
    EXPECTED,
    NO_DELAY,
    NOT_REPORTS,
    PORTALS,
    REPORT_DOCS,
    SHOWCASE,
    assert_archive_matches_demo,
    by_title,
    fast,
    register,
)

pytestmark = pytest.mark.e2e  # slow end-to-end crawls: `pytest -m "not e2e"` skips them


@pytest.fixture(scope="module")
def demo_twice(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[subprocess.CompletedProcess[str]]]:
    """`nianbao demo` run twice on a fresh SQLite file, exactly as the README says (from another cwd)."""
    work = tmp_path_factory.mktemp("demo")
    db = f"sqlite:///{work / 'nianbao.db'}"
    env = {k: v for k, v in os.environ.items() if k not in ("NIANBAO_DB", "NIANBAO_DEMO_PROXY")}
    runs = [subprocess.run([sys.executable, "-m", "nianbao.cli", "demo"], cwd=work, env=env, capture_output=True,
                           text=True, timeout=300) for _ in range(2)]
    return db, runs


def test_demo_archives_every_report_and_nothing_else(demo_twice) -> None:
    db, (first, _) = demo_twice
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"{len(SHOWCASE)} portal(s) crawled" in first.stdout
    # the demo's deliberate failures are reported as expected, not as errors (nor as a failed run)
    assert "; 0 error(s); 3 expected failure(s)" in first.stdout and "  error [" not in first.stdout
    assert "  expected [tongyu] this demo portal simulates a 瑞数 anti-bot gateway" in first.stdout
    assert "      list: challenged: HTTP 412" in first.stdout
    assert "  expected [minhou] this demo portal links a truncated PDF" in first.stdout
    archive = Archive(db)
    assert_archive_matches_demo(archive, other_portals=True)
    run = archive.list_runs()[-1]
    assert run.finish_reason == "finished"
    # the challenged portal, and the corrupt and mislabelled attachments the file-report portal serves
    assert {(e["portal"], e["stage"]) for e in run.errors} == {("tongyu", "list"), ("minhou", "attachment")}
    for p in PORTALS:
        assert run.stats[f"nianbao/portal/{p.name}/reports/new"] + run.stats.get(
            f"nianbao/portal/{p.name}/reports/duplicate", 0) == sum(len(d.paths) for d in p.documents
                                                                    if d.kind == "report")
    core_skipped = sum(run.stats.get(f"nianbao/portal/{p.name}/links/{k}", 0) for p in PORTALS
                       for k in ("related", "other"))
    assert core_skipped == len(NOT_REPORTS)


def test_second_demo_run_is_all_unchanged(demo_twice) -> None:
    db, (_, second) = demo_twice
    assert second.returncode == 0, second.stdout + second.stderr
    assert "nothing new" in second.stdout
    archive = Archive(db)
    run = archive.list_runs()[0]
    assert run.stats.get("nianbao/reports/new", 0) == 0
    assert run.stats.get("nianbao/reports/changed", 0) == 0
    assert run.stats.get("nianbao/reports/duplicate", 0) == 0
    assert run.stats["nianbao/reports/unchanged"] == archive.count_sightings()
    assert archive.count_reports() == len(list(archive.iter_reports()))


def test_run_and_portal_pages_tell_the_two_demo_runs_apart(demo_twice) -> None:
    """The web's run-to-run health read from what two real crawls recorded: everything new, then unchanged."""
    db, _ = demo_twice
    with TestClient(create_app(db)) as client:
        second, first = client.get("/api/runs").json()["runs"][:2]
        detail = client.get(f"/api/runs/{first['id']}").json()
        assert len(detail["reports"]) == first["new"] == sum(p["new"] for p in detail["portal_runs"]) > 0
        assert {p["portal"] for p in detail["portal_runs"] if p["challenged"]} == {"tongyu"}
        assert client.get(f"/api/runs/{second['id']}").json()["reports"] == []
        tongyu = client.get("/api/portals/tongyu").json()
        assert tongyu["health"]["status"] == "challenged" and tongyu["last_success"] is None
        daan = client.get("/api/portals/daan").json()
        assert daan["last_success"]["id"] == second["id"]
        now, before = daan["runs"][:2]
        assert before["new"] > 0 and (now["new"], now["unchanged"]) == (0, before["report_pages"])


def test_same_report_via_two_urls_and_two_portals_stored_once(demo_twice) -> None:
    db, _ = demo_twice
    keys = Counter(d.content_key for _, d in REPORT_DOCS)
    reposted = [d for d in EXPECTED.values() if keys[d.content_key] > 1]
    two_paths = [d for d in EXPECTED.values() if len(d.paths) > 1]
    assert reposted and two_paths
    titles = by_title(Archive(db))
    for doc in two_paths:
        assert len(titles[doc.title].sightings) == len(doc.paths)
    for doc in reposted:
        assert len({s.portal for s in titles[doc.title].sightings}) == 2


def test_search_and_show_the_seed_report(demo_twice) -> None:
    db, _ = demo_twice
    found = run_cmd(["nianbao", "search", "慧阳街道", "--db", db])
    assert found.returncode == 0, found.stderr
    out = found.stdout
    assert "大安市慧阳街道办事处2014年度政府信息公开工作年度报告" in out
    assert "report year: 2014" in out and "published: 2015-03-18" in out and "organ: 大安市慧阳街道办事处" in out
    assert "http://www.daan.nianbao.test/zwgk/zfxxgknb/" in out and "«慧阳街道»" in out
    report_id = out.split("]", 1)[0].lstrip("[")
    shown = run_cmd(["nianbao", "show", report_id, "--db", db])
    assert shown.returncode == 0, shown.stderr
    assert "2014年,慧阳街道按照市委、市政府的统一安排部署" in shown.stdout
    assert shown.stdout.count("seen at:") == 2
    assert run_cmd(["nianbao", "show", "999999", "--db", db]).returncode != 0
    runs = run_cmd(["nianbao", "runs", "--db", db])
    assert runs.returncode == 0 and runs.stdout.count("finished") == 2


def test_scrapy_list_and_crawl_by_portal_and_by_url(demo: DemoServer, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'scrapy.db'}"
    register(db, PORTALS)
    listed = run_cmd(["scrapy", "list"])
    assert listed.returncode == 0 and listed.stdout.split() == ["reports"]
    env = fast(demo.proxy_url, db)
    by_portal = run_cmd(["scrapy", "crawl", "reports", "-a", "portal=daan", *NO_DELAY], env=env)
    assert by_portal.returncode == 0, by_portal.stderr[-3000:]
    daan = {d.title for p, d in REPORT_DOCS if p.name == "daan"}
    assert set(by_title(Archive(db))) == daan
    xinfu = next(p for p in PORTALS if p.name == "xinfu")
    by_url = run_cmd(["scrapy", "crawl", "reports", "-a", f"url={xinfu.column_urls[0]}", *NO_DELAY], env=env)
    assert by_url.returncode == 0, by_url.stderr[-3000:]
    stored = by_title(Archive(db))
    assert set(stored) == daan | {d.title for p, d in REPORT_DOCS if p.name == "xinfu"}
    assert {s.portal for d in xinfu.documents if d.kind == "report" for s in stored[d.title].sightings} == {"xinfu"}


def test_faulty_portals_are_recorded_and_the_rest_is_crawled(broken_demo: DemoServer, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'faults.db'}"
    daan = next(p for p in PORTALS if p.name == "daan")
    register(db, [daan, *broken_portals()])
    Archive(db).add_portal(PortalSpec(name="offline", column_urls=("http://127.0.0.1:9/zfxxgknb/",)))
    result = run_cmd(["nianbao", "crawl", *NO_DELAY], env=fast(broken_demo.proxy_url, db))
    assert result.returncode == 0, result.stdout + result.stderr
    archive = Archive(db)
    run = archive.list_runs()[0]
    failed = {e["portal"]: e["reason"] for e in run.errors if e["stage"] == "list"}
    assert failed == {"broken-500": "HTTP 500", "broken-404": "HTTP 404", "offline": "connection refused"}
    flaky = next(p for p in broken_portals() if p.name == "flaky")
    expected = {d.title for d in flaky.documents if d.expect_archived and d.kind == "report"}
    missing = {d.title for d in flaky.documents if not d.expect_archived}
    stored = set(by_title(archive))
    assert expected <= stored and not missing & stored
    no_body = [e for e in run.errors if e["stage"] == "extract"]
    assert len(no_body) == len(missing)
    assert {d.title for _, d in REPORT_DOCS if _.name == "daan"} <= stored
    assert "HTTP 500" in result.stdout and "connection refused" in result.stdout


def test_whole_run_failure_exits_nonzero_with_one_line(broken_demo: DemoServer, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'allbroken.db'}"
    register(db, [p for p in broken_portals() if p.name.startswith("broken-")])
    result = run_cmd(["nianbao", "crawl", *NO_DELAY], env=fast(broken_demo.proxy_url, db))
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]  # after Scrapy's own WARNING/ERROR log lines, if any
    assert line.startswith("Error: run 1 failed: no portal could be crawled; first error: HTTP")
    missing = run_cmd(["nianbao", "crawl", "--portal", "nope", "--db", db])
    assert missing.returncode == 1 and "no portal named 'nope'" in missing.stderr


def test_kill_9_midway_then_rerun_leaves_no_duplicates(demo: DemoServer, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'killed.db'}"
    register(db, PORTALS)
    env = {**os.environ, **fast(demo.proxy_url, db), "PYTHONUNBUFFERED": "1"}
    slow = subprocess.Popen([sys.executable, "-m", "scrapy", "crawl", "reports", "-s", "DOWNLOAD_DELAY=0.25",
                             "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    archive = Archive(db)
    deadline = time.monotonic() + 120
    while archive.count_reports() < 3 and time.monotonic() < deadline and slow.poll() is None:
        time.sleep(0.05)
    os.kill(slow.pid, signal.SIGKILL)
    slow.wait()
    partial = archive.count_reports()
    assert 3 <= partial < len(EXPECTED), "the crawl was not killed midway"
    rerun = run_cmd(["nianbao", "crawl", *NO_DELAY], env=fast(demo.proxy_url, db))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert_archive_matches_demo(archive)
    killed, finished = archive.list_runs()[::-1]
    assert killed.finish_reason == "killed" and finished.finish_reason == "finished"
    assert finished.stats.get("nianbao/reports/new", 0) == len(EXPECTED) - partial


def test_two_crawls_at_once_never_duplicate(demo: DemoServer, db_url: str) -> None:
    register(db_url, PORTALS)
    env = {**os.environ, **fast(demo.proxy_url, db_url)}
    cmd = [sys.executable, "-m", "nianbao.cli", "crawl", *NO_DELAY]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    # each crawl ends cleanly, or finds every portal being crawled by the other (crawler/locks.py)
    assert all(p.returncode == 0 or "portal_locked" in out + err for p, (out, err) in zip(procs, outs, strict=True))
    archive = Archive(db_url)
    assert_archive_matches_demo(archive)
    runs = archive.list_runs()
    new = sum(r.stats.get("nianbao/reports/new", 0) for r in runs)
    assert new == len(EXPECTED)
    for run in runs:  # every portal crawled, or left to the crawl holding its lock
        locked = {e["portal"] for e in run.errors if e["stage"] == "lock"}
        assert set(run.portals) | locked == {p.name for p in PORTALS} and not set(run.portals) & locked
