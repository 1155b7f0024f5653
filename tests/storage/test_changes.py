"""The in-memory indexes (facet index, compliance grid) follow the archive through its journal (migration 0017):
after each kind of write, by this archive or by another connection, the index kept across the writes equals one
built from scratch, and it read the journal instead of the whole archive."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import random
import weakref
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, event, insert, text
from sqlalchemy.orm import Session

from storage import Archive, AttachmentRecord, PortalSpec, ReportRecord
from storage.archive import facets as facets_module
from storage.archive.changes import ChangeWatch
from storage.archive.compliance import ComplianceIndex, compliance_index
from storage.archive.facets import FacetIndex, facet_index
from storage.archive.orders import REORDER_AT_MOST, make_order, reordered
from storage.archive.query import SORTS
from storage.bigrams import register
from storage.models import Report
from tests.support.sample_archive import SAMPLES, load


def _facets(index: FacetIndex, conn: Connection, ids: list[int]) -> Any:
    """Everything a page reads from the index: counts over all and over a subset, pages in every sort, levels."""
    half = ids[::2]
    return (index.counts(conn, None, 100), index.counts(conn, half, 100),
            [index.page(conn, ids, 100, sort, 3, offset) for sort in SORTS for offset in (0, 2)],
            [index.page(conn, half, 100, sort, 2, 1) for sort in SORTS],
            {(level, seen): index.at_level(conn, level, seen=seen) for level in ("street", "township", "county")
             for seen in (False, True)})


def _organs(index: ComplianceIndex, archive: Archive) -> list[tuple[Any, ...]]:
    with Session(archive.engine) as s:
        return [(o.portal, o.organ, o.level, o.region, o.region_code, o.display_name, o.years)
                for o in index.organs(s)]


def _writes(archive: Archive, other: Engine, ids: dict[str, int]) -> list[tuple[str, Callable[[], object]]]:
    """One of every write that changes what the indexes hold: the archive's own, and plain SQL through another
