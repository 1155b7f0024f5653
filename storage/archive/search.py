"""Search, facets and export as methods of the archive; the queries themselves are in ``storage.archive.query``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine

from storage.archive.base import ArchiveBase
from storage.archive.query import Filters, Query
from storage.archive.records import SearchHit
from storage.archive.textindexes import text_indexes


def backend_warnings(engine: Engine) -> list[str]:
    """What makes search on this database slow (never wrong), worded for a user."""
    indexes = text_indexes(engine)
    if engine.dialect.name == "sqlite":
        if not indexes.fts:
            return ["this SQLite build has no FTS5 trigram tokenizer (SQLite ≥ 3.34): every search scans"]
        return []
    if engine.dialect.name != "postgresql" or indexes.grams:  # code points: no LC_CTYPE, no pg_trgm
        return []
    with engine.connect() as conn:
        ctype = conn.exec_driver_sql("SELECT datctype FROM pg_database WHERE datname = current_database()").scalar()
        has_trgm = conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").scalar()
    warnings = []
    if "utf" not in str(ctype).lower():
        warnings.append(f"the database's LC_CTYPE is {ctype!r}, not UTF-8: pg_trgm extracts no trigrams from "
                        "Chinese text, so searches scan every report (results stay correct). Recreate the "
                        "database with LC_CTYPE 'C.UTF-8' (see README).")
    if not has_trgm:
        warnings.append("the pg_trgm extension is missing: every search scans")
    return warnings


class Search(ArchiveBase):
    """Search, facets and export as methods of the archive (the work is done by :class:`Query`)."""

    def search(self, query: str | None, *, limit: int = 20, offset: int = 0, sort: str = "newest",
               **filters: Any) -> list[SearchHit]:
        """Reports whose title or text contains every whitespace-separated term, newest first.

        Keyword filters (``year``, ``region``, ``organ``, ``portal``, ``published_from``/``_to``, ``level``,
        ``has_attachment``) and sorts are those of ``storage.archive.query``, which does the work (SQLite FTS5
        trigram / PostgreSQL pg_trgm, same answers on both). ``query=None`` lists by filters only.
        """
        return self.query.search(query, Filters.of(**filters), sort=sort, limit=limit,
                                 offset=offset)

    @property
    def query(self) -> Query:
        """The ``storage.archive.query.Query`` over this archive: pages with totals, facets, streaming export."""
        return Query(self.engine)

    def export(self, query: str | None = None, *, sort: str = "id", with_body: bool = True,
               **filters: Any) -> Iterable[dict[str, Any]]:
        """Every matching report with metadata and sightings, streamed (constant memory)."""
        return self.query.export(query, Filters.of(**filters), sort=sort, with_body=with_body)

    def facets(self, query: str | None = None, **filters: Any) -> dict[str, list[tuple[Any, int]]]:
        """Matching reports counted by report year, region and portal level."""
        return self.query.facets(query, Filters.of(**filters))

    def search_warnings(self) -> list[str]:
        """Why searches on this database would be slow (e.g. PostgreSQL without a UTF-8 LC_CTYPE)."""
        return backend_warnings(self.engine)
