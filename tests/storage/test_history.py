"""Change history, withdrawals and run-to-run health: the archive API on both backends, then for real
with demo portals that change between crawls (a new report, an edited one, two withdrawn, a broken column)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from nianbao.demo import DemoServer, demo_portals
from nianbao.demo.changes import CORRECTION, ChangeSet, changed_portals
from storage import Archive, ArchiveError, Outcome, PortalSpec
from tests.support.commands import run_cmd
from tests.support.monitoring import crawl, register, statuses
from tests.support.records import rec

V1 = "一、总体情况\n本年度共主动公开政府信息120条。\n二、依申请公开情况\n共收到申请8件。"
V2 = "一、总体情况\n本年度共主动公开政府信息125条。\n二、依申请公开情况\n共收到申请8件。"
V3 = V2 + "\n三、更正说明\n第一部分数据已更正。"


def test_versions_and_diff_follow_every_edit(db_url: str) -> None:
    a = Archive(db_url)
    a.add_portal(PortalSpec(name="daan", homepage="http://d/"))
    assert a.record(rec("http://d/1", V1, portal="daan", title="2024年报告")) is Outcome.NEW
    assert a.record(rec("http://d/1", V2, portal="daan", title="2024年报告")) is Outcome.CHANGED
    assert a.record(rec("http://d/1", V2, portal="daan")) is Outcome.UNCHANGED  # no new version
    assert a.record(rec("http://d/1", V3, portal="daan")) is Outcome.CHANGED
    ids = [r.id for r in a.iter_reports()]
    assert len(ids) == 3  # every text kept
    versions = a.versions(ids[0])
    assert [v.report_id for v in versions] == ids and [v.number for v in versions] == [1, 2, 3]
    assert a.versions(ids[2]) == versions  # asked through any version: the same history
    assert versions[0].seen_at <= versions[1].seen_at <= versions[2].seen_at
    assert all(v.url == "http://d/1" for v in versions)
    last_two = a.diff(ids[0])
    assert last_two.startswith("--- v2") and "+ 三、更正说明" in last_two and "-" not in last_two.split("\n", 2)[2][:1]
    first_two = a.diff(ids[0], 1, 2)
    assert "~ 本年度共主动公开政府信息12[-0-]{+5+}条。" in first_two
    assert "\n  二、依申请公开情况" in first_two and "共收到申请8件" not in first_two  # one line of context
    for bad in ((0, 2), (1, 4), (2, 2)):
        with pytest.raises(ArchiveError):
            a.diff(ids[0], *bad)
    a.record(rec("http://d/2", "只有一个版本的报告", portal="daan"))
    single = max(r.id for r in a.iter_reports())
    assert len(a.versions(single)) == 1
    with pytest.raises(ArchiveError, match="single version"):
        a.diff(single)
    with pytest.raises(ArchiveError, match="no report"):
        a.versions(999999)


def test_withdrawn_is_marked_never_deleted_and_cleared_on_return(db_url: str) -> None:
    a = Archive(db_url)
    a.add_portal(PortalSpec(name="daan", homepage="http://d/"))
    a.record(rec("http://d/1", V1, portal="daan", title="2024年报告"))
    before = a.last_checked("http://d/1")
    assert before is not None and before.tzinfo is not None
    assert a.mark_withdrawn("http://d/1", "HTTP 404")
    assert not a.mark_withdrawn("http://d/1", "HTTP 404")  # once, with the first date
    assert not a.mark_withdrawn("http://unknown/", "HTTP 404")
    (report,) = a.iter_reports()
    (sighting,) = report.sightings
    assert sighting.withdrawn_reason == "HTTP 404" and sighting.withdrawn_at is not None
    assert a.last_checked("http://d/1") is None  # listed again → fetched again
    assert a.due_for_recheck("daan", dt.datetime.now(dt.UTC) + dt.timedelta(days=1)) == []
    kinds = [e.kind for e in a.recent_changes()]
    assert kinds == ["withdrawn", "new"]
    assert a.record(rec("http://d/1", V1, portal="daan")) is Outcome.UNCHANGED  # it came back
    (report,) = a.iter_reports()
    assert report.sightings[0].withdrawn_at is None
    assert a.due_for_recheck("daan", dt.datetime.now(dt.UTC) + dt.timedelta(days=1)) == ["http://d/1"]
    assert a.due_for_recheck("daan", dt.datetime.now(dt.UTC) - dt.timedelta(days=1)) == []


def test_recent_changes_lists_edits_once_as_changed(db_url: str) -> None:
    a = Archive(db_url)
    a.record(rec("http://d/1", V1, title="甲"))
    a.record(rec("http://d/2", "乙报告正文", title="乙"))
    a.record(rec("http://d/1", V2, title="甲"))
    events = a.recent_changes()
    assert [(e.kind, e.title) for e in events] == [("changed", "甲"), ("new", "乙"), ("new", "甲")]
    assert events[0].url == "http://d/1" and "replaces report" in events[0].detail
    assert len(a.recent_changes(limit=2)) == 2


@pytest.mark.parametrize("query", [None, "总体情况", "乙报"])
def test_the_feed_walks_the_newest_reports_by_index(db_url: str, query: str | None) -> None:
    """The feeds' newest reports come from walking ``ix_report_first_seen`` (0016), with or without a query, not
    from reading every (matching) report's row to sort it: on SQLite that read each body (364 ms at 100,000)."""
    if not db_url.startswith("sqlite"):
        pytest.skip("the plan checked is SQLite's (PostgreSQL keeps its planner's choice)")
    a = Archive(db_url)
    for n in range(30):
        a.record(rec(f"http://d/{n}", f"{V1}\n第{n}份", title=f"报告{n}"))
    a.record(rec("http://d/yi", "乙报告正文", title="乙"))
    statements: list[tuple[str, Any]] = []
    event.listen(a.engine, "before_cursor_execute",
                 lambda _c, _cur, sql, params, *_: statements.append((sql, params)))
    assert a.recent_changes(5, query)
    (sql, params), = [(q, p) for q, p in statements if "ORDER BY report.first_seen DESC" in q]
    with a.engine.connect() as conn:
        plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
    assert "USING INDEX ix_report_first_seen" in plan and "TEMP B-TREE FOR ORDER BY" not in plan, plan