engine (as a crawl in another process or a hand-made correction writes)."""
    sha = {s.title: hashlib.sha256(s.body.encode()).hexdigest() for s in SAMPLES}

    def sql(statement: str) -> Callable[[], object]:
        def run() -> None:
            with other.begin() as conn:
                conn.execute(text(statement))
        return run

    new = ReportRecord(url="http://www.changbai.nianbao.test/2025/9.html", content_sha256="9" * 64,
                       body="长白县2024年报。", title="长白县2024年报", organ="长白县马鹿沟镇人民政府",
                       report_year=2024, published=dt.date(2025, 5, 1), portal="changbai",
                       attachments=(AttachmentRecord(url="http://www.changbai.nianbao.test/2025/9.ofd",
                                                     file_name="9.ofd", format="ofd", size=1, sha256="1" * 64,
                                                     status="ok", extractor="test"),))
    first, second = ids["新抚区2023年政府信息公开工作年度报告"], ids["大安市2019年政府信息公开工作年度报告"]
    return [
        ("a new report with an attachment", lambda: archive.record(new)),
        ("an edited text", lambda: archive.add_text_version(first, "新抚区2023年报（修订）", "b" * 64, {})),
        ("tables read again with findings", lambda: archive.record_statistics(
            sha["新抚区站前街道2017年政府信息公开工作年度报告"], {"format": "2021"}, [{"identity": "a"}])),
        ("year, organ and date corrected", sql(f"UPDATE report SET report_year = 2018, organ = '站前街道', "
                                               f"published = '2019-02-01' WHERE id = {second}")),
        ("a sighting moved to another portal", sql(
            "UPDATE sighting SET portal_id = (SELECT id FROM portal WHERE name = 'xinfu') "
            "WHERE url = 'http://www.daan.nianbao.test/2024/5.html'")),
        ("a portal moved to another region and level", sql(
            "UPDATE portal SET region = '吉林省白城市洮北区', region_code = '220802', level = 'street' "
            "WHERE name = 'daan'")),
        ("an attachment's format", sql("UPDATE attachment SET format = 'wps' WHERE format = 'docx'")),
        ("a portal registered", lambda: archive.add_portal(PortalSpec(
            name="fusong", homepage="http://fusong.test/", region="吉林省白山市抚松县", level="county"))),
        ("a report deleted", sql(f"DELETE FROM report WHERE id = {second}")),
        ("a portal removed", lambda: archive.remove_portal("zhanqian")),
        ("a report stored", lambda: archive.record(ReportRecord(
            url="http://fusong.test/1.html", content_sha256="8" * 64, body="抚松县2023年报。", title="抚松县2023年报",
            organ="抚松县人民政府", report_year=2023, published=dt.date(2024, 3, 1), portal="fusong"))),
    ]


@pytest.mark.parametrize("reorder", [REORDER_AT_MOST, 0], ids=["orders-moved", "orders-sorted"])
def test_the_indexes_follow_the_journal_as_a_build_from_scratch(db_url: str, reorder: int,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Each sort's order is kept through an update by moving the changed reports (or made again, past
    ``REORDER_AT_MOST``): either way the pages equal a fresh build's."""
    monkeypatch.setattr(facets_module, "REORDER_AT_MOST", reorder)
    archive, ids = load(db_url)
    other = create_engine(db_url)  # another connection pool, as a crawl in another process writes
    if other.dialect.name == "sqlite":  # with the bigram index's function, as every connection of ours has
        event.listen(other, "connect", lambda connection, _record: register(connection))
    facets, grid = facet_index(archive.engine), compliance_index(archive.engine)
    with archive.engine.connect() as conn:
        _facets(facets, conn, sorted(ids.values()))
    _organs(grid, archive)
    built = (facets.stats["full"], grid.stats["full"])
    for what, write in _writes(archive, other, ids):
        write()
        with archive.engine.connect() as conn:
            every = [r for r, in conn.execute(text("SELECT id FROM report ORDER BY id"))]
            kept = _facets(facets, conn, every)
            assert kept == _facets(FacetIndex(archive.engine), conn, every), what
        assert _organs(grid, archive) == _organs(ComplianceIndex(archive.engine), archive), what
    # every change was read from the journal: no build from scratch after the first
    assert (facets.stats["full"], grid.stats["full"]) == built
    assert facets.stats["journal"] >= len(_writes(archive, other, ids)) and grid.stats["journal"] >= 1
    other.dispose()


