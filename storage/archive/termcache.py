"""The ids of the reports holding a common query term, kept per process and exact through the journal.

A phrase every report prints (政府信息公开, 依申请公开, 政府信息公开工作年度报告) is what people type most, and
the costliest to look up: the text indexes must confirm it in nearly every report. At 100,000 reports that took
120–150 ms on SQLite (FTS5 reads the positions of each of its trigrams in every report) and 0.8 s on PostgreSQL
(``strpos`` over the pieces of every report, 0015), for each page of it: the next page, a facet clicked, a filter
added. So a lookup that found many reports keeps its ids here, keyed by the terms, and the next page with the
same terms (any filters, sort or offset) starts from them.

The cache never answers for an archive other than the one it read. Before each use it reads the journal (0017,
0018: every report stored, deleted or whose text changed) through its own :class:`ChangeWatch`, and checks every
kept entry's terms again in just the reports named there, in one query, as the index lookup would (the same
conditions, evaluated on those rows); when the journal says "everything" (a TRUNCATE) or names more than
``RECHECK_AT_MOST`` reports, it empties. Rechecking is idempotent, so a report stored while a lookup ran and
named again later is right either way.

Kept lookups are also stored in the database (``kept_lookup``, migration 0019), with the journal position they
are exact at, so that every process shares them and a restart keeps them: a process that does not keep a term reads
its row and checks again the reports journaled since (``LOAD_RECHECK_AT_MOST``; a row further behind is looked up
afresh). A crawl brings every stored row up to date when it ends (:meth:`TermCache.refresh`), so the rows stay
usable however much a crawl stores. Only the first lookup of a term ever, or after it fell out of the
``STORED_ENTRIES`` used last, pays the lookup in full; docs/search.md gives the figures.
"""

from __future__ import annotations

import bisect
import logging
import sys
import threading
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from storage.archive.changes import ChangeWatch, PerEngine
from storage.models import KeptLookup
from storage.session import write_session

KEEP_LEAST = 1000  # a lookup that found fewer reports is cheap enough to repeat (and not worth the memory)
KEEP_ENTRIES = 32  # the most recently used terms kept: 4 bytes an id, 12.8 MB at most at 100,000 reports
# a journal read naming more reports than this empties the cache: rechecking is one text test per report and entry
RECHECK_AT_MOST = 200
STORED_ENTRIES = 64  # rows of kept_lookup: the terms whose lookup was stored last
LOAD_RECHECK_AT_MOST = 2000  # a stored row behind the journal by more reports than this is looked up afresh
REFRESH_RECHECK_AT_MOST = 20000  # after a crawl: beyond this many reports journaled, look every stored term up again

log = logging.getLogger(__name__)

Terms = tuple[str, ...]
Lookup = Callable[[], list[int]]  # every report holding the terms, from the text indexes
LookupOf = Callable[[Terms], "list[int] | None"]  # the same for given terms (None: the indexes cannot answer)
Recheck = Callable[[Sequence[Terms], list[int]], dict[Terms, set[int]]]  # per terms, the given reports holding them


