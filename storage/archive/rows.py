"""Rows read in bulk: export rows (a report's metadata with where it was seen and what monitoring marked, streamed
in batches), and the ids a statement selects, read as one value."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import CompoundSelect, Connection, Engine, Select, func, select

from storage.archive.marks import superseded_by, withdrawn
from storage.models import Portal, Sighting

EXPORT_FIELDS = ("id", "title", "organ", "report_year", "report_year_source", "published", "first_seen",
                 "content_sha256", "urls", "portals", "regions", "region_codes", "levels", "superseded",
                 "superseded_by", "withdrawn", "meta", "body")


def stream_rows(engine: Engine, stmt: Select[Any], keys: list[str], with_body: bool,
                batch: int) -> Iterator[dict[str, Any]]:
    """``stmt``'s reports as export rows from one streaming cursor; each batch's sightings and marks are read
    on a second connection (the first is busy streaming)."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
        for part in result.partitions():
            ids = [r.id for r in part]
            with engine.connect() as other:
                seen = _sightings(other, ids)
                newer, gone = superseded_by(other, ids), withdrawn(other, ids)
            for r in part:
                row = {key: getattr(r, key) for key in keys}
                row["meta"] = dict(r.meta or {})
                row.update(_sighting_columns(seen.get(r.id, [])))
                row.update(superseded=r.id in newer, superseded_by=newer.get(r.id), withdrawn=r.id in gone)
                if with_body:
                    row["body"] = r.body
                yield row


def _sightings(conn: Any, ids: list[int]) -> dict[int, list[Any]]:
    stmt = (select(Sighting.report_id, Sighting.url, Portal.name, Portal.region, Portal.region_code, Portal.level)
            .outerjoin(Portal, Portal.id == Sighting.portal_id).where(Sighting.report_id.in_(ids))
            .order_by(Sighting.id))
    out: dict[int, list[Any]] = {}
    for row in conn.execute(stmt):
        out.setdefault(row.report_id, []).append(row)
    return out


def _sighting_columns(rows: list[Any]) -> dict[str, list[str]]:
    """Where a report was seen: every URL, and each distinct portal / region / code / level, in order."""
    def distinct(values: Iterable[str | None]) -> list[str]:
        return [v for v in dict.fromkeys(values) if v]

    return {"urls": [r.url for r in rows], "portals": distinct(r.name for r in rows),
            "regions": distinct(r.region for r in rows), "region_codes": distinct(r.region_code for r in rows),
            "levels": distinct(r.level for r in rows)}


def driver_rows(conn: Connection, stmt: Select[Any] | CompoundSelect) -> list[tuple[Any, ...]]:
    """The driver's own tuples, not SQLAlchemy's Rows: 0.37 s instead of 0.72 s for 100,000 ids and dates on
    SQLite. Only for columns that need no result processing (ids, text, integers, PostgreSQL dates)."""
    result = conn.execute(stmt)
    try:
        return result.cursor.fetchall()  # type: ignore[union-attr]
    finally:
        result.close()


def read_ids(conn: Connection, stmt: Select[Any] | CompoundSelect) -> list[int]:
    """The ids ``stmt`` selects (one column), sent as one value rather than a row each: for the 97,940 matches of a
    common term at 100,000 reports, PostgreSQL's array 35 ms instead of 45, SQLite's comma-separated list 15.5
    instead of 21 (medians, alternated, under load)."""
    column = stmt.subquery().c[0]
    if conn.dialect.name == "postgresql":
        return driver_rows(conn, select(func.array_agg(column)))[0][0] or []
    listed = driver_rows(conn, select(func.group_concat(column)))[0][0]
    return list(map(int, listed.split(","))) if listed else []