# -- for real: three crawls of changing demo portals --------------------------------------------------


@pytest.fixture(scope="module")
def changing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ChangeSet, list[tuple[str, str, int]]]]:
    """Crawl 1: the demo portals. Crawl 2: after the changes, every recheck due. Crawl 3: daan's column broken,
    every recheck due again (yields crawl 3's request log too)."""
    db = f"sqlite:///{tmp_path_factory.mktemp('history') / 'archive.db'}"
    portals = demo_portals()
    register(db, portals)
    later = changed_portals()
    with DemoServer(portals) as server:
        crawl(server, db)
        server.set_portals(later.portals, later.overrides)
        crawl(server, db, "NIANBAO_RECHECK_DAYS=0")
        broken = [replace(p, fault="column-404") if p.name == "daan" else p for p in later.portals]
        server.set_portals(broken, later.overrides)
        mark = len(server.requests)
        crawl(server, db, "NIANBAO_RECHECK_DAYS=0")
        yield db, later, server.requests[mark:]


@pytest.mark.e2e
def test_crawl_after_changes_records_new_changed_and_withdrawn(changing) -> None:
    db, later, _ = changing
    archive = Archive(db)
    first, second, _ = archive.list_runs()[::-1]
    assert second.stats["nianbao/reports/new"] == 1 and second.stats["nianbao/reports/changed"] == 1
    assert second.stats["nianbao/reports/withdrawn"] == 2
    by_url = {s.url: (r, s) for r in archive.iter_reports() for s in r.sightings}
    assert by_url[later.withdrawn_404_url][1].withdrawn_reason == "HTTP 404"
    assert by_url[later.withdrawn_refresh_url][1].withdrawn_reason.startswith("meta refresh to the parent column")
    assert by_url[later.withdrawn_refresh_url][0].body  # withdrawn, still archived with its text
    assert by_url[later.new_url][0].title == later.new.title
    edited, _ = by_url[later.edited_url]
    assert edited.body.endswith(CORRECTION) and edited.body == later.edited.body
    assert archive.count_reports() == first.stats["nianbao/reports/new"] + 2  # the new report and the edit


