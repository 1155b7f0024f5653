"""The term cache (storage.archive.termcache) answers a kept term's next pages as a fresh lookup would, through
every write that can change which reports hold it: checked on both backends against the text indexes themselves,
after writes by the archive and by plain SQL through another engine (migration 0018 journals a changed text)."""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Callable, Sequence

import pytest
from sqlalchemy import Engine, create_engine, event, select, text

from storage import Archive, ReportRecord
from storage.archive.query import FEW_IDS, Filters, Query, parse_terms
from storage.archive.rows import read_ids
from storage.archive.termcache import LOAD_RECHECK_AT_MOST, REFRESH_RECHECK_AT_MOST, TermCache, term_cache
from storage.bigrams import register
from storage.models import KeptLookup, Report
from tests.support.sample_archive import load

# common in the samples, one with two terms, one of two characters (the bigram index, PostgreSQL's exact grams)
TERMS = ("政府信息公开", "依申请公开 年度报告", "公开", "长白朝鲜族自治县")
FILTERS = (Filters(), Filters(year=2023), Filters(region="22"), Filters(year=2023, region="22"))


def _fresh(archive: Archive, query: str, filters: Filters) -> list[int]:
    """The matching ids from the archive's indexes and rows in one query, the cache not asked."""
    search = Query(archive.engine)
    terms = parse_terms(query)
    with archive.engine.connect() as conn:
        if not filters:  # the text indexes' own answer
            return sorted(read_ids(conn, search._direct(terms)))
        return sorted(read_ids(conn, select(Report.id).where(*search.conditions(terms, filters))))


def _answers(archive: Archive) -> dict[tuple[str, Filters], tuple[int, list[int]]]:
    """Every term with every filter: the page's total, and the ids its matching list holds."""
    search = Query(archive.engine)
    out = {}
    for query in TERMS:
        terms = parse_terms(query)
        for filters in FILTERS:
            with archive.engine.connect() as conn:
                ids = search.matching_list(conn, terms, filters, search.conditions(terms, filters))
            out[query, filters] = (search.page(query, filters, facets=True).total, sorted(ids))
    return out


def _other(url: str) -> Engine:
    other = create_engine(url)  # another connection pool, as a crawl in another process writes
    if other.dialect.name == "sqlite":  # with the bigram index's function, as every connection of ours has
        event.listen(other, "connect", lambda connection, _record: register(connection))
    return other


def _writes(archive: Archive, other: Engine, ids: dict[str, int]) -> list[tuple[str, Callable[[], object]]]:
    def sql(statement: str) -> Callable[[], object]:
        def run() -> None:
            with other.begin() as conn:
                conn.execute(text(statement))
        return run

    daan, changbai = ids["大安市2019年政府信息公开工作年度报告"], ids["长白县2023年政府信息公开工作年度报告"]
    return [
        ("a report stored that holds the terms", lambda: archive.record(ReportRecord(
            url="http://www.changbai.nianbao.test/2025/9.html", content_sha256="9" * 64, portal="changbai",
            body="长白朝鲜族自治县2024年政府信息公开工作年度报告。依申请公开0件。", title="长白县2024年年度报告",
            organ="长白朝鲜族自治县人民政府", report_year=2023, published=dt.date(2025, 3, 1)))),
        ("an edited text without the terms", lambda: archive.add_text_version(
            ids["新抚区2023年政府信息公开工作年度报告"], "新抚区2023年报（修订）：无内容", "b" * 64, {})),
        ("a body rewritten by hand", sql(f"UPDATE report SET body = '已撤回', title = '已撤回' WHERE id = {daan}")),
        ("a title rewritten by hand", sql(f"UPDATE report SET title = '长白朝鲜族自治县政府信息公开' "
                                          f"WHERE id = {daan}")),
        ("a report deleted", sql(f"DELETE FROM report WHERE id = {changbai}")),
    ]


