"""PostgreSQL's migration 0020: a term of 4–6 characters is answered by the index of every such string of the
texts (``ix_report_long_grams``) alone. It must find exactly what a substring test of the whole text finds, where
the terms' trigrams alone would name false candidates, without reading a text or a piece."""

from __future__ import annotations

import random

from sqlalchemy import delete, insert, inspect, text, update

from storage import Archive
from storage.archive.pggrams import LONG_MAX_CHARS, forbid_row_plans, matching_ids, title_first_ids
from storage.archive.query import Filters
from storage.models import Report
from tests.support.migrations import migrate, revision_before
from tests.support.plans import plan
from tests.support.sample_archive import load
from tests.support.search_oracle import assert_pages_match


def _ilike(archive: Archive, term: str) -> int:
    with archive.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM report WHERE body ILIKE :p OR title ILIKE :p"),
                            {"p": f"%{term}%"}).scalar_one()


def _counts(archive: Archive, term: str) -> tuple[int, int]:
    """The term's count without a filter (its ids alone) and with one."""
    return archive.query.count(term), archive.query.count(term, Filters(has_attachment=False))


def test_terms_of_two_to_six_characters_count_exactly_where_their_shorter_grams_do_not(pg_url: str) -> None:
    """Over a 3-letter alphabet every trigram is in nearly every text, so the trigrams name nearly every report; the
    long grams must still count each 4–6-character term as ILIKE does, and without a filter read no piece: the
    pieces are emptied before those counts (a filter's few reports are checked in their pieces, before). 2- and
    3-character terms too: each is asked for by the gram of its whole length alone (``nianbao_whole_gram``)."""
    archive, _ = load(pg_url)
    rng = random.Random(20)
    bodies = ["".join(rng.choice("甲乙丙") for _ in range(rng.choice((8, 40, 300)))) for _ in range(40)]
    with archive.engine.begin() as conn:
        conn.execute(insert(Report), [{"content_sha256": f"{i:064x}", "body": b, "title": None}
                                      for i, b in enumerate(bodies)])
    terms = sorted({"".join(rng.choice("甲乙丙") for _ in range(n))
                    for n in range(2, LONG_MAX_CHARS + 1) for _ in range(12)})
    expected = {term: sum(term in b for b in bodies) for term in terms}
    assert {t: archive.query.count(t, Filters(has_attachment=False)) for t in terms} == expected
    assert {t: _ilike(archive, t) for t in terms} == expected
    with archive.engine.begin() as conn:
        conn.execute(text("DELETE FROM report_chunk"))
    assert {t: archive.query.count(t) for t in terms} == expected
    trigrams_only = [(t, b) for t in terms for b in bodies
                     if len(t) > 3 and t not in b and all(t[i:i + 3] in b for i in range(len(t) - 2))]
    first_bigram_only = [(t, b) for t in terms for b in bodies if len(t) == 3 and t not in b and t[:2] in b]
    assert len(trigrams_only) > 100 and first_bigram_only  # where a test of shorter grams alone would be wrong


def test_long_grams_hold_case_titles_edges_edits_and_every_plane(pg_url: str) -> None:
    """Case is ignored as ILIKE ignores it; title and body are separate texts (no string across them); a term at
    either end of a text counts; code points beyond the BMP fit the packing; edits and deletions follow."""
    archive, _ = load(pg_url)
    with archive.engine.begin() as conn:
        rid = conn.execute(insert(Report).values(content_sha256="e" * 64, title="标题甲乙",
                                                 body="丙丁ΩMEGA𠀀𠀁𠀂𠀃尾").returning(Report.id)).scalar_one()
    held = {"标题甲乙": 1, "丙丁ωm": 1, "ωmega": 1, "mega𠀀": 1, "ΩMEGA𠀀": 1, "𠀀𠀁𠀂𠀃": 1, "𠀁𠀂𠀃尾": 1,
            "甲乙丙丁": 0, "题甲乙丙": 0, "𠀀𠀁𠀂𠀄": 0}
    assert {t: _counts(archive, t) for t in held} == {t: (n, n) for t, n in held.items()}
    assert {t: _ilike(archive, t) for t in held} == held
    with archive.engine.begin() as conn:
        conn.execute(update(Report).where(Report.id == rid).values(body="改写以后的正文"))
    assert [archive.query.count(t) for t in ("ΩMEGA𠀀", "改写以后", "以后的正文")] == [0, 1, 1]
    with archive.engine.begin() as conn:
        conn.execute(delete(Report).where(Report.id == rid))
    assert archive.query.count("改写以后") == 0


def test_an_upgraded_archive_answers_four_to_six_characters_from_the_long_grams_alone(pg_url: str) -> None:
    """Reports stored before 0020 are indexed by it; every case still matches the oracle; a 4–6-character term's
    plan uses the long grams and neither the pieces nor ``strpos``, a 7-character one the pieces as before; a
    downgrade removes the index and the search goes back to the pieces."""
    archive, ids = load(pg_url)
    migrate(archive, revision_before("0020"))
    assert "ix_report_long_grams" not in {ix["name"] for ix in inspect(archive.engine).get_indexes("report")}
    migrate(archive, "heads")
    upgraded = Archive(pg_url)
    assert_pages_match(upgraded, ids)
    for term in ("依申请公开", "年度报告", "政府信息公开"):
        shown = plan(upgraded.engine, term)
        assert "ix_report_long_grams" in shown and "report_chunk" not in shown and "strpos" not in shown, shown
    shown = plan(upgraded.engine, "政府信息公开工")
    assert "ix_report_long_grams" not in shown and "report_chunk" in shown, shown
    with upgraded.engine.connect() as conn:  # in every title, but the long grams answer: not the titles first
        assert title_first_ids(conn, ["政府信息公开"], long=True) is None
        assert title_first_ids(conn, ["政府信息公开"]) is not None
    lookup = matching_ids(["依申请公开"], long=True)
    assert lookup is not None
    with upgraded.engine.begin() as conn:
        forbid_row_plans(conn)
        sql = str(lookup.compile(upgraded.engine, compile_kwargs={"literal_binds": True}))
        assert "report_chunk" not in sql and len(set(conn.exec_driver_sql(sql).scalars())) == _ilike(
            upgraded, "依申请公开") > 0
    migrate(upgraded, revision_before("0020"))
    assert "report_chunk" in plan(upgraded.engine, "依申请公开")
