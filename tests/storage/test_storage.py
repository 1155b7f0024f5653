"""The archive API on a real SQLite file and (when configured) a real PostgreSQL database."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import socket
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from storage import Archive, ArchiveError, Outcome, PortalSpec
from storage.models import Base, CrawlRun, Report, Sighting
from storage.session import write_session
from tests.support.records import rec


def test_outcomes_new_unchanged_duplicate_changed(db_url: str) -> None:
    a = Archive(db_url)
    a.add_portal(PortalSpec(name="daan", homepage="http://www.daan.nianbao.test/"))
    assert a.record(rec("http://a/1", "慧阳街道报告", portal="daan")) is Outcome.NEW
    assert a.record(rec("http://a/1", "慧阳街道报告", portal="daan")) is Outcome.UNCHANGED
    assert a.record(rec("http://b/1", "慧阳街道报告")) is Outcome.DUPLICATE
    assert a.record(rec("http://a/1", "慧阳街道报告（修订）", portal="daan")) is Outcome.CHANGED
    assert a.count_reports() == 2
    assert a.count_sightings() == 2
    first, edited = a.iter_reports()  # ids come from sequences: PostgreSQL skips some after conflicts
    assert [s.url for s in first.sightings] == ["http://b/1"]  # a/1 now points at the edited text
    assert [(s.url, s.portal) for s in edited.sightings] == [("http://a/1", "daan")]


def test_failed_write_leaves_nothing(db_url: str) -> None:
    a = Archive(db_url)
    with pytest.raises(RuntimeError), write_session(a.engine) as s:
        s.add(Report(content_sha256="f" * 64, body="半截", meta={}))
        s.flush()
        raise RuntimeError("killed mid-transaction")
    assert a.count_reports() == 0


def _record_many(db_url: str, worker: int) -> list[str]:
    a = Archive(db_url)
    return [a.record(rec(f"http://p{worker % 2}/{i}", f"报告正文{i}")).value for i in range(30)]


@pytest.mark.e2e
def test_concurrent_writers_never_duplicate(db_url: str) -> None:
    Archive(db_url)  # create the schema once; concurrent first opens are tested separately
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.starmap(_record_many, [(db_url, w) for w in range(4)])
    a = Archive(db_url)
    assert a.count_reports() == 30
    assert a.count_sightings() == 60
    flat = [o for r in results for o in r]
    assert flat.count("new") == 30
    with a._read() as s:
        assert s.scalar(select(func.count()).select_from(Report).where(~Report.sightings.any())) == 0


def _open(db_url: str) -> int:
    return Archive(db_url).count_reports()


@pytest.mark.e2e
def test_concurrent_first_open_migrates_once(empty_db_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        assert pool.map(_open, [empty_db_url] * 3) == [0, 0, 0]


def test_schema_matches_models(db_url: str) -> None:
    """The migrations build exactly the tables the ORM models describe (but one backend's own search objects:
    SQLite's FTS tables, PostgreSQL's gram index and change counters, migration 0014, text pieces, 0015, and long
    grams, 0020)."""
    a = Archive(db_url)
    own = {"table": ("report_fts", "report_bigram", "archive_change", "report_chunk"),
           "index": ("ix_report_grams", "ix_report_long_grams")}
    with a.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "include_name": lambda name, type_, _p: not (name or "").startswith(own.get(type_, ()))})
        diff = [d for d in compare_metadata(ctx, Base.metadata)
                if d[0] != "remove_table" or d[1].name != "alembic_version"]
    assert diff == []


def test_search_long_and_short_terms(db_url: str) -> None:
    a = Archive(db_url)
    a.record(rec("http://a/1", "一、总体情况\n2014年，慧阳街道按照市委的部署开展依申请公开工作。",
                 title="大安市慧阳街道办事处2014年度政府信息公开工作年度报告", report_year=2014,
                 published=dt.date(2015, 3, 18)))
    a.record(rec("http://a/2", "站前街道2017年信息公开工作年度报告正文",
                 title="新抚区站前街道2017年信息公开工作年度报告"))
    first, second = (r.id for r in a.iter_reports())
    hits = a.search("慧阳街道")
    assert [h.id for h in hits] == [first]
    assert hits[0].url == "http://a/1" and hits[0].published == dt.date(2015, 3, 18)
    assert "«慧阳街道»" in hits[0].snippet
    assert {h.id for h in a.search("街道")} == {first, second}  # 2 characters: below the trigram limit
    assert [h.id for h in a.search("依申请公开 慧阳")] == [first]  # every term must match
    assert a.search('"; DROP TABLE report; --') == []
    assert a.search("100%") == []
    with pytest.raises(ArchiveError):
        a.search("   ")


def test_portal_registry_and_import(db_url: str, tmp_path: Path) -> None:
    a = Archive(db_url)
    assert a.add_portal(PortalSpec(name="daan", column_urls=("http://x/zfxxgknb/",)))
    with pytest.raises(ArchiveError, match="already exists"):
        a.add_portal(PortalSpec(name="daan", homepage="http://x/"))
    assert not a.add_portal(PortalSpec(name="daan", homepage="http://x/", level="county"), replace=True)
    assert a.get_portal("daan") == PortalSpec(name="daan", homepage="http://x/", level="county")
    csv_file = tmp_path / "portals.csv"
    csv_file.write_text("name,homepage,column_urls,region,level,cms\n"
                        "pingtan,https://www.pingtan.gov.cn/,https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/,"
                        "福建省平潭县,county,trs\n"
                        "hd,,http://hdzfxxgk.hd.gov.cn/zfxxgknb/;http://hdzfxxgk.hd.gov.cn/bmnb/,,,\n",
                        encoding="utf-8")
    assert a.import_portals(csv_file) == 2
    hd = a.get_portal("hd")
    assert hd is not None
    assert hd.column_urls == ("http://hdzfxxgk.hd.gov.cn/zfxxgknb/", "http://hdzfxxgk.hd.gov.cn/bmnb/")
    json_file = tmp_path / "portals.json"
    json_file.write_text(json.dumps([{"name": "x", "homepage": "http://x/", "colour": "red"}]), encoding="utf-8")
    with pytest.raises(ArchiveError, match=r"entry 1: unknown portal field\(s\): colour"):
        a.import_portals(json_file)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,homepage\nnohome,\n", encoding="utf-8")
    with pytest.raises(ArchiveError, match="needs a homepage or at least one column URL"):
        a.import_portals(bad)
    assert [p.name for p in a.list_portals()] == ["daan", "hd", "pingtan"]
    a.record(rec("http://x/1", "正文", portal="daan"))
    assert a.remove_portal("daan") and not a.remove_portal("daan")
    (view,) = a.iter_reports()
    assert view.sightings[0].portal is None  # the report stays


def test_runs_and_killed_runs(db_url: str) -> None:
    a = Archive(db_url)
    with write_session(a.engine) as s:  # a run whose process died without closing it
        s.add(CrawlRun(portals=["daan"], stats={}, errors=[], pid=2**22 + 12345, host=socket.gethostname()))
        s.add(CrawlRun(portals=["live"], stats={}, errors=[], pid=os.getpid(), host=socket.gethostname()))
    run_id = a.start_run(["daan", "xinfu"])
    a.finish_run(run_id, "finished", {"nianbao/portal/daan/reports/new": 3, "start_time": dt.datetime(2026, 1, 1)},
                 [{"portal": "xinfu", "url": "http://x/", "stage": "list", "reason": "HTTP 500"}])
    runs = {r.id: r for r in a.list_runs()}
    assert runs[1].finish_reason == "killed"
    assert runs[2].finish_reason is None  # still alive: left alone
    assert runs[run_id].stats["start_time"] == "2026-01-01T00:00:00"
    assert runs[run_id].errors[0]["reason"] == "HTTP 500"


def test_sightings_unique_per_url(db_url: str) -> None:
    a = Archive(db_url)
    for _ in range(3):
        a.record(rec("http://a/1", "正文"))
    with a._read() as s:
        assert s.scalar(select(func.count()).select_from(Sighting)) == 1