class TermCache:
    """One engine's kept lookups, each a sorted array of ids. ``stats`` counts ``hit``, ``miss``, ``kept``,
    ``rechecked`` (journal reads that named reports), ``emptied``, ``dropped`` (an entry pushed out by a newer one)
    and ``late`` (a lookup during which another page read the journal, rechecked before it was kept); for the
    stored rows ``loaded``, ``stale`` (too far behind to load), ``stored`` and ``unstored`` (the write failed: a
    read-only database user, a lock; the page is served all the same)."""

    def __init__(self, engine: Engine, *, least: int = KEEP_LEAST, entries: int = KEEP_ENTRIES,
                 stored: int = STORED_ENTRIES) -> None:
        self.least, self.entries, self.stored = least, entries, stored
        self.stats: Counter[str] = Counter()
        self._watch = ChangeWatch(engine)
        self._kept: OrderedDict[Terms, array[int]] = OrderedDict()
        self._lock = threading.Lock()
        self._reads = 0  # journal reads so far: one while a lookup ran means rechecking it

    def ids(self, conn: Connection, terms: Sequence[str], recheck: Recheck, lookup: Lookup | None = None
            ) -> list[int] | None:
        """The ids of the reports holding every one of ``terms``: kept ones brought up to date with ``recheck``, or
        ``lookup``'s, kept when there are at least ``least`` (None: not kept, and no ``lookup`` to make). ``lookup``
        reads on ``conn`` and ends its transaction (begun by the journal's read here, or its own), so that the
        journal read after it sees what committed."""
        key = tuple(sorted(set(terms)))
        with self._lock:
            self._follow(conn, recheck)
            if key in self._kept:
                self._kept.move_to_end(key)
                self.stats["hit"] += 1
                return self._kept[key].tolist()
            self.stats["miss"] += 1
            start, reads = self._watch.last, self._reads
        loaded = None if start is None else self._load(conn, key, recheck)
        if loaded is None and lookup is None:
            return None
        found = lookup() if loaded is None else loaded  # outside the lock: other terms' pages go on meanwhile
        if len(found) < self.least or start is None:
            return list(found)
        entry = loaded if loaded is not None else array("i", sorted(found))
        with self._lock:
            if self._reads != reads:
                # another page read the journal while this lookup ran, and rechecked the entries kept then: this
                # one too must hold what was written since its own start
                changes, _ = self._watch.since(conn, start)
                if changes.everything or len(changes.reports) > RECHECK_AT_MOST:
                    return entry.tolist()
                _recheck_into({key: entry}, changes.reports, recheck)
                self.stats["late"] += 1
            self._kept[key] = entry
            self._kept.move_to_end(key)
            self.stats["kept"] += 1
            while len(self._kept) > self.entries:
                self._kept.popitem(last=False)
                self.stats["dropped"] += 1
            ids = entry.tolist()
        if loaded is None:
            self._store(key, entry, start)
        return ids

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def _follow(self, conn: Connection, recheck: Recheck) -> None:
        """Bring every kept entry up to date with what the journal names since the last read (under the lock): one
        query checks the named reports for every entry's terms."""
        changes = self._watch.pending(conn)
        if changes is None:
            return
        self._reads += 1
        if self._kept and (changes.everything or len(changes.reports) > RECHECK_AT_MOST):
            self.stats["emptied"] += 1
            self._kept.clear()
        elif self._kept and changes.reports:
            _recheck_into(self._kept, changes.reports, recheck)
            self.stats["rechecked"] += 1
        self._watch.read()

    def _load(self, conn: Connection, key: Terms, recheck: Recheck) -> array[int] | None:
        """The stored row of ``key``, brought up to the journal's present; None when there is none or it is more
        than ``LOAD_RECHECK_AT_MOST`` reports behind. Ends the transaction it read in."""
        row = conn.execute(select(KeptLookup.ids, KeptLookup.reports, KeptLookup.position)
                           .where(KeptLookup.terms == _name(key))).first()
        try:
            if row is None:
                return None
            entry = _from_bytes(row.ids, row.reports)
            if entry is None:  # a damaged row: looked up afresh, and written again
                self.stats["unreadable"] += 1
                return None
            changes, _ = self._watch.since(conn, row.position)
            if changes.everything or len(changes.reports) > LOAD_RECHECK_AT_MOST:
                self.stats["stale"] += 1
                return None
            _recheck_into({key: entry}, changes.reports, recheck)
            self.stats["loaded"] += 1
            return entry
        finally:
            conn.rollback()

    def _store(self, key: Terms, entry: array[int], position: int) -> None:
        """Write ``key``'s ids, exact at journal ``position``, for every process; keep the ``stored`` used last."""
        try:
            with write_session(self._watch.engine) as session:
                session.execute(delete(KeptLookup).where(KeptLookup.terms == _name(key)))
                session.add(KeptLookup(terms=_name(key), ids=_to_bytes(entry), reports=len(entry), position=position))
                session.flush()
                newest = select(KeptLookup.terms).order_by(KeptLookup.used.desc()).limit(self.stored)
                session.execute(delete(KeptLookup).where(KeptLookup.terms.not_in(newest.scalar_subquery())))
            self.stats["stored"] += 1
        except SQLAlchemyError as exc:  # a cache: the page is right without it
            self.stats["unstored"] += 1
            log.warning("term cache: could not store a lookup (%s)", " ".join(str(exc).split())[:200])

    def refresh(self, conn: Connection, recheck: Recheck, lookup_of: LookupOf) -> Counter[str]:
        """Bring every stored row up to the journal's present: check again the reports journaled since the oldest
        row's position (one query for all rows), or, beyond ``REFRESH_RECHECK_AT_MOST`` or after a
        TRUNCATE, look each term up again (and a damaged row's term). Returns what it did: ``rechecked``,
        ``looked_up``, ``deleted``."""
        done: Counter[str] = Counter()
        start = self._watch.position(conn)
        rows = conn.execute(select(KeptLookup.terms, KeptLookup.ids, KeptLookup.reports, KeptLookup.position)).all()
        if start is None or not rows:
            conn.rollback()
            return done
        changes, _ = self._watch.since(conn, min(row.position for row in rows))
        conn.rollback()
        read = {_key(row.terms): _from_bytes(row.ids, row.reports) for row in rows}
        afresh = (list(read) if changes.everything or len(changes.reports) > REFRESH_RECHECK_AT_MOST
                  else [key for key, entry in read.items() if entry is None])
        kept = {key: entry for key, entry in read.items() if entry is not None and key not in afresh}
        if changes.reports and kept:
            _recheck_into(kept, changes.reports, recheck)
            done["rechecked"] += len(kept)
        entries: dict[Terms, array[int] | None] = dict(kept) if changes.reports else {}
        for key in afresh:
            found = lookup_of(key)
            entries[key] = None if found is None else array("i", sorted(found))
            done["looked_up"] += 1
        if not entries:  # nothing journaled, nothing damaged: no write (on SQLite, no write lock taken)
            return done
        with write_session(self._watch.engine) as session:
            for key, entry in entries.items():
                where = KeptLookup.terms == _name(key)
                if entry is None:
                    session.execute(delete(KeptLookup).where(where))
                    done["deleted"] += 1
                else:
                    session.execute(update(KeptLookup).where(where).values(
                        ids=_to_bytes(entry), reports=len(entry), position=start))
        return done


