"""What changed in the archive since an in-memory index read it, for the indexes kept per process (the facet
index, the compliance grid's organs).

Two reads, cheapest first. The *change marker* moves whenever anything was committed (well under a millisecond):
while it stands still a page uses its index as is. When it moves, the *journal* (migration 0017: rows that
triggers add for every report and portal whose indexed values changed) says which reports and portals to read
again; an index rebuilt from the whole archive (1.3–2.3 s at 100,000 reports) only when the journal says
"everything" (a TRUNCATE) or names too many.

Where a reader stands in the journal (a :data:`Position`) is read *before* the data it then reads, so a write that
commits in between is read again next time, never missed. On SQLite it is the last ``seq`` read (one writer at a
time: ``seq`` order is commit order). On PostgreSQL sequence values are drawn before commit, so ``seq`` order is
not commit order; the position is the oldest transaction still running (``pg_snapshot_xmin``), and the next read
takes every row written by that transaction or a later one: a few rows are read twice, none is missed.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Generic, NamedTuple, TypeVar

from sqlalchemy import Connection, Engine, and_, distinct, func, inspect, select

from storage.models import JournalEntry

T = TypeVar("T")
Position = int  # SQLite: the last journal seq read; PostgreSQL: the oldest transaction id that may be unread


class Changes(NamedTuple):
    """What was journaled since a position: reports; portals whose own row changed; portals a sighting was added
    to, removed from or moved from or to; ``everything``: read the whole archive again."""

    reports: frozenset[int]
    portals: frozenset[int]
    sighted: frozenset[int]
    everything: bool


def change_marker(conn: Connection, probe: sqlite3.Connection | None) -> object:
    """A value that changes whenever anything an index reads can have changed (any write committed).

    PostgreSQL: the sum of ``archive_change``'s counters, which triggers on every table read here bump in each
    writing transaction (migrations 0014, 0017): it moves when that transaction commits, and only then, so a write
    in progress is seen once it commits, and writes to other tables or other databases on the server (which moved
    the server-wide ``pg_current_snapshot()`` used before) are not.

    SQLite: ``PRAGMA data_version`` on ``probe``, a connection of the watch's own that never writes, changes
    whenever any other connection (of this process or another) commits. Without it (SQLite in memory) a new
    object: never equal, so every page reads the journal.
    """
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql("SELECT coalesce(sum(n), 0) FROM archive_change").scalar()
    if probe is not None:
        return probe.execute("PRAGMA data_version").fetchone()[0]
    return object()


class _Shared:
    """What an engine's watches share: the connection that reads a SQLite file's marker (``data_version`` values
    compare only on one connection), and the last journal read made by :meth:`ChangeWatch.pending`. After a write,
    the indexes a page consults (the term cache, then the facet index) each read the journal at the same marker,
    from where each last read it; the second takes the first's answer when that started no later than its own
    position (a crawl's commit of 2,000 reports, then the 2,000 deleted, journals 8,000 rows: 6–26 ms a read on
    SQLite at 100,000 reports, the machine loaded). The same marker means nothing committed between the two reads;
    an answer that started earlier names a few reports more, which each index reads again as it would any other
    (its reading is idempotent)."""

    def __init__(self, engine: Engine) -> None:
        self.lock = threading.Lock()
        self.probe: sqlite3.Connection | None = None
        database = engine.url.database
        if engine.dialect.name == "sqlite" and database and database != ":memory:":
            self.probe = sqlite3.connect(database, check_same_thread=False)
        self.last: tuple[object, Position, Changes, Position] | None = None  # (marker, from, changes, to)


class ChangeWatch:
    """The change marker and journal of one engine's archive as one in-memory index last read them (used under the
    index's lock): :meth:`pending` says what was committed since, :meth:`read` records that the index read it. On a
    SQLite file the marker is read through a connection of the engine's watches (:class:`_Shared`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._shared = _shared(engine)
        self._postgresql = engine.dialect.name == "postgresql"
        self._journal: bool | None = None  # whether the archive has the journal (migration 0017)
        self._marker: object = None  # the marker and journal position when the index last read the archive
        self._position: Position | None = None
        self._next: tuple[object, Position | None] = (None, None)  # what pending() saw, for read()

    def pending(self, conn: Connection) -> Changes | None:
        """What was committed since the index last read the archive: None when nothing; ``everything`` when it never
        did, or the archive has no journal. The marker and the position are read here, before the index reads any
        data, so a write that commits in between is named again next time, never missed."""
        marker = self.marker(conn)
        if marker == self._marker:
            return None
        if self._position is None:
            self._next = (marker, self.position(conn))
            return Changes(frozenset(), frozenset(), frozenset(), True)
        shared = self._shared
        with shared.lock:
            last = shared.last
        if last is not None and last[0] == marker and last[1] <= self._position:  # a few reports more at most
            changes, position = last[2:]
        else:
            changes, position = self.since(conn, self._position)
            with shared.lock:
                shared.last = (marker, self._position, changes, position)
        self._next = (marker, position)
        return changes

    def read(self) -> None:
        """The index has read what the last :meth:`pending` named (or everything): the next call starts there."""
        self._marker, self._position = self._next

    @property
    def last(self) -> Position | None:
        """The journal position of the last :meth:`read` (None before one, or without a journal)."""
        return self._position

    def stale(self) -> None:
        """Consult the journal on the next :meth:`pending` even if the marker stands still."""
        self._marker = None

    def marker(self, conn: Connection) -> object:
        if self._shared.probe is None:
            return change_marker(conn, None)
        with self._shared.lock:  # one connection for every watch and thread
            return change_marker(conn, self._shared.probe)

    def position(self, conn: Connection) -> Position | None:
        """Where the journal stands now. None on an archive from before migration 0017 (only an old schema opened
        without upgrading it): every change then reads everything."""
        if self._journal is None:
            self._journal = inspect(self.engine).has_table(JournalEntry.__tablename__)
        if not self._journal:
            return None
        if self._postgresql:
            return _oldest_running(conn)
        return conn.scalar(select(func.coalesce(func.max(JournalEntry.seq), 0))) or 0

    def since(self, conn: Connection, position: Position) -> tuple[Changes, Position]:
        """What was journaled after ``position``, and the position to read from next time: one row, each kind of id
        gathered in the database (a crawl's commit of 2,000 reports and the deletion of 2,000 journal 8,000 rows:
        fetched and sorted out here, they took 12–16 ms on PostgreSQL at 100,000 reports)."""
        report, portal = JournalEntry.report_id, JournalEntry.portal_id
        kinds = ((report, report.is_not(None)),  # Changes' reports, portals and sighted, in that order
                 (portal, and_(report.is_(None), portal.is_not(None))),
                 (portal, and_(report.is_not(None), portal.is_not(None))))
        gather = func.array_agg if self._postgresql else func.json_group_array
        ids = [gather(distinct(column)).filter(kind) for column, kind in kinds]
        now = _oldest_running(conn) if self._postgresql else None  # before the rows: what commits after is read next
        row = conn.execute(select(*ids, func.count().filter(and_(report.is_(None), portal.is_(None))),
                                  func.max(JournalEntry.seq))
                           .where(JournalEntry.xid >= position if self._postgresql else JournalEntry.seq > position)
                           ).one()
        lists = [value or [] for value in row[:3]] if self._postgresql else [json.loads(value) for value in row[:3]]
        return Changes(*map(frozenset, lists), bool(row[3])), now if now is not None else row[4] or position


