"""Portal health, crawl runs and the compliance API over real archives (SQLite and PostgreSQL), through Starlette's
test client: run-to-run counts per portal, run pages with their errors and reports, paging, 404s, the compliance
JSON against the archive's own grid, and a fixed number of SQL statements per page however many runs there are."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from crawler.settings import (
    NIANBAO_DEADLINE_DEPARTMENT,
    NIANBAO_DEADLINE_GOVERNMENT,
    NIANBAO_DEADLINE_SINCE,
    NIANBAO_DEADLINE_SUBCOUNTY,
)
from nianbao.web import create_app
from pipelines.components import portal_counters
from storage import Archive
from storage.archive.compliance import Deadlines, grid_records
from storage.archive.runcounters import by_portal
from tests.support.run_history import (
    CHALLENGE,
    EDITED_TITLE,
    NEW_TITLE,
    REPORT_ERRORS,
    Runs,
    record_runs,
)
from tests.support.sample_archive import load


@pytest.fixture
def site(db_url: str) -> Iterator[tuple[TestClient, Archive, Runs]]:
    archive, _ = load(db_url)
    runs = record_runs(archive)
    with TestClient(create_app(archive)) as client:
        yield client, archive, runs


def test_portal_health_run_by_run(site: tuple[TestClient, Archive, Runs]) -> None:
    client, _, runs = site
    body = client.get("/api/portals/daan").json()
    assert body["runs_total"] == 3 and body["health"]["status"] == "ok"
    assert body["last_success"]["id"] == runs.second  # the third has not finished
    assert (body["last_success"]["pages"], body["last_success"]["errors"]) == (7, 2)
    third, second, first = body["runs"]
    assert [r["run_id"] for r in (third, second, first)] == [runs.third, runs.second, runs.first]
    assert (first["new"], first["changed"], first["list_pages"], first["errors"], first["alarms"]) == (1, 0, 2, 0, [])
    assert (second["new"], second["changed"], second["unchanged"], second["withdrawn"]) == (0, 1, 1, 1)
    assert second["report_pages"] == 2 and second["errors"] == 2
    assert [e["url"] for e in second["error_list"]] == [e["url"] for e in REPORT_ERRORS]
    assert second["alarms"] == ["no links (was 3)", "errors 50% (was 0%)"]
    assert third["finish_reason"] is None and third["new"] == 1  # counted while the run is open

    xinfu = client.get("/api/portals/xinfu").json()
    assert xinfu["health"]["status"] == "challenged" and xinfu["last_success"] is None
    (only,) = xinfu["runs"]
    assert (only["challenged"], only["errors"], only["error_list"]) == (3, 1, [CHALLENGE])


def test_portal_page_shows_the_runs(site: tuple[TestClient, Archive, Runs]) -> None:
    client, _, runs = site
    html = client.get("/portals/daan").text
    assert f'<tr id="run-{runs.second}">' in html and f'href="/runs/{runs.second}"' in html
    assert "no links (was 3)" in html and "<summary>2</summary>" in html and "2025/10.html" in html
    assert f'<a href="/runs/{runs.second}">run {runs.second}</a>' in html  # last success
    assert 'class="flag f-challenged">challenged 3</span>' in client.get("/portals/xinfu").text
    assert client.get("/portals/nowhere").status_code == 404


def test_run_page_and_its_json(site: tuple[TestClient, Archive, Runs]) -> None:
    client, _, runs = site
    first = client.get(f"/api/runs/{runs.first}").json()
    assert first["portals"] == ["daan", "xinfu"] and first["finish_reason"] == "finished"
    assert (first["pages"], first["new"], first["errors"]) == (9, 1, 1)
    assert first["duration_seconds"] >= 0
    # the report it archived, although the second run's edit has since moved its URL to a new text
    assert [(r["report_id"], r["change"]) for r in first["reports"]] == [(runs.new_report, "new")]
    assert {p["portal"]: p["challenged"] for p in first["portal_runs"]} == {"daan": 0, "xinfu": 3}
    second = client.get(f"/api/runs/{runs.second}").json()
    assert [(r["report_id"], r["change"], r["title"]) for r in second["reports"]] == [
        (runs.edited_report, "changed", EDITED_TITLE)]
    assert second["error_list"] == REPORT_ERRORS
    third = client.get(f"/api/runs/{runs.third}").json()
    assert third["finished_at"] is None and [r["report_id"] for r in third["reports"]] == [runs.later_report]

    html = client.get(f"/runs/{runs.first}").text
    assert f'<a href="/reports/{runs.new_report}">{NEW_TITLE}</a>' in html
    assert "瑞数 $_ts cookie script" in html and 'href="/portals/xinfu"' in html
    for path in ("/runs/999", f"/runs/{'9' * 20}", "/runs/0"):
        assert client.get(path).status_code == 404
        assert client.get("/api" + path).json()["detail"].startswith("no run with id")


def test_run_list_pages_and_filters(site: tuple[TestClient, Archive, Runs]) -> None:
    client, _, runs = site
    page = client.get("/api/runs", params={"limit": 2}).json()
    assert page["total"] == 3 and [r["id"] for r in page["runs"]] == [runs.third, runs.second]
    assert [(r["pages"], r["new"], r["changed"], r["errors"]) for r in page["runs"]] == [(0, 1, 0, 0), (7, 0, 1, 2)]
    assert [r["id"] for r in client.get("/api/runs", params={"limit": 2, "offset": 2}).json()["runs"]] == [runs.first]
    assert client.get("/api/runs", params={"offset": 50}).json() == {"total": 3, "limit": 50, "offset": 50,
                                                                      "runs": []}
    xinfu = client.get("/api/runs", params={"portal": "xinfu"}).json()
    assert xinfu["total"] == 1 and xinfu["runs"][0]["id"] == runs.first
    assert client.get("/api/runs", params={"portal": ""}).json()["total"] == 3  # empty: every run
    html = client.get("/runs", params={"portal": "daan"}).text
    assert "3 run(s), page 1 of 1" in html and html.count('<tr id="run-') == 3


def test_portal_names_that_look_like_patterns(db_url: str) -> None:
    """Run lists find a portal by its exact name: non-ASCII, and with the LIKE wildcards % and _ in it."""
    archive, _ = load(db_url)
    for names in (["大安_市"], ["大安%"], ["大安x市", "daan"], ["大安_市", "daan"]):
        archive.finish_run(archive.start_run(names), "finished", {}, [])
    with TestClient(create_app(archive)) as client:
        def ids(portal: str) -> list[int]:
            return [r["id"] for r in client.get("/api/runs", params={"portal": portal}).json()["runs"]]

        assert ids("大安_市") == [4, 1] and ids("大安%") == [2] and ids("daan") == [4, 3] and ids("大安") == []


@contextmanager
def statements(archive: Archive) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(archive.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(archive.engine, "before_cursor_execute", count)


def test_queries_per_page_do_not_grow_with_runs(site: tuple[TestClient, Archive, Runs]) -> None:
    """The same statements after 1 run and after 12 more, each counted after runs were written (the in-memory
    indexes then check the journal) and once the pages were seen (what a process keeps until the archive changes,
    such as a portal's reports, is kept for both)."""
    client, archive, _ = site
    paths = ("/portals/daan", "/runs", "/api/runs")

    def visit_after(runs: int) -> list[str]:
        for _ in range(runs):
            archive.finish_run(archive.start_run(["daan"]), "finished", {"nianbao/portal/daan/list_pages": 1}, [])
        with statements(archive) as seen:
            for path in paths:
                assert client.get(path).status_code == 200
        return seen

    visit_after(0)
    few = visit_after(1)
    assert len(visit_after(12)) == len(few)


def test_run_page_statements_do_not_grow_with_its_portals(site: tuple[TestClient, Archive, Runs]) -> None:
    """A crawl of every portal names thousands: the run page sends the same SQL for a run of 2 portals as for one
    of 300 (the run's portal list goes as one value, not one parameter a name: 2,000 cost PostgreSQL 25–35 ms)."""
    client, archive, _ = site
    texts = []
    for names in (["daan", "xinfu"], ["daan", "xinfu", *(f"p{i:03d}" for i in range(298))]):
        run_id = archive.start_run(names)
        archive.finish_run(run_id, "finished", {"nianbao/portal/daan/list_pages": 1}, [])
        with statements(archive) as seen:
            assert client.get(f"/runs/{run_id}").status_code == 200
        texts.append(seen)
    small, big = texts
    assert len(big) == len(small)
    assert [sql for sql, same in zip(big, small, strict=True) if len(sql) != len(same)] == []


def test_compliance_api_is_the_archive_grid(site: tuple[TestClient, Archive, Runs]) -> None:
    client, archive, _ = site
    deadlines = Deadlines.parse(NIANBAO_DEADLINE_DEPARTMENT, NIANBAO_DEADLINE_GOVERNMENT,
                                NIANBAO_DEADLINE_SUBCOUNTY, NIANBAO_DEADLINE_SINCE)
    for params in ({}, {"region": "白城", "level": "government"}, {"region": "", "first": 2019, "sort": "missing"},
                   {"portal": "xinfu", "last": 2020}):
        body = client.get("/api/compliance", params=params).json()
        grid = archive.compliance(deadlines, **{k: v or None for k, v in params.items()})
        cells = [{"portal": row["portal"], "region": row["region"], "region_code": row["region_code"],
                  "organ": row["organ"], "level": row["level"], **cell}
                 for row in body["rows"] for cell in row["cells"]]
        expected = [{**r, "due": r["due"].isoformat(),
                     "published": r["published"] and r["published"].isoformat()} for r in grid_records(grid)]
        assert cells == expected and body["years"] == grid.years, params
        assert body["totals"]["missing"] == sum(c["status"] == "missing" for c in cells)
    assert client.get("/api/compliance", params={"last": 2000}).json()["years"] == [2000]  # before any report
    assert client.get("/api/compliance", params={"first": 2023, "last": 2020}).json()["years"] == []
    assert client.get("/api/compliance", params={"level": "county"}).status_code == 422
    assert client.get("/api/compliance", params={"first": 1999}).status_code == 422
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/compliance", "/api/runs", "/api/runs/{run_id}"} <= set(paths)
    assert {"200", "400", "404", "422"} <= set(paths["/api/runs/{run_id}"]["get"]["responses"])


def test_counters_split_by_portal() -> None:
    """The run page splits a run's stats once; each portal gets what ``portal_counters`` gives it, and a name
    holding a "/" keeps its own counters apart from the portal its name starts with."""
    stats = {"nianbao/portal/daan/list_pages": 2, "nianbao/portal/daan/errors/list": 1,
             "nianbao/portal/省/厅/list_pages": 3, "nianbao/portal/省/reports/new": 4, "nianbao/list_pages": 5}
    split = by_portal(stats, ["daan", "省/厅", "省"])
    assert split["daan"] == portal_counters(stats, "daan") == {"list_pages": 2, "errors/list": 1}
    assert split["省/厅"] == portal_counters(stats, "省/厅") == {"list_pages": 3}
    assert split["省"] == {"reports/new": 4}


def test_run_page_lists_portals_to_report_first_and_pages_the_rest(db_url: str) -> None:
    """A run of 250 portals: the three with something to report (an error counted, a new report, an error kept
    only in the run's list) come first, then the quiet ones 100 a page, the others summed; JSON pages alike."""
    archive, _ = load(db_url)
    names = [f"p{i:03d}" for i in range(250)]
    run_id = archive.start_run(names)
    stats = {**{f"nianbao/portal/{n}/list_pages": 2 for n in names}, "nianbao/portal/p100/errors": 1,
             "nianbao/portal/p200/reports/new": 1}
    archive.finish_run(run_id, "finished", stats, [{"portal": "p249", "url": "http://p249.test/", "reason": "x"}])
    with TestClient(create_app(archive)) as client:
        first = client.get(f"/api/runs/{run_id}").json()
        shown = [p["portal"] for p in first["portal_runs"]]
        assert shown[:4] == ["p100", "p200", "p249", "p000"] and len(shown) == 100
        assert (first["portals_total"], first["portals_notable"], first["portal_pages"]) == (250, 3, 3)
        assert first["others"] == {"portals": 150, "list_pages": 300, "report_pages": 0, "unchanged": 0}
        last = client.get(f"/api/runs/{run_id}", params={"page": 3}).json()
        quiet = [n for n in names if n not in ("p100", "p200", "p249")]
        assert [p["portal"] for p in last["portal_runs"]] == quiet[197:]  # 3 + 197 before it
        pages = [client.get(f"/api/runs/{run_id}", params={"page": n}).json()["portal_runs"] for n in (1, 2, 3)]
        assert sorted(p["portal"] for page in pages for p in page) == names  # each portal on exactly one page
        html = client.get(f"/runs/{run_id}", params={"page": 2}).text
        assert f'href="/runs/{run_id}?page=1"' in html and f'href="/runs/{run_id}?page=3"' in html
        assert html.count('<tr id="portal-') == 100 and "3 with something to report" in html
        assert client.get(f"/runs/{run_id}", params={"page": 0}).status_code == 422


def test_a_runs_reports_are_found_from_its_span_not_by_reading_every_report(sqlite_url: str) -> None:
    """SQLite: the run page's reports start from the run's span of ``ix_report_first_seen`` and from its versions,
    never a walk of every report (each body read: 250 + 110 ms at 100,000 reports for a run that stored nothing)."""
    archive, _ = load(sqlite_url)
    run = archive.start_run(["daan"])
    archive.finish_run(run, "finished", {}, [])
    statements: list[tuple[str, object]] = []
    event.listen(archive.engine, "before_cursor_execute",
                 lambda _c, _cur, sql, params, *_: statements.append((sql, params)) if "GROUP BY" in sql else None)
    assert archive.run_reports(run) == []
    grouped = list(statements)
    assert len(grouped) == 2
    with archive.engine.connect() as conn:
        for sql, params in grouped:
            plan = [str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
            assert "SCAN report" not in plan, plan
