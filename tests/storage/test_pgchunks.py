"""PostgreSQL's migration 0015: long terms are checked in the texts' lower-cased pieces (``report_chunk``), which
must find exactly what a substring test of the whole text finds: across the pieces' boundaries, in titles, ignoring
case, after edits and deletions, and on an archive upgraded to it."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import delete, insert, inspect, text, update

from storage import Archive, ReportRecord
from storage.archive.pggrams import CHUNK_MAX_CHARS, forbid_row_plans, matching_ids, title_first_ids
from storage.archive.query import Filters
from storage.models import Report
from tests.support.migrations import migrate, revision_before
from tests.support.plans import plan as _plan
from tests.support.sample_archive import load
from tests.support.search_oracle import assert_pages_match

STRIDE = 600  # the migration's: a piece starts every 600 characters


def _expected(archive: Archive, term: str) -> int:
    """What ILIKE finds in the whole texts."""
    with archive.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM report WHERE body ILIKE :p OR title ILIKE :p"),
                            {"p": f"%{term}%"}).scalar_one()


def _ilike_ids(archive: Archive, *terms: str) -> set[int]:
    where = " AND ".join(f"(body ILIKE :p{i} OR title ILIKE :p{i})" for i in range(len(terms)))
    with archive.engine.connect() as conn:
        return set(conn.execute(text(f"SELECT id FROM report WHERE {where}"),
                                {f"p{i}": f"%{t}%" for i, t in enumerate(terms)}).scalars())


def test_an_upgraded_archive_checks_long_terms_in_pieces(pg_url: str) -> None:
    """Reports stored before 0015 get their pieces; every case still matches the oracle, and a term of 7+
    characters (4+ before 0020's long grams) is checked in the pieces, not in the compressed bodies."""
    archive, ids = load(pg_url)
    migrate(archive, revision_before("0015"))
    assert "report_chunk" not in inspect(archive.engine).get_table_names()
    migrate(archive, "heads")
    upgraded = Archive(pg_url)
    assert_pages_match(upgraded, ids)
    plan = _plan(upgraded.engine, "政府信息公开工作")  # longer than 0020's long grams
    assert "ix_report_grams" in plan and "report_chunk" in plan, plan
    assert "strpos(report.body" not in plan and "strpos(lower(report.body)" not in plan, plan
    plan = _plan(upgraded.engine, "依" * (CHUNK_MAX_CHARS + 1))  # too long for one piece: the whole text
    assert "report_chunk" not in plan and "strpos" in plan, plan
    ids = matching_ids(["依申请公开", "公开"])  # without filters: from the indexes, no row of report for the long one
    assert ids is not None
    with upgraded.engine.begin() as conn:
        forbid_row_plans(conn)
        sql = str(ids.compile(upgraded.engine, compile_kwargs={"literal_binds": True}))
        plan = "\n".join(conn.exec_driver_sql(f"EXPLAIN (COSTS OFF) {sql}").scalars())
        found = {r for (r,) in conn.exec_driver_sql(sql)}
    assert found == _ilike_ids(upgraded, "依申请公开", "公开") and found
    assert "ix_report_chunk_trigrams" in plan and "ix_report_grams" in plan and "Filter: (strpos(text" in plan, plan
    assert matching_ids(["依"]) is None and matching_ids(["依" * (CHUNK_MAX_CHARS + 1)]) is None


def test_pieces_find_every_term_a_whole_text_holds(pg_url: str) -> None:
    """Texts over a 3-letter alphabet hold nearly every short string somewhere; terms cut at and around the pieces'
    boundaries (up to the longest a piece guarantees, and one longer), and random ones, count as ILIKE counts."""
    archive, _ = load(pg_url)
    rng = random.Random(15)
    bodies = ["".join(rng.choice("甲乙丙") for _ in range(2_500)) for _ in range(3)]
    with archive.engine.begin() as conn:
        conn.execute(insert(Report), [{"content_sha256": f"{i:064x}", "body": b, "title": None}
                                      for i, b in enumerate(bodies)])
    terms = {bodies[0][p:p + m] for p in (0, STRIDE - CHUNK_MAX_CHARS, STRIDE - 1, STRIDE, 2 * STRIDE - 1, 2_480)
             for m in (4, CHUNK_MAX_CHARS - 1, CHUNK_MAX_CHARS, CHUNK_MAX_CHARS + 1)}
    terms |= {"".join(rng.choice("甲乙丙") for _ in range(rng.choice((8, 12, 20)))) for _ in range(20)}
    for term in sorted(terms):
        expected = sum(term in b for b in bodies)
        filtered = archive.query.count(term, Filters(has_attachment=False))  # each candidate's pieces
        unfiltered = archive.query.count(term)  # the pieces holding the term's trigrams (pggrams.matching_ids)
        assert unfiltered == filtered == expected == _expected(archive, term), term


def test_pieces_follow_titles_case_edits_and_deletions(pg_url: str) -> None:
    archive, _ = load(pg_url)
    straddling = "x" * (STRIDE - 3) + "希腊字母ΩMEGA在边界上" + "y" * 50
    with archive.engine.begin() as conn:
        rid = conn.execute(insert(Report).values(content_sha256="e" * 64, body=straddling,
                                                 title="只在标题里的词组").returning(Report.id)).scalar_one()
    for term in ("字母ωmega在", "ΩMEGA在边界", "只在标题里"):
        assert archive.query.count(term) == _expected(archive, term) == 1, term
    with archive.engine.begin() as conn:
        conn.execute(update(Report).where(Report.id == rid).values(body="改写以后的正文内容", title="新的标题文字"))
    assert [archive.query.count(t) for t in ("ΩMEGA在边界", "只在标题里", "改写以后", "新的标题")] == [0, 0, 1, 1]
    with archive.engine.begin() as conn:
        conn.execute(delete(Report).where(Report.id == rid))
        assert conn.execute(text("SELECT count(*) FROM report_chunk WHERE report_id = :r"), {"r": rid}).scalar() == 0


@pytest.mark.parametrize("body", ["", "短"])
def test_empty_and_short_texts_have_sensible_pieces(pg_url: str, body: str) -> None:
    archive, _ = load(pg_url)
    with archive.engine.begin() as conn:
        rid = conn.execute(insert(Report).values(content_sha256="a" * 64, body=body, title=None)
                           .returning(Report.id)).scalar_one()
        pieces = conn.execute(text("SELECT text FROM report_chunk WHERE report_id = :r ORDER BY seq"),
                              {"r": rid}).scalars().all()
    assert pieces == ([body] if body else [])


def test_a_term_most_titles_hold_is_read_from_the_titles_first(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """政府信息公开工作年度报告 is in every title: its lookup splits the reports by their titles and checks only the
    rest's pieces. The same reports as ILIKE over the whole texts, whatever the case, with a term in the title
    alone, in the body alone, or with no title at all."""
    archive, _ = load(pg_url)
    for n, (title, body) in enumerate([("NIANBAO 2023年报", "正文"), ("年报", "正文 nianbao"),
                                       (None, "Nianbao 正文"), ("年报", "正文")]):
        archive.record(ReportRecord(url=f"http://t.nianbao.test/{n}.html", content_sha256=f"{n}" * 64, body=body,
                                    title=title))
    terms = ("政府信息公开", "政府信息公开工作年度报告", "nianbao", "依申请公开")
    with archive.engine.connect() as conn:
        assert title_first_ids(conn, ["政府信息公开"]) is not None  # most of the sample's titles hold it
        assert title_first_ids(conn, ["nianbao"]) is None  # few titles do: the pieces' index, as before
        assert title_first_ids(conn, ["公开"]) is None and title_first_ids(conn, ["政府信息公开", "年报"]) is None
        monkeypatch.setattr("storage.archive.pggrams.TITLE_SHARE", 0)  # every long term from the titles first
        for term in terms:
            found = title_first_ids(conn, [term])
            assert found is not None and sorted(found) == sorted(_ilike_ids(archive, term)), term
    assert len(_ilike_ids(archive, "nianbao")) == 3
