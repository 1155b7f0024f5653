"""``among``: a list bound as one value (storage/archive/base.py), on both backends, for any string."""

from __future__ import annotations

from sqlalchemy import Integer, Text, literal, select

from storage import Archive
from storage.archive.base import among

NAMES = ["daan", 'a"b', "back\\slash", "comma,brace{}", " spaced ", "大安市", "", "NULL", "'quote'", "tab\tnew\nline"]


def test_a_list_bound_as_one_value_keeps_every_string_and_integer(db_url: str) -> None:
    engine = Archive(db_url).engine
    dialect = engine.dialect.name
    with engine.connect() as conn:
        for name in NAMES:
            assert conn.scalar(select(among(dialect, literal(name, Text), NAMES, Text))), name
            assert not conn.scalar(select(among(dialect, literal(name + "x", Text), NAMES, Text))), name
        ids = list(range(0, 60_000, 3))
        assert conn.scalar(select(among(dialect, literal(59_997, Integer), ids, Integer)))
        assert not conn.scalar(select(among(dialect, literal(59_998, Integer), ids, Integer)))
        assert not conn.scalar(select(among(dialect, literal(1, Integer), [], Integer)))