@pytest.mark.parametrize("few", [FEW_IDS, 0], ids=["filters-asked-of-the-terms-reports", "filters-read-apart"])
def test_kept_terms_follow_every_write_as_a_fresh_lookup(db_url: str, few: int, monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.setattr("storage.archive.query.FEW_IDS", few)
    archive, ids = load(db_url)
    cache = term_cache(archive.engine)
    cache.least = 1  # keep every lookup: the samples are few
    other = _other(db_url)
    _answers(archive)
    assert cache.stats["kept"] == len(TERMS)
    for what, write in _writes(archive, other, ids):
        misses = cache.stats["miss"]
        write()
        answers = _answers(archive)
        assert cache.stats["miss"] == misses, what  # answered from the kept entries, rechecked
        for (query, filters), (total, matching) in answers.items():
            assert matching == _fresh(archive, query, filters), (what, query, filters)
            assert total == len(matching), (what, query, filters)
    assert cache.stats["rechecked"] == len(_writes(archive, other, ids))
    assert not cache.stats["emptied"]
    other.dispose()


def test_the_cache_keeps_only_large_answers_and_the_most_recent(sqlite_url: str) -> None:
    archive, _ = load(sqlite_url)
    cache = term_cache(archive.engine)
    cache.least, cache.entries = 3, 2
    search = Query(archive.engine)
    assert search.count("长白朝鲜族自治县") < 3 and cache.stats["kept"] == 0  # fewer than least: not kept
    for query in ("政府信息公开", "公开", "依申请公开"):
        assert search.count(query) >= 3
    assert cache.stats["kept"] == 3 and cache.stats["dropped"] == 1
    hits = cache.stats["hit"]
    search.count("依申请公开")
    search.count("公开")
    assert cache.stats["hit"] == hits + 2
    search.count("政府信息公开")  # pushed out first, as the least recently used
    assert cache.stats["hit"] == hits + 2


def test_a_filter_on_the_report_narrows_postgresqls_texts_unless_the_term_is_kept(db_url: str) -> None:
    """With a year, PostgreSQL checks the texts of that year's candidates in one query (6-character terms at 100,000
    reports: 79 ms p95 against 244 looking the term up in every report first); once the term is kept, its ids are
    intersected with the year's. SQLite's FTS5 answer costs the same either way: it looks the term up and keeps it."""
    archive, _ = load(db_url)
    cache = term_cache(archive.engine)
    cache.least = 1
    search = Query(archive.engine)
    postgresql = archive.engine.dialect.name == "postgresql"
    assert search.count("政府信息公开", Filters(year=2023)) == len(_fresh(archive, "政府信息公开", Filters(year=2023)))
    assert cache.stats["kept"] == (0 if postgresql else 1)
    search.count("政府信息公开")
    hits = cache.stats["hit"]
    assert search.count("政府信息公开", Filters(year=2023)) == len(_fresh(archive, "政府信息公开", Filters(year=2023)))
    assert cache.stats["hit"] == hits + 1 and cache.stats["kept"] == 1


def test_many_changes_or_a_truncate_empty_the_cache(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    archive, ids = load(db_url)
    cache = term_cache(archive.engine)
    cache.least = 1
    search = Query(archive.engine)
    before = search.count("政府信息公开")
    monkeypatch.setattr("storage.archive.termcache.RECHECK_AT_MOST", 1)
    with archive.engine.begin() as conn:  # two reports' texts at once: more than is rechecked
        conn.execute(text("UPDATE report SET body = '无', title = '无' WHERE id IN (:a, :b)"),
                     {"a": ids["新抚区2017年政府信息公开工作年度报告"],
                      "b": ids["新抚区2023年政府信息公开工作年度报告"]})
    assert search.count("政府信息公开") == before - 2 and cache.stats["emptied"] == 1
    if archive.engine.dialect.name == "postgresql":
        with archive.engine.begin() as conn:
            conn.execute(text("TRUNCATE report CASCADE"))
        assert search.count("政府信息公开") == 0 and cache.stats["emptied"] == 2


def test_a_lookup_that_ran_while_another_page_read_the_journal_is_rechecked(db_url: str) -> None:
    """A page's lookup runs outside the cache's lock. A report stored while it ran, and read from the journal by
    another page before the lookup was kept, would be missing from the kept entry forever; it is rechecked."""
    archive, _ = load(db_url)
    cache = TermCache(archive.engine, least=1)
    search = Query(archive.engine)

    def recheck(kept: Sequence[tuple[str, ...]], part: list[int]) -> dict[tuple[str, ...], set[int]]:
        with archive.engine.connect() as conn:
            rows = conn.execute(select(Report.id, *(search._text_condition(t, rows=True) for t in kept))
                                .where(Report.id.in_(part))).all()
        return {t: {r[0] for r in rows if r[n]} for n, t in enumerate(kept, 1)}

    with archive.engine.connect() as conn:
        def lookup() -> list[int]:  # as Query's: on the page's connection, its transaction ended after
            found = read_ids(conn, search._direct(["依申请公开"]))
            conn.rollback()
            archive.record(ReportRecord(url="http://www.daan.nianbao.test/2025/8.html", content_sha256="8" * 64,
                                        body="大安市依申请公开", title="大安市", portal="daan"))
            with archive.engine.connect() as other:  # another page, another term: it reads the journal now
                cache.ids(other, ["公开"], recheck, lambda: [])
            return found

        cache.ids(conn, ["其他"], recheck, lambda: [])  # the journal read once: the cache has a place in it
        cache.ids(conn, ["依申请公开"], recheck, lookup)
        assert cache.stats["late"] == 1
        assert sorted(cache.ids(conn, ["依申请公开"], recheck, lookup)) == _fresh(archive, "依申请公开", Filters())
    assert cache.stats["hit"] == 1


def _stored(engine: Engine) -> dict[tuple[str, ...], list[int]]:
    """The stored lookups as another process reads them: ids and terms from the rows themselves."""
    with engine.connect() as conn:
        rows = conn.execute(select(KeptLookup.terms, KeptLookup.ids)).all()
    return {tuple(terms.split("\n")): sorted(array("i", ids)) for terms, ids in rows}  # little-endian here


@pytest.mark.parametrize("load_at_most", [LOAD_RECHECK_AT_MOST, 0], ids=["rows-rechecked", "rows-too-far-behind"])
def test_another_process_reads_the_stored_lookups_exact_through_every_write(
        db_url: str, load_at_most: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each write, then a process that never looked the terms up (an engine, so a term cache, of its own): it reads
    the rows the first one stored and checks the reports journaled since; a row more than ``LOAD_RECHECK_AT_MOST``
    reports behind is looked up afresh (and stored again). Either way its answers are the text indexes' own."""
    monkeypatch.setattr("storage.archive.termcache.LOAD_RECHECK_AT_MOST", load_at_most)
    archive, ids = load(db_url)
    term_cache(archive.engine).least = 1
    other = _other(db_url)
    _answers(archive)
    assert term_cache(archive.engine).stats["stored"] == len(TERMS)
    assert set(_stored(archive.engine)) == {tuple(sorted(set(parse_terms(t)))) for t in TERMS}
    for what, write in _writes(archive, other, ids):
        write()
        reader = _other(db_url)
        cache = term_cache(reader)
        cache.least = 1
        search = Query(reader)
        for query in TERMS:
            terms = parse_terms(query)
            with reader.connect() as conn:
                found = sorted(search.matching_list(conn, terms, Filters(), search.conditions(terms, Filters())))
            assert found == _fresh(archive, query, Filters()), (what, query)
        if load_at_most:
            assert (cache.stats["loaded"], cache.stats["stored"]) == (len(TERMS), 0), what
        else:  # every write journals a report: every row is behind, and each term is looked up afresh
            assert cache.stats["stale"] == len(TERMS) and not cache.stats["loaded"], what
        reader.dispose()
    other.dispose()


@pytest.mark.parametrize("refresh_at_most", [REFRESH_RECHECK_AT_MOST, 0], ids=["rechecked", "looked-up-again"])
def test_refresh_brings_every_stored_lookup_to_the_present(db_url: str, refresh_at_most: int,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """What a crawl's end does: after the writes, every row holds the text indexes' answer and stands at the
    journal's present, so that a process reads it with nothing left to check (SQLite: ``LOAD_RECHECK_AT_MOST`` = 0)."""
    monkeypatch.setattr("storage.archive.termcache.REFRESH_RECHECK_AT_MOST", refresh_at_most)
    archive, ids = load(db_url)
    term_cache(archive.engine).least = 1
    other = _other(db_url)
    _answers(archive)
    for _, write in _writes(archive, other, ids):
        write()
    done = Query(archive.engine).refresh_kept()
    assert done == ({"rechecked": len(TERMS)} if refresh_at_most else {"looked_up": len(TERMS)})
    assert _stored(archive.engine) == {tuple(sorted(set(parse_terms(t)))): _fresh(archive, t, Filters())
                                       for t in TERMS}
    sqlite = archive.engine.dialect.name == "sqlite"
    if sqlite:  # PostgreSQL's position is the oldest transaction running in the whole cluster (another test's, a
        # benchmark's): the rows may be read again from before it, never from after
        monkeypatch.setattr("storage.archive.termcache.LOAD_RECHECK_AT_MOST", 0)
    reader = _other(db_url)
    search = Query(reader)
    for query in TERMS:
        assert search.count(query) == len(_fresh(archive, query, Filters()))
    assert term_cache(reader).stats["loaded"] == len(TERMS) and not term_cache(reader).stats["stale"]
    assert not sqlite or Query(archive.engine).refresh_kept() == {}  # nothing written since: nothing to do
    reader.dispose()
    other.dispose()


def test_a_truncate_leaves_no_stored_lookup_answering(pg_url: str) -> None:
    archive, _ = load(pg_url)
    term_cache(archive.engine).least = 1
    _answers(archive)
    with archive.engine.begin() as conn:
        conn.execute(text("TRUNCATE report CASCADE"))
    reader = _other(pg_url)
    assert Query(reader).count("政府信息公开") == 0 and term_cache(reader).stats["stale"] == 1
    assert Query(archive.engine).refresh_kept() == {"looked_up": len(TERMS)}
    assert set(map(len, _stored(archive.engine).values())) == {0}
    reader.dispose()


def test_a_lookup_that_cannot_be_stored_still_answers(sqlite_url: str) -> None:
    """A read-only database user, or a write lock held too long: the page is served, the row is not written."""
    archive, _ = load(sqlite_url)
    cache = term_cache(archive.engine)
    cache.least = 1
    with archive.engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER no_store BEFORE INSERT ON kept_lookup BEGIN SELECT RAISE(ABORT, 'read "
                          "only'); END"))
    assert Query(archive.engine).count("政府信息公开") == len(_fresh(archive, "政府信息公开", Filters()))
    assert (cache.stats["kept"], cache.stats["stored"], cache.stats["unstored"]) == (1, 0, 1)
    assert _stored(archive.engine) == {}


def test_a_damaged_row_is_looked_up_afresh_and_written_again(db_url: str) -> None:
    """A stored row cut short (a bad copy, a hand edit) never answers: the page looks the term up, as the refresh at a
    crawl's end does, and the row is written again whole."""
    archive, _ = load(db_url)
    term_cache(archive.engine).least = 1
    Query(archive.engine).count("政府信息公开")
    with archive.engine.begin() as conn:
        conn.execute(KeptLookup.__table__.update().values(ids=b"\x01\x02\x03"))
    reader = _other(db_url)
    term_cache(reader).least = 1
    assert Query(reader).count("政府信息公开") == len(_fresh(archive, "政府信息公开", Filters()))
    assert (term_cache(reader).stats["unreadable"], term_cache(reader).stats["stored"]) == (1, 1)
    assert _stored(archive.engine) == {("政府信息公开",): _fresh(archive, "政府信息公开", Filters())}
    with archive.engine.begin() as conn:
        conn.execute(KeptLookup.__table__.update().values(reports=KeptLookup.reports + 1))
    assert Query(archive.engine).refresh_kept() == {"looked_up": 1}
    assert _stored(archive.engine) == {("政府信息公开",): _fresh(archive, "政府信息公开", Filters())}
    reader.dispose()