@pytest.mark.parametrize("changes", [1, 40, 900])
def test_an_order_moved_by_many_changes_at_once_equals_one_sorted_afresh(changes: int) -> None:
    """A commit of many reports at once (new, deleted, dated or re-dated, some to the same day) moves them all in
    one update: every sort's order equals the order made from scratch, round after round."""
    rng = random.Random(changes)

    def row(report_id: int) -> tuple[Any, ...]:
        day = None if rng.random() < 0.1 else dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(30))
        return (report_id, rng.choice((None, 2019, 2020, 2021)), day)

    rows = {i: row(i) for i in range(1, 3000) if rng.random() < 0.9}
    size = 3000
    orders = {sort: make_order(sort, rows, size) for sort in SORTS}
    for _ in range(5):
        size += changes // 2
        changed = set(rng.sample(sorted(rows), changes - changes // 2)) | set(range(size - changes // 2, size))
        before, rows = set(rows), dict(rows)
        for report_id in changed:
            if rng.random() < 0.3:
                rows.pop(report_id, None)
            else:
                rows[report_id] = row(report_id)
        moved = {sort: reordered(sort, orders[sort], changed, before, rows, size) for sort in SORTS}
        orders = {sort: make_order(sort, rows, size) for sort in SORTS}
        assert {sort: order.ids for sort, order in moved.items()} == {sort: order.ids for sort, order in orders.items()}
        assert {sort: order.ordered for sort, order in moved.items()} == {
            sort: order.ordered for sort, order in orders.items()}
        assert all(moved[sort].keys[i] == orders[sort].keys[i] for sort in SORTS for i in rows)


def test_a_recrawl_that_changes_nothing_indexed_journals_nothing(db_url: str) -> None:
    """A re-crawl rewrites every sighting's last_seen and status: nothing the indexes hold, so no journal row."""
    archive, _ = load(db_url)
    with archive.engine.begin() as conn:
        before = conn.execute(text("SELECT count(*) FROM archive_journal")).scalar()
        conn.execute(text("UPDATE sighting SET last_seen = first_seen, http_status = 304"))
        conn.execute(text("UPDATE report SET meta = '{}', title = title"))
        assert conn.execute(text("SELECT count(*) FROM archive_journal")).scalar() == before
        conn.execute(text("UPDATE report SET organ = organ || '办'"))
        assert conn.execute(text("SELECT count(*) FROM archive_journal")).scalar() == before + len(SAMPLES)


def test_too_many_changes_read_everything_again(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A journal naming more reports than is worth reading one by one: the index reads the whole archive."""
    archive, ids = load(db_url)
    index = facet_index(archive.engine)

    def reports() -> int:
        with archive.engine.connect() as conn:
            return index.counts(conn, None, 10)[0]

    assert reports() == len(SAMPLES)
    monkeypatch.setattr(facets_module, "_JOURNAL_AT_LEAST", 1)
    archive.add_text_version(ids["新抚区2023年政府信息公开工作年度报告"], "修订", "c" * 64, {})
    assert reports() == len(SAMPLES) + 1
    assert index.stats["full"] == 2 and index.stats["journal"] == 0


def test_a_write_that_commits_after_a_later_one_is_not_missed(pg_url: str) -> None:
    """PostgreSQL draws journal sequence numbers before commit: a transaction that wrote first and commits last
    has the lower number. Read by position in the sequence, its report was lost; read by transaction it is not.
    A TRUNCATE journals "everything"."""
    archive, _ = load(pg_url)
    index = facet_index(archive.engine)

    def years() -> dict[Any, int]:
        with archive.engine.connect() as conn:
            return dict(index.counts(conn, None, 100)[1]["year"])

    assert 2030 not in years()
    engine = create_engine(pg_url)
    with engine.connect() as first, engine.connect() as second:
        slow = first.begin()
        first.execute(insert(Report).values(content_sha256="e" * 64, body="先写", title="先写", report_year=2030))
        with second.begin():
            second.execute(insert(Report).values(content_sha256="f" * 64, body="后写", title="后写",
                                                 report_year=2031))
        assert years()[2031] == 1 and 2030 not in years()
        slow.commit()
    assert years()[2030] == 1
    assert index.stats["full"] == 1
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE report_statistics"))
    assert years()[2030] == 1 and index.stats["full"] == 2
    engine.dispose()


def test_the_indexes_are_kept_out_of_full_collections(sqlite_url: str) -> None:
    """A built or updated index is frozen out of the cyclic collector's walks (a full collection walked every
    entry of its lists, sets and dicts: 95–111 ms on every second compliance grid at 100,000 reports)."""
    archive, ids = load(sqlite_url)
    gc.unfreeze()
    try:
        facets, grid = facet_index(archive.engine), compliance_index(archive.engine)
        for _ in range(2):  # a build, then an update from the journal
            with archive.engine.connect() as conn:
                _facets(facets, conn, sorted(ids.values()))
            _organs(grid, archive)
            walked = {id(o) for generation in range(3) for o in gc.get_objects(generation)}
            assert id(facets.codes[0]) not in walked and id(facets._rows) not in walked
            assert id(grid._by_portal) not in walked and id(grid._organs) not in walked
            archive.record_statistics(hashlib.sha256(SAMPLES[0].body.encode()).hexdigest(), {"format": "2021"}, [])
        assert facets.stats["journal"] and grid.stats["journal"]
    finally:
        gc.unfreeze()


def test_a_page_after_a_write_reads_the_journal_once(sqlite_url: str) -> None:
    """The term cache and the facet index each follow the journal; after a write the page that consults both reads
    it once, and the second index takes what the first read (a crawl's commit and a deletion of 2,000 reports: 6–26
    ms a read at 100,000 reports).
    SQLite only: there the watches' positions are the journal's last row, the same for both; PostgreSQL's are the
    server's oldest running transaction, which other databases' tests move."""
    archive, _ = load(sqlite_url)
    before = archive.query.page("政府信息公开", facets=True).total  # both indexes have read the archive
    journal_reads: list[str] = []
    event.listen(archive.engine, "before_cursor_execute",
                 lambda _c, _cur, sql, *_: journal_reads.append(sql) if "FROM archive_journal" in sql else None)
    for round_ in range(3):
        archive.record(ReportRecord(url=f"http://www.changbai.nianbao.test/2025/{round_}.html",
                                    content_sha256=f"{round_}" * 64, body=f"长白县政府信息公开{round_}。",
                                    title="长白县2024年报", organ="长白县人民政府", report_year=2024,
                                    portal="changbai"))
        journal_reads.clear()
        page = archive.query.page("政府信息公开", facets=True)
        assert len(journal_reads) == 1
        assert page.total == before + round_ + 1 and page.facets and dict(page.facets["year"])[2024] == round_ + 1


def test_a_watch_behind_another_reads_the_journal_from_its_own_position(db_url: str) -> None:
    """Two watches of one archive: the one that last read before a write does not take the other's later read,
    which starts after that write; it reads from where it stands, and names both writes."""
    archive, ids = load(db_url)
    ahead, behind = ChangeWatch(archive.engine), ChangeWatch(archive.engine)
    first, second = ids["新抚区2023年政府信息公开工作年度报告"], ids["大安市2019年政府信息公开工作年度报告"]

    def follow(watch: ChangeWatch) -> frozenset[int]:
        with archive.engine.connect() as conn:
            changes = watch.pending(conn)
            watch.read()
            return frozenset() if changes is None else changes.reports

    follow(ahead), follow(behind)  # both at the same position
    archive.add_text_version(first, "新抚区2023年报（修订）", "b" * 64, {})
    assert first in follow(ahead)
    archive.add_text_version(second, "大安市2019年报（修订）", "c" * 64, {})
    assert second in follow(ahead)
    assert {first, second} <= follow(behind)


class _Cycle:
    """An object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.mark.parametrize("write", ["a report's tables", "a portal without reports"])
def test_an_update_collects_the_garbage_it_would_freeze(sqlite_url: str, write: str) -> None:
    """An update from the journal collects the young generations' cycles before it makes its new parts, then
    freezes what lives: garbage made before it is freed, not frozen for good (with the collector off meanwhile,
    so that only the index's own collection can free it). Also when the journal names no report the index holds."""
    archive, _ = load(sqlite_url)
    facets = facet_index(archive.engine)
    with archive.engine.connect() as conn:
        facets.refresh(conn)
    if write == "a report's tables":
        archive.record_statistics(hashlib.sha256(SAMPLES[0].body.encode()).hexdigest(), {"format": "2021"}, [])
    else:
        archive.add_portal(PortalSpec(name="fusong", homepage="http://fusong.test/", region="吉林省白山市抚松县",
                                      level="county"))
    gc.disable()
    try:
        garbage = weakref.ref(_Cycle())
        with archive.engine.connect() as conn:
            facets.refresh(conn)
        assert facets.stats["journal"] == 1
        assert garbage() is None
    finally:
        gc.enable()
        gc.unfreeze()