def _recheck_into(entries: dict[Terms, array[int]], changed: AbstractSet[int], recheck: Recheck) -> None:
    """Each entry's ids, with the reports ``changed`` checked again for its terms (one query)."""
    if not (entries and changed):
        return
    holding = recheck(list(entries), sorted(changed))
    for key, kept in entries.items():
        _update(kept, changed, holding.get(key, set()))


def _name(key: Terms) -> str:
    return "\n".join(key)


def _key(name: str) -> Terms:
    return tuple(name.split("\n"))


def _to_bytes(entry: array[int]) -> bytes:
    """4-byte little-endian ids, whatever the machine (workers of one PostgreSQL archive may differ)."""
    if sys.byteorder == "little":
        return entry.tobytes()
    swapped = array("i", entry)
    swapped.byteswap()
    return swapped.tobytes()


def _from_bytes(data: bytes | memoryview, reports: int) -> array[int] | None:
    """The ids ``_to_bytes`` wrote; None for bytes that cannot be them (cut short, or not ``reports`` ids)."""
    raw = bytes(data)
    if len(raw) != 4 * reports:
        return None
    entry = array("i")
    entry.frombytes(raw)
    if sys.byteorder != "little":
        entry.byteswap()
    return entry


def _update(kept: array[int], changed: AbstractSet[int], holding: set[int]) -> None:
    """In the sorted ``kept``: each of the reports ``changed`` there when it is in ``holding``, else not (in place:
    a few changes among 100,000 ids move memory, they do not rebuild the array)."""
    for report_id in sorted(changed):
        at = bisect.bisect_left(kept, report_id)
        present = at < len(kept) and kept[at] == report_id
        if present and report_id not in holding:
            del kept[at]
        elif not present and report_id in holding:
            kept.insert(at, report_id)


term_cache = PerEngine(TermCache)
