"""Which text indexes an archive's schema has, read from the catalog once per engine and schema version.

Every results page makes a ``Query``, which asked the catalog each time (on PostgreSQL four catalog queries,
4.4 ms a page at 100,000 reports: a fifth of a whole browsing page). The answer changes only with the schema, so it
is kept per engine with the Alembic revision it was read at; one small query (the revision) tells whether a
migration ran since, in this process or another.
"""

from __future__ import annotations

import threading
import weakref
from typing import NamedTuple

from sqlalchemy import Engine, inspect, text

from storage.archive import pggrams


class TextIndexes(NamedTuple):
    """The text indexes a search can use."""

    fts: bool  # SQLite FTS5 with the trigram tokenizer (migration 0001)
    bigrams: bool  # SQLite's bigram index (0013)
    grams: bool  # PostgreSQL's character-gram index (0014)
    chunks: bool  # PostgreSQL's texts in pieces (0015)
    long_grams: bool  # PostgreSQL's index of every 4–6-character string (0020)


_known: weakref.WeakKeyDictionary[Engine, tuple[tuple[str, ...], TextIndexes]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def text_indexes(engine: Engine) -> TextIndexes:
    """This archive's text indexes, from the catalog when its revision moved since they were last read."""
    with engine.connect() as conn:
        revision = tuple(conn.scalars(text("SELECT version_num FROM alembic_version ORDER BY version_num")))
    with _lock:
        known = _known.get(engine)
        if known is not None and known[0] == revision:
            return known[1]
    fts = engine.dialect.name == "sqlite" and inspect(engine).has_table("report_fts")
    grams = pggrams.has_grams(engine)
    chunks = grams and pggrams.has_chunks(engine)
    indexes = TextIndexes(fts, fts and inspect(engine).has_table("report_bigram"), grams, chunks,
                          chunks and pggrams.has_long_grams(engine))
    with _lock:
        _known[engine] = (revision, indexes)
    return indexes
