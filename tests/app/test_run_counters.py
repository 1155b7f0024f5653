"""Per-portal run counters as rows (``crawl_run_portal``, migration 0011) on SQLite and PostgreSQL: written when a
run closes, rebuilt by the migration's backfill exactly as the close writes them, and what the portal and run
pages show (not the run's stats document)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, inspect, select, update

from nianbao.web import create_app
from storage import Archive
from storage.archive.runcounters import backfill_run_portals
from storage.models import CrawlRun, RunPortal, utcnow
from storage.session import write_session
from tests.support.migrations import migrate
from tests.support.sample_archive import load

STATS: dict[str, Any] = {
    "downloader/response_count": 12, "nianbao/list_pages": 9,
    "nianbao/portal/daan/list_pages": 2, "nianbao/portal/daan/links/report": 5, "nianbao/portal/daan/errors": 1,
    "nianbao/portal/daan/errors/list": 1, "nianbao/portal/daan/reports/new": 3,
    "nianbao/portal/daan/hostile/trapped": 1, "nianbao/portal/daan/list_pages_capped": 1,
    "nianbao/portal/省/厅/list_pages": 4, "nianbao/portal/省/厅/hostile/challenged": 2,
    "nianbao/portal/省/reports/withdrawn": 6,
    "nianbao/portal/unlisted/extracted": 7,  # counted for a portal the run was not given
}


MODEL_TABLES = (CrawlRun.__table__, RunPortal.__table__, RunPortal.COUNTERS)  # the backfill over today's models


def _rows(archive: Archive) -> list[tuple[Any, ...]]:
    with archive.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(RunPortal).order_by(RunPortal.run_id, RunPortal.portal))]


def test_close_writes_rows_and_backfill_rebuilds_them(db_url: str) -> None:
    archive, _ = load(db_url)
    closed = archive.start_run(["daan", "省/厅", "省", "xinfu"])
    archive.finish_run(closed, "finished", STATS, [])
    still_open = archive.start_run(["daan"])
    counters = archive.portal_counters([archive.get_run(closed)])[closed]  # type: ignore[list-item]
    assert set(counters) == {"daan", "省/厅", "省", "xinfu", "unlisted"}
    assert (counters["daan"]["list_pages"], counters["daan"]["links/report"], counters["daan"]["reports/new"],
            counters["daan"]["list_pages_capped"]) == (2, 5, 3, 1)
    assert (counters["省/厅"]["list_pages"], counters["省/厅"]["hostile/challenged"]) == (4, 2)
    assert counters["省"]["reports/withdrawn"] == 6 and counters["省"]["list_pages"] == 0
    assert set(counters["xinfu"].values()) == {0} and counters["unlisted"]["extracted"] == 7
    written = _rows(archive)
    assert [r[0] for r in written] == [closed] * 5  # the open run has none

    with write_session(archive.engine) as s:
        s.execute(delete(RunPortal))
    with archive.engine.begin() as conn:
        assert backfill_run_portals(conn, *MODEL_TABLES, batch=1) == 1
        assert backfill_run_portals(conn, *MODEL_TABLES) == 0  # runs with rows are left alone
    assert _rows(archive) == written
    archive.finish_run(still_open, "finished", {"nianbao/portal/daan/list_pages": 1}, [])
    archive.finish_run(still_open, "finished", {"nianbao/portal/daan/list_pages": 8}, [])  # closed again
    assert archive.portal_counters([archive.get_run(still_open)])[still_open] == {  # type: ignore[list-item]
        "daan": {c: 8 if c == "list_pages" else 0 for c in RunPortal.COUNTERS}}


def test_migration_backfills_runs_closed_before_it(db_url: str) -> None:
    """Runs closed under the old schema (stats only) get their rows when migration 0011 creates the table."""
    archive, _ = load(db_url)
    migrate(archive, "0010")
    assert "crawl_run_portal" not in inspect(archive.engine).get_table_names()
    now = utcnow()
    with archive.engine.begin() as conn:
        conn.execute(insert(CrawlRun), [
            {"started_at": now, "finished_at": now, "finish_reason": "finished", "portals": ["daan", "省/厅"],
             "stats": STATS, "errors": []},
            {"started_at": now, "finished_at": None, "finish_reason": None, "portals": ["daan"],  # still open
             "stats": {"nianbao/portal/daan/reports/new": 1}, "errors": []}])
        closed = conn.scalar(select(CrawlRun.id).where(CrawlRun.finished_at.is_not(None)))
    migrate(archive, "heads")
    assert {(r[0], r[1], r[2], r[3]) for r in _rows(archive)} == {  # run, portal, list_pages, list_pages_capped
        (closed, "daan", 2, 1), (closed, "省/厅", 4, 0), (closed, "省", 0, 0), (closed, "unlisted", 0, 0)}
    counters = archive.portal_counters([archive.get_run(closed)], "省/厅")[closed]  # type: ignore[list-item]
    assert counters["省/厅"]["hostile/challenged"] == 2


def test_pages_read_the_rows(db_url: str) -> None:
    """With the per-portal counters gone from the run's stats, the pages still show what the run recorded; an open
    run (no rows yet) shows what its stats hold so far."""
    archive, _ = load(db_url)
    closed = archive.start_run(["daan", "xinfu"])
    archive.finish_run(closed, "finished", STATS, [])
    with write_session(archive.engine) as s:
        s.execute(update(CrawlRun).where(CrawlRun.id == closed).values(stats={"downloader/response_count": 12}))
    running = archive.start_run(["daan"])
    with write_session(archive.engine) as s:
        s.execute(update(CrawlRun).where(CrawlRun.id == running)
                  .values(stats={"nianbao/portal/daan/reports/new": 4}))
    with TestClient(create_app(archive)) as client:
        body = client.get("/api/portals/daan").json()
        now, then = body["runs"]
        assert (now["run_id"], now["new"], now["list_pages"]) == (running, 4, 0)
        assert (then["run_id"], then["new"], then["list_pages"], then["errors"], then["trapped"]) == (closed, 3, 2,
                                                                                                      1, 2)
        assert body["last_success"]["id"] == closed
        shown = {p["portal"]: (p["list_pages"], p["challenged"], p["withdrawn"])
                 for p in client.get(f"/api/runs/{closed}").json()["portal_runs"]}
        # 省/厅 is not among this run's portals: its counters count as 省's under names it does not show
        assert shown == {"daan": (2, 0, 0), "xinfu": (0, 0, 0), "省": (0, 0, 6), "unlisted": (0, 0, 0)}
        assert f'<tr id="run-{closed}">' in client.get("/portals/daan").text


TOTALS = {**STATS, "nianbao/reports/new": 5, "nianbao/reports/changed": 2, "nianbao/errors": 1}
KEPT_ERRORS = [{"portal": "daan", "url": f"http://daan.test/{i}", "reason": "timeout"} for i in range(3)]


def _totals(archive: Archive) -> dict[int, tuple[Any, ...]]:
    with archive.engine.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(select(
            CrawlRun.id, CrawlRun.pages_fetched, CrawlRun.reports_new, CrawlRun.reports_changed,
            CrawlRun.error_count))}


def test_close_writes_run_totals_and_pages_read_them(db_url: str) -> None:
    """The run-wide counters are columns written with the close; the run list, the run page and the portal's last
    successful run show them with the stats document emptied, and an open run shows what its stats hold."""
    archive, _ = load(db_url)
    closed = archive.start_run(["daan"])
    archive.finish_run(closed, "finished", TOTALS, KEPT_ERRORS)
    running = archive.start_run(["daan"])
    assert _totals(archive) == {closed: (12, 5, 2, 3), running: (None, None, None, None)}  # 3 errors kept > 1 counted
    with write_session(archive.engine) as s:
        s.execute(update(CrawlRun).where(CrawlRun.id == closed).values(stats={}))
        s.execute(update(CrawlRun).where(CrawlRun.id == running).values(stats={"downloader/response_count": 4}))
    with TestClient(create_app(archive)) as client:
        listed = {r["id"]: (r["pages"], r["new"], r["changed"], r["errors"])
                  for r in client.get("/api/runs").json()["runs"]}
        assert listed == {closed: (12, 5, 2, 3), running: (4, 0, 0, 0)}
        one = client.get(f"/api/runs/{closed}").json()
        assert (one["pages"], one["new"], one["changed"], one["errors"]) == (12, 5, 2, 3)
        assert client.get("/api/portals/daan").json()["last_success"]["pages"] == 12
        assert '<td class="pages">12</td>' in client.get(f"/runs/{closed}").text


def test_migration_0012_backfills_run_totals(db_url: str) -> None:
    """Runs closed before migration 0012 get their run-wide columns from their stats; an open run keeps NULL."""
    archive, _ = load(db_url)
    migrate(archive, "0011")
    assert "error_count" not in {c["name"] for c in inspect(archive.engine).get_columns("crawl_run")}
    now = utcnow()
    with archive.engine.begin() as conn:
        conn.execute(insert(CrawlRun.__table__).values(  # only the columns of the schema at 0011
            started_at=now, finished_at=now, finish_reason="finished", portals=["daan"], stats=TOTALS,
            errors=KEPT_ERRORS))
        conn.execute(insert(CrawlRun.__table__).values(
            started_at=now, finished_at=None, finish_reason=None, portals=["daan"], stats=TOTALS, errors=[]))
    migrate(archive, "heads")
    assert sorted(_totals(archive).values(), key=str) == [(12, 5, 2, 3), (None, None, None, None)]
