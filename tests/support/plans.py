"""The plan PostgreSQL runs for one search term, as the search runs it (with its per-transaction settings)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from storage.archive.query import Filters, Query
from storage.models import Report


def plan(engine: Engine, term: str) -> str:
    """``EXPLAIN ANALYZE`` of the ids matching ``term``, without costs."""
    query = Query(engine)
    stmt = select(Report.id).where(*query.conditions([term], Filters()))
    with engine.connect() as conn:
        query._prefer_indexes(conn, [term])
        sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
        return "\n".join(conn.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}").scalars())
