"""PostgreSQL's migration 0014: the exact gram index answers 2- and 3-character terms without reading a text (and
every term as the oracle does, also on an archive upgraded to it), and the facet index's change marker moves
with every committed write to this archive's tracked tables, but not with other writes on the same server."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, insert, inspect, text

from storage import Archive
from storage.archive.changes import change_marker
from storage.models import Report
from tests.support.commands import PG_URL
from tests.support.migrations import migrate, revision_before
from tests.support.plans import plan as _plan
from tests.support.sample_archive import load
from tests.support.search_oracle import CASES, assert_pages_match, oracle


def test_an_upgraded_archive_answers_from_the_gram_index(pg_url: str) -> None:
    """Reports stored before 0014 are indexed by it; then every case matches the oracle, and a 2- or 3-character
    term is answered by the index alone (no text filter, nothing rechecked), a longer one checks its candidates."""
    archive, ids = load(pg_url)
    migrate(archive, revision_before("0014"))
    assert "archive_change" not in inspect(archive.engine).get_table_names()
    migrate(archive, "heads")
    upgraded = Archive(pg_url)  # a new Query looks for the index again
    titles = {v: k for k, v in ids.items()}
    for query, filters, sort in CASES:
        assert [titles[h.id] for h in upgraded.search(query, sort=sort, limit=50, **filters)] == oracle(
            query, filters, sort)
    assert_pages_match(upgraded, ids)
    for term in ("街道", "公开", "依申请", "abc"):
        plan = _plan(upgraded.engine, term)
        assert "ix_report_grams" in plan and "Filter" not in plan and "Removed by Index Recheck" not in plan, plan
    plan = _plan(upgraded.engine, "政府信息公开工作")  # longer than the long grams (0020): the candidates' texts
    assert "ix_report_grams" in plan and "strpos" in plan, plan  # are checked


def test_change_marker_moves_with_commits_to_this_archive_only(pg_url: str) -> None:
    archive, ids = load(pg_url)
    other = create_engine(PG_URL)  # another database on the same server
    some = min(ids.values())
    writes = [
        insert(Report).values(content_sha256="f" * 64, body="后来", title="后来"),
        text(f"UPDATE sighting SET http_status = 200 WHERE report_id = {some}"),
        text("UPDATE portal SET level = level"),
        text(f"DELETE FROM attachment WHERE report_id = {some}"),
        text(f"DELETE FROM report_statistics WHERE report_id = {some}"),
    ]
    try:
        with archive.engine.connect() as reader, archive.engine.connect() as writer:
            def marker() -> object:
                value = change_marker(reader, None)
                reader.rollback()
                return value

            before = marker()
            with other.begin() as conn:
                conn.exec_driver_sql("CREATE TEMP TABLE elsewhere (n int)")
                conn.exec_driver_sql("INSERT INTO elsewhere VALUES (1)")
            with writer.begin():
                writer.exec_driver_sql("UPDATE crawl_run SET stats = stats")  # not read by the facet index
            assert marker() == before
            for statement in writes:
                transaction = writer.begin()
                writer.execute(statement)
                assert marker() == before, statement  # not yet committed
                transaction.commit()
                assert marker() != before, statement
                before = marker()
    finally:
        other.dispose()


@pytest.mark.parametrize("term", ["Ωmega", "ΩM", "ωme"])
def test_grams_ignore_case_as_ilike_does(pg_url: str, term: str) -> None:
    """The index holds lower-cased grams: a cased term finds the same reports through it as ILIKE does."""
    archive, _ = load(pg_url)
    with archive.engine.begin() as conn:
        conn.execute(insert(Report), [{"content_sha256": "c" * 64, "body": "希腊字母ΩMEGA", "title": None},
                                      {"content_sha256": "d" * 64, "body": "x", "title": "ωmega"}])
        expected = conn.execute(text("SELECT count(*) FROM report WHERE body ILIKE :p OR title ILIKE :p"),
                                {"p": f"%{term}%"}).scalar()
    assert archive.query.count(term) == expected == 2
