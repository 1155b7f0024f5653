"""What every part of the archive shares: one engine per URL, read sessions, the dialect's INSERT."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Engine, Text, cast, func, literal, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeEngine

from storage.session import get_engine, read_sessions


def _insert(engine: Engine) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


def among(dialect: str, column: ColumnElement[Any], values: Sequence[Any], item: TypeEngine[Any]
          ) -> ColumnElement[bool]:
    """``column`` in ``values``, bound as one value: a JSON array read by ``json_each`` on SQLite, an array on
    PostgreSQL. Thousands of values (a query's ids, a crawl's portals) as a parameter each cost more than the query
    (2,000 portal names: 25–35 ms on PostgreSQL to build and send the statement) and can pass SQLite's limit."""
    if dialect == "sqlite":
        return column.in_(select(literal_column("value")).select_from(func.json_each(json.dumps(list(values)))))
    if all(isinstance(v, int) for v in values):
        # integers as one comma-separated text split in the database: psycopg adapts a list value by value in
        # Python (65 ms for 33,457 ids, three times for a feed's three queries; the text: 3 ms). string_to_array
        # and the integers' cast are immutable, so the planner folds them into the constant array it hashes (a
        # cast of the array's text form is not: it was parsed again for every row, 0.2 → 1 s a feed)
        listed = cast(func.string_to_array(literal(json.dumps(list(values))[1:-1], Text), ","), postgresql.ARRAY(item))
    else:
        listed = literal(list(values), postgresql.ARRAY(item))
    return column == func.any(listed)


class ArchiveBase:
    """An engine (schema upgraded) and read sessions; the concerns below add their methods."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = get_engine(self.url)
        self._read = read_sessions(self.engine)
        self._portal_ids: dict[str, int] = {}  # registry name → id, filled by Reports._portal_id
