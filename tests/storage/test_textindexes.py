"""A search's text indexes are read from the catalog once per schema revision, and again after a migration."""

from __future__ import annotations

from sqlalchemy import event

from storage.archive.query import Query
from tests.support.migrations import migrate, revision_before
from tests.support.sample_archive import load

_CATALOG = ("pg_catalog", "sqlite_master", "PRAGMA")


def test_the_catalog_is_read_once_per_schema_revision(db_url: str) -> None:
    """A second Query of the same engine asks only for the revision (on PostgreSQL four catalog queries were 4.4 ms
    of every page); after a migration its answer follows the schema, downgraded and upgraded again."""
    archive, _ = load(db_url)
    sqlite = archive.engine.dialect.name == "sqlite"

    def newest_index() -> bool:  # the bigram index (0013) on SQLite, the texts' pieces (0015) on PostgreSQL
        query = Query(archive.engine)
        return query._bigrams if sqlite else query._chunks

    assert newest_index()
    statements: list[str] = []
    event.listen(archive.engine, "before_cursor_execute", lambda _c, _cur, sql, *_: statements.append(sql))
    assert newest_index()
    assert statements and not [sql for sql in statements if any(word in sql for word in _CATALOG)], statements
    migrate(archive, revision_before("0013" if sqlite else "0015"))
    assert not newest_index()
    migrate(archive, "heads")
    assert newest_index()