def settle(*, collected: bool = False) -> None:
    """An index was just built or updated, and lives until the next change: ``gc.freeze()`` keeps it (and whatever
    else lives now) out of the cyclic collector's full walks. Its lists, sets and dicts of 100,000 entries each made
    every full collection walk them: 95–111 ms on every second compliance grid at 100,000 reports (/compliance
    79–88 ms without one). Young cycles are collected first, so they are freed rather than frozen; ``collected``:
    the caller collected them (:func:`collect_young`) before it made its new parts, which make no cycles, so that
    the collection did not walk their entries (an update's eight new lists and sets of 100,000: 8–12 ms)."""
    if not collected:
        collect_young()
    gc.freeze()


def collect_young() -> None:
    """Free the young generations' cycles (settle's first step), before an index makes parts it then freezes."""
    gc.collect(1)


def _oldest_running(conn: Connection) -> int:
    """PostgreSQL: the oldest transaction still running; every one before it has committed or rolled back."""
    return int(conn.exec_driver_sql("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").scalar())


def parts(ids: list[int], size: int = 1000) -> Iterator[list[int]]:
    """``ids`` a thousand at a time: one IN list each, well under SQLite's limit of bound values."""
    return (ids[n:n + size] for n in range(0, len(ids), size))


class PerEngine(Generic[T]):
    """The process's one in-memory index per engine (the facet index, the compliance grid's organs): built on
    first use, kept while the engine lives."""

    def __init__(self, make: Callable[[Engine], T]) -> None:
        self._make = make
        self._made: weakref.WeakKeyDictionary[Engine, T] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, engine: Engine) -> T:
        with self._lock:
            if engine not in self._made:
                self._made[engine] = self._make(engine)
            return self._made[engine]


_shared = PerEngine(_Shared)
