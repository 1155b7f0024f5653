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

The first page of a term still pays its lookup in full; docs/search.md gives both figures.
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence

from sqlalchemy import Connection, Engine

from storage.archive.changes import ChangeWatch, PerEngine, parts

KEEP_LEAST = 1000  # a lookup that found fewer reports is cheap enough to repeat (and not worth the memory)
KEEP_ENTRIES = 32  # the most recently used terms kept: 4 bytes an id, 12.8 MB at most at 100,000 reports
# a journal read naming more reports than this empties the cache: rechecking is one text test per report and entry
RECHECK_AT_MOST = 200

Terms = tuple[str, ...]
Lookup = Callable[[], list[int]]  # every report holding the terms, from the text indexes
Recheck = Callable[[Sequence[Terms], list[int]], dict[Terms, set[int]]]  # per terms, the given reports holding them


class TermCache:
    """One engine's kept lookups, each a sorted array of ids. ``stats`` counts ``hit``, ``miss``, ``kept``,
    ``rechecked`` (journal reads that named reports), ``emptied``, ``dropped`` (an entry pushed out by a newer one)
    and ``late`` (a lookup during which another page read the journal, rechecked before it was kept)."""

    def __init__(self, engine: Engine, *, least: int = KEEP_LEAST, entries: int = KEEP_ENTRIES) -> None:
        self.least, self.entries = least, entries
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
        if lookup is None:
            return None
        found = lookup()  # outside the lock: other terms' pages go on meanwhile
        if len(found) < self.least or start is None:
            return found
        entry = array("i", sorted(found))
        with self._lock:
            if self._reads != reads:
                # another page read the journal while this lookup ran, and rechecked the entries kept then: this
                # one too must hold what was written since its own start
                changes, _ = self._watch.since(conn, start)
                if changes.everything or len(changes.reports) > RECHECK_AT_MOST:
                    return found
                _update(entry, changes.reports, recheck([key], sorted(changes.reports))[key])
                self.stats["late"] += 1
            self._kept[key] = entry
            self._kept.move_to_end(key)
            self.stats["kept"] += 1
            while len(self._kept) > self.entries:
                self._kept.popitem(last=False)
                self.stats["dropped"] += 1
        return entry.tolist()

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
            holding: dict[Terms, set[int]] = {}
            for part in parts(sorted(changes.reports)):
                for key, ids in recheck(list(self._kept), part).items():
                    holding.setdefault(key, set()).update(ids)
            for key, kept in self._kept.items():
                _update(kept, changes.reports, holding.get(key, set()))
            self.stats["rechecked"] += 1
        self._watch.read()


def _update(kept: array[int], changed: set[int], holding: set[int]) -> None:
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