@pytest.mark.e2e
def test_show_versions_and_diff_commands(changing) -> None:
    db, later, _ = changing
    archive = Archive(db)
    edited = next(r for r in archive.iter_reports() for s in r.sightings if s.url == later.edited_url)
    shown = run_cmd(["nianbao", "show", str(edited.id), "--versions", "--db", db])
    assert shown.returncode == 0, shown.stderr
    lines = [line for line in shown.stdout.splitlines() if " v" in line[:4]]
    assert len(lines) == 2 and lines[1].startswith("* v2") and later.edited_url in lines[0]
    diffed = run_cmd(["nianbao", "diff", str(edited.id), "--db", db])
    assert diffed.returncode == 0, diffed.stderr
    assert f"+ {CORRECTION}" in diffed.stdout and diffed.stdout.startswith("--- v1")
    assert run_cmd(["nianbao", "diff", str(edited.id), "1", "1", "--db", db]).returncode == 1
    bad = run_cmd(["nianbao", "diff", str(edited.id), "1", "7", "--db", db])
    assert bad.returncode == 1 and "version(s) 1..2, not 7" in bad.stderr
    gone = next(r for r in archive.iter_reports() for s in r.sightings if s.url == later.withdrawn_404_url)
    shown = run_cmd(["nianbao", "show", str(gone.id), "--db", db])
    assert "WITHDRAWN" in shown.stdout and "(HTTP 404)" in shown.stdout


@pytest.mark.e2e
def test_health_flags_a_portal_that_suddenly_yields_nothing(changing) -> None:
    db, _, third = changing
    runs = run_cmd(["nianbao", "runs", "--db", db])
    assert runs.returncode == 0, runs.stderr
    rows = {line.split()[0]: line for line in runs.stdout.splitlines()[1:]}
    assert rows["1"].endswith("ok") and rows["2"].endswith("ok")  # zero new reports in run 1→2 is no alarm
    assert "⚠ daan: no links (was 19), errors 100% (was 0%)" in rows["3"]
    assert "xinfu" not in rows["3"] and "changbai" not in rows["3"]
    listed = run_cmd(["nianbao", "portals", "list", "--db", db])
    flagged = {line.split()[0] for line in listed.stdout.splitlines() if "⚠" in line}
    assert flagged == {"daan"}
    # its column failed, so its reports were not rechecked as "unlisted", and none was marked withdrawn
    daan = changed_portals().portals[0]
    assert statuses([r for r in third if r[0] == daan.host], [daan])["detail"].total() == 0
    assert Archive(db).list_runs()[0].stats.get("nianbao/portal/daan/reports/withdrawn", 0) == 0


@pytest.mark.e2e
def test_feed_written_beside_the_archive(changing) -> None:
    db, later, _ = changing
    feed = (db.removeprefix("sqlite:///").removesuffix(".db") + ".atom")
    text = Path(feed).read_text(encoding="utf-8")
    # one "new" per report except the edit's row (announced as "changed"), plus the two withdrawals
    assert text.count("<entry>") == Archive(db).count_reports() - 1 + 1 + 2
    for url in (later.new_url, later.edited_url, later.withdrawn_404_url, later.withdrawn_refresh_url):
        assert url in text
