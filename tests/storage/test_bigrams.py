"""SQLite's bigram index (migration 0013) answers 1- and 2-character terms exactly as the ``LIKE`` scan it replaces:
the same reports, totals and facets for texts full of case pairs, full-width forms, quotes and wildcards; it
follows every insert, edit and delete; and the migration indexes an archive that already holds reports."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select, text

from storage import Archive, ReportRecord
from storage.archive.query import Filters, Query
from storage.models import Report
from storage.session import dispose_engine
from tests.support.migrations import migrate, revision_before

# ASCII and other case pairs (SQLite's LIKE folds only the former), letters whose case maps are not one-to-one
# (ς, ſ, K Kelvin sign, İ), full-width forms and their folds, quotes, LIKE wildcards, escapes, space kinds,
# and words whose NFKC fold differs in length from the typed form (㍻ → 平成, ㍿ → 株式会社)
PIECES = [*"aAbBzZéÉΣσςΩωⅡⅱKkſsSİi\"'%_\\公开年２2ＡａＢ\u3000", "株式会社", "平成", "II", " "]
FIXED_TERMS = ["２", "Ａ", "ＡＢ", "ａb", "ⅱ", "Ⅱ", "㍻", "㍿", '"', '"\'', "%", "_", "\\", "%_", "公 a", "a 公 Σ",
               "株式会社", "Σσ", "K", "İ", "ſ", "开\u3000"]


def _texts(rng: random.Random) -> list[tuple[str, str]]:
    return [("".join(rng.choices(PIECES, k=rng.randint(0, 6))), "".join(rng.choices(PIECES, k=rng.randint(0, 30))))
            for _ in range(80)]


def _terms(rng: random.Random, texts: list[tuple[str, str]]) -> list[str]:
    chars = sorted(c for c in {c for piece in PIECES for c in piece} if not c.isspace())
    pairs = {body[i:i + 2] for _, body in texts for i in range(len(body) - 1)}
    pairs = {p for p in pairs if not any(c.isspace() for c in p)}  # a query splits on whitespace
    return chars + rng.sample(sorted(pairs), 60) + ["".join(rng.choices(chars, k=2)) for _ in range(60)] + FIXED_TERMS


def _answers(engine: Engine, terms: list[str]) -> dict[str, Any]:
    """Per term: every matching id in order, the true total and all facets (``Query.page``, as the web page)."""
    query = Query(engine)
    out = {}
    for term in terms:
        page = query.page(term, Filters(), sort="id", limit=1000, facets=True)
        out[term] = ([h.id for h in page.hits], page.total, page.facets)
    return out


def _condition(engine: Engine, term: str) -> str:
    return str(Query(engine).conditions([term], Filters())[0].compile())


def _store(archive: Archive, texts: list[tuple[str, str]]) -> None:
    for i, (title, body) in enumerate(texts):
        archive.record(ReportRecord(url=f"http://x.nianbao.test/{i}.html", body=body, title=title or None,
                                    content_sha256=hashlib.sha256(f"{i}{title}{body}".encode()).hexdigest()))


def test_short_terms_answer_as_the_like_scan_and_the_migration_indexes_an_existing_archive(sqlite_url: str) -> None:
    rng = random.Random(14)
    texts = _texts(rng)
    archive = Archive(sqlite_url)
    _store(archive, texts)
    terms = _terms(rng, texts)
    assert "report_bigram" in _condition(archive.engine, "公开")  # a 2-character term is a token lookup
    indexed = _answers(archive.engine, terms)
    assert sum(total > 0 for _, total, _ in indexed.values()) > len(terms) // 2  # most terms find something

    migrate(archive, revision_before("0013"))  # back to the LIKE scan, on the very same reports
    dispose_engine(sqlite_url)
    plain = create_engine(sqlite_url)  # not Archive(), which would upgrade the archive again
    try:
        assert "LIKE" in _condition(plain, "公开")
        scanned = _answers(plain, terms)
    finally:
        plain.dispose()
    for term in terms:
        assert indexed[term] == scanned[term], term

    archive = Archive(sqlite_url)  # upgraded again: 0013 indexes the reports it finds
    assert _answers(archive.engine, terms) == scanned


def test_the_index_follows_edits_and_deletes(sqlite_url: str) -> None:
    archive = Archive(sqlite_url)
    _store(archive, [("标题", "甲乙丙"), ("其他", "丁戊")])
    ids = [h.id for h in archive.search(None, sort="id", limit=10)]

    def found(term: str) -> list[int]:
        return [h.id for h in archive.search(term, sort="id", limit=10)]

    assert (found("乙"), found("乙丙"), found("标"), found("题甲")) == ([ids[0]], [ids[0]], [ids[0]], [])
    with archive.engine.begin() as conn:
        conn.execute(text("UPDATE report SET body = '己庚' WHERE id = :id"), {"id": ids[0]})
        conn.execute(text("UPDATE report SET organ = '乙丙' WHERE id = :id"), {"id": ids[1]})  # not indexed text
    assert (found("乙"), found("己庚"), found("标题")) == ([], [ids[0]], [ids[0]])
    with archive.engine.begin() as conn:
        conn.execute(text("DELETE FROM report WHERE id = :id"), {"id": ids[0]})
    assert (found("己"), found("标"), found("丁")) == ([], [], [ids[1]])


def test_a_connection_without_the_function_cannot_change_indexed_text(sqlite_url: str, tmp_path: Path) -> None:
    """A plain ``sqlite3`` shell reads the archive but fails loudly on a write the index would miss."""
    archive = Archive(sqlite_url)
    _store(archive, [("标题", "甲乙丙")])
    plain = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    try:
        assert plain.execute("SELECT count(*) FROM report").fetchone() == (1,)
        with pytest.raises(sqlite3.OperationalError, match="nianbao_bigrams"):
            plain.execute("UPDATE report SET body = '丁'")
    finally:
        plain.close()
    assert [h.title for h in archive.search("乙丙")] == ["标题"]


def test_pages_picked_in_memory_are_the_sql_order_for_few_and_many_matches(sqlite_url: str) -> None:
    """A page with facets is picked from the facet index's sort orders: by walking the order when many reports
    match, by sorting the matches' positions when few do (under 1 in 16). Both equal the SQL search's order, for
    every sort and a few offsets, with undated reports and tied dates among them."""
    archive = Archive(sqlite_url)
    rng = random.Random(3)
    for i in range(80):
        body = "常见" + ("罕见" if i % 20 == 7 else "") + str(i)
        published = None if i % 9 == 0 else dt.date(2020, 1 + i % 3, 1 + i % 5)
        archive.record(ReportRecord(url=f"http://x.nianbao.test/{i}.html", body=body, published=published,
                                    report_year=rng.choice((None, 2019, 2020)),
                                    content_sha256=hashlib.sha256(body.encode()).hexdigest()))
    for term in ("罕见", "常见", "见7"):
        for sort in ("newest", "oldest", "year", "id"):
            expected = [h.id for h in archive.search(term, sort=sort, limit=100)]
            for offset in (0, 1, 3):
                page = archive.query.page(term, Filters(), sort=sort, limit=2, offset=offset, facets=True)
                assert [h.id for h in page.hits] == expected[offset:offset + 2], (term, sort, offset)
                assert page.total == len(expected)


def test_the_term_caches_row_test_finds_what_the_indexes_find(sqlite_url: str) -> None:
    """The term cache checks a few journaled reports again with ``_text_condition(rows=True)``: a substring test of
    the rows' texts for terms without cased letters, the index asked per row for the others. On texts full of
    letters whose case the trigram index folds and ``LIKE`` does not (ς, ſ, the Kelvin sign, İ), both answer as the
    indexes' own lookup, for short terms and for trigram terms."""
    rng = random.Random(15)
    texts = _texts(rng)
    archive = Archive(sqlite_url)
    _store(archive, texts)
    triples = {body[i:i + 3] for _, body in texts for i in range(len(body) - 2)}
    terms = _terms(rng, texts) + rng.sample(sorted(t for t in triples if not any(c.isspace() for c in t)), 80)
    query = Query(archive.engine)
    checked = 0
    with archive.engine.connect() as conn:
        every = list(conn.scalars(text("SELECT id FROM report")))
        for term in terms:
            direct = query._direct([term])
            if direct is None:  # the scan's own condition: nothing to compare
                continue
            held = {row[0] for row in conn.execute(select(Report.id).where(
                Report.id.in_(every), query._text_condition([term], rows=True)))}
            assert held == set(conn.scalars(direct)), term
            checked += 1
    assert checked > len(terms) * 3 // 4
