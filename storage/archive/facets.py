"""Facet counts for a results page, computed in Python from the page's one set of matching ids.

The old way ran one GROUP BY per facet, each re-evaluating the text condition and joining sighting, portal,
attachment and statistics rows: 280–360 ms a page at 40,000 reports. Instead every report's facet values
(report year, organ, the regions and levels it was seen at, the formats it was published in, whether it has
attachments, what its statistics tables say) are held in memory as a small number of distinct *signatures*
(most reports share theirs with many others), and a page counts its matching ids by signature: one dict
lookup per match, then a pass over the distinct signatures. Counts are exact: whenever the archive's change
marker moves, the reports its journal names are read again (storage.archive.changes), and a matching id the index
does not know (a report stored since) makes it read the journal again.

Definitions (docs/search.md): a report's **format** is each attachment's format (pdf, doc, docx, ofd, …),
or ``html`` when it has no attachment (the report was published as the web page itself); **statistics** is
``consistent`` (tables read, every identity of the form holds), ``inconsistent`` (tables read, with
findings) or ``unread`` (no statistics tables read from it).
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, Integer, inspect, select

from storage.archive.base import among
from storage.archive.changes import ChangeWatch, PerEngine, collect_young, settle
from storage.archive.levels import STREET_MARK, TOWNSHIP_SUFFIXES
from storage.archive.orders import NO_ORDER, ORDERS, REORDER_AT_MOST, Order, make_order, reordered
from storage.models import Attachment, Portal, Report, ReportStatistics, Sighting

FACETS = ("year", "region", "level", "organ", "format", "attachments", "statistics")
STATISTICS_STATES = ("consistent", "inconsistent", "unread")
NO_ATTACHMENT_FORMAT = "html"
# year and organ can be unknown (None, shown as "(unknown)"); a report without a portal has no region or level
_MULTI = {"region", "level", "format"}  # a report can count under several values of these
GROUPS = (("organ",), ("year",), ("region", "level"), ("format", "attachments", "statistics"))
_WALK_SHARE = 16  # a page walks the sort order when at least 1 in 16 reports match (else it sorts the matches)
# more than this share of the reports match: count the others and subtract them from the whole archive's counts
# (_tally). At 100,000 reports the two ways cost the same at ~70 % (difference of the id sets ≈ 8 ms; then 0.2 µs
# an id either way): 19 → 7 ms at 98 %, 14 vs 14 ms at 69 %.
_SUBTRACT_ABOVE = 0.75
# after a change, read again the reports the journal names unless they are more than this share of the archive
# (and more than the least number): then read everything, which costs about as much
_JOURNAL_AT_MOST, _JOURNAL_AT_LEAST = 0.2, 1000

Counts = dict[str, list[tuple[Any, int]]]


def organ_levels(organ: str | None) -> tuple[str, ...]:
    """The levels a report counts at by its organ's name, exactly as ``organ_level_condition`` filters."""
    name = organ or ""
    return (("street",) if STREET_MARK in name else ()) + (("township",) if name.endswith(TOWNSHIP_SUFFIXES) else ())


class FacetIndex:
    """Every report's facet values as signatures, for one engine, valid for one change marker.

    Facets that vary independently are kept in separate groups, each counted with one C-level ``Counter``
    pass over the matching ids, so that no group has many distinct signatures (one combined signature would
    be nearly unique per report: years × portals × formats × statistics states, and organs on top): the
    organ; the report year; where it was seen (regions and levels); how it was published and read (formats,
    attachments, statistics). It also keeps every report's sort keys, from which each sort's order of all report
    ids is made on first use (a page is picked from it: :meth:`page`), and each group's counts over the whole
    archive, from which a match set holding most reports subtracts the counts of the few others.

    After a change only the reports the journal names are read again (:meth:`refresh`); ``stats`` counts the
    refreshes of each kind (``full``, ``journal``).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reports = 0
        # per group: report id → signature number (a list indexed by id; -1 where no report), the signatures
        self.codes: list[list[int]] = [[] for _ in GROUPS]
        self.signatures: list[list[tuple[Any, ...]]] = [[] for _ in GROUPS]
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._everything: Counts | None = None
        self._ids: set[int] = set()  # every report's id
        self._totals: list[Counter[int]] = [Counter() for _ in GROUPS]  # per group, over every report
        self._interned: list[dict[tuple[Any, ...], int]] = [{} for _ in GROUPS]  # signature → its number
        self._has_attachments: bool | None = None  # archives from before migration 0004 have no attachment table
        self._watch = ChangeWatch(engine)
        self._portals: dict[int, tuple[str | None, str | None]] = {}  # portal id → (region, level)
        self._rows: dict[int, tuple[Any, ...]] = {}  # report id → (id, report year, published)
        # sort → every report id in that sort's order and its keys (storage.archive.orders), made when first asked
        # after a build, then kept in order through each update from the journal
        self._orders: dict[str, Order] = {}
        self._kept: dict[tuple[Any, ...], frozenset[int]] = {}  # at_level's and kept's answers, until the next change

    def refresh(self, conn: Connection, *, force: bool = False) -> None:
        """Bring the index up to date when the archive changed since it last read it: the reports the journal names
        (and those seen at a portal it names) are read again; everything when it says so or names more than
        ``_JOURNAL_AT_MOST`` of the reports (or ``force``)."""
        if self._has_attachments is None or force:
            self._has_attachments = inspect(self.engine).has_table("attachment")
        if force:
            self._watch.stale()
        changes = self._watch.pending(conn)
        if changes is None:
            return
        if not (force or changes.everything):
            changed = changes.reports
            if changes.portals:
                self._portals = _portals(conn)
                changed |= frozenset(conn.scalars(select(Sighting.report_id).where(
                    among(conn.dialect.name, Sighting.portal_id, sorted(changes.portals), Integer))))
            if len(changed) <= max(_JOURNAL_AT_LEAST, _JOURNAL_AT_MOST * self.reports):
                self._update(conn, changed)
                self._watch.read()
                self.stats["journal"] += 1
                settle(collected=True)
                return
        self._portals = _portals(conn)
        rows = self._read(conn, None)
        size = max((r[0] for r in rows), default=0) + 1
        codes = [[-1] * size for _ in GROUPS]
        interned: list[dict[tuple[Any, ...], int]] = [{} for _ in GROUPS]
        for report_id, _year, _published, values in rows:
            for group, signature in enumerate(values):
                codes[group][report_id] = interned[group].setdefault(signature, len(interned[group]))
        self.codes, self.signatures, self._interned = codes, [list(group) for group in interned], interned
        self.reports, self._everything, self._kept = len(rows), None, {}
        self._ids = {r[0] for r in rows}
        self._totals = [Counter(c for c in group if c >= 0) for group in codes]
        self._rows, self._orders = {r[0]: r[:3] for r in rows}, {}
        self._watch.read()
        self.stats["full"] += 1
        settle()

    def _read(self, conn: Connection, ids: Sequence[int] | None) -> list[tuple[int, Any, Any, tuple[Any, ...]]]:
        """(id, report year, published, each group's signature) of the reports ``ids`` (None: of every report),
        bound as one value each (``among``: 2,000 ids a parameter each cost more to compile than to read). Their
        sightings, attachments and statistics are asked for the reports still stored only (after a crawl's commit
        and a deletion, half of the ids the journal names)."""
        def only(column: Any, statement: Any) -> Any:
            return statement if ids is None else statement.where(among(conn.dialect.name, column, ids, Integer))

        reports = conn.execute(only(Report.id, select(Report.id, Report.report_year, Report.organ,
                                                      Report.published))).all()
        if ids is not None:
            ids = [r[0] for r in reports]
        seen: dict[int, tuple[set[str], set[str]]] = {}
        for report_id, portal_id in conn.execute(only(Sighting.report_id,
                                                       select(Sighting.report_id, Sighting.portal_id))):
            regions, levels = seen.setdefault(report_id, (set(), set()))
            region, level = self._portals.get(portal_id, (None, None))
            if region is not None:
                regions.add(region)
            if level is not None:
                levels.add(level)
        formats: dict[int, set[str]] = {}
        if self._has_attachments:
            for report_id, fmt in conn.execute(only(Attachment.report_id,
                                                     select(Attachment.report_id, Attachment.format).distinct())):
                formats.setdefault(report_id, set()).add(fmt)
        findings = dict(conn.execute(only(ReportStatistics.report_id, select(ReportStatistics.report_id,
                                                                              ReportStatistics.findings_count))).all())
        out = []
        for report_id, year, organ, published in reports:
            regions, levels = seen.get(report_id, ((), ()))
            n_findings = findings.get(report_id)
            own = formats.get(report_id)
            out.append((report_id, year, published, (
                (organ,), (year,), (tuple(sorted(regions)), tuple(sorted({*levels, *organ_levels(organ)}))),
                (tuple(sorted(own)) if own else (NO_ATTACHMENT_FORMAT,), "yes" if own else "no",
                 "unread" if n_findings is None else "inconsistent" if n_findings else "consistent"))))
        return out

    def _update(self, conn: Connection, changed: frozenset[int]) -> None:
        """Read the reports ``changed`` again (a deleted one is dropped) into copies of the index's parts: a page
        still counting with the parts it took keeps them whole (:class:`_Build`). Each group is updated in a few
        C-level passes over the changed reports, not a Python step per report and group; the report rows are read only
        here, under the lock, so they change in place (4,000 changed reports at 100,000, 2,000 of them new, one sort's
        order kept, the read apart: 34–38 ms, where it took 53–65; best of 9, the machine loaded)."""
        if not changed:  # commits that changed nothing indexed (a re-crawl's last_seen)
            collect_young()
            return
        fresh = self._read(conn, sorted(changed))
        collect_young()  # before the new parts are made: settle(collected=True) follows
        size = max(len(self.codes[0]), max(changed) + 1)
        fresh_ids = [r[0] for r in fresh]
        codes, totals, signatures = [], [], []
        for group, (old_codes, old_totals, old_signatures, interned) in enumerate(zip(
                self.codes, self._totals, self.signatures, self._interned, strict=True)):
            group_codes = old_codes + [-1] * (size - len(old_codes))
            gone = Counter(map(group_codes.__getitem__, changed))
            del gone[-1]  # reports new to the index
            total = old_totals - gone
            new_codes = [interned.setdefault(r[3][group], len(interned)) for r in fresh]
            for report_id in changed:
                group_codes[report_id] = -1
            for report_id, code in zip(fresh_ids, new_codes, strict=True):
                group_codes[report_id] = code
            total.update(new_codes)
            codes.append(group_codes)
            totals.append(total)
            signatures.append(old_signatures + list(itertools.islice(interned, len(old_signatures), None)))
        ids = self._ids.difference(changed)
        ids.update(fresh_ids)
        for report_id in changed:  # read only under the lock: changed in place
            self._rows.pop(report_id, None)
        self._rows.update({r[0]: r[:3] for r in fresh})
        orders = {sort: reordered(sort, kept, changed, self._ids, self._rows, size)
                  for sort, kept in self._orders.items()} if len(changed) <= REORDER_AT_MOST else {}
        self.codes, self.signatures, self._totals, self._ids = codes, signatures, totals, ids
        self.reports, self._everything, self._orders, self._kept = len(ids), None, orders, {}

    def counts(self, conn: Connection, ids: Sequence[int] | None, top: int) -> tuple[int, Counts]:
        """The number of reports and facet counts over ``ids`` (distinct; ``None``: every report), largest first, at
        most ``top`` values each. Only the freshness check and a rebuild hold the lock; counting does not."""
        if ids is None:
            with self._lock:
                self.refresh(conn)
                return self.reports, self._whole(top)
        ids, build = self._current(conn, ids, None)
        return len(ids), _count(build.signatures, _tally(build, ids, None), top)

    def browse(self, conn: Connection, top: int, sort: str, limit: int, offset: int) -> tuple[int, Counts, list[int]]:
        """Every report: their number and counts (kept), and the ids of one page in ``sort``'s order, which the index
        holds. PostgreSQL sorted every report for that page (21 ms at 100,000: no index has the sorts' NULLS LAST)."""
        with self._lock:
            self.refresh(conn)
            return self.reports, self._whole(top), self._order(sort).ids[offset:offset + limit]

    def _whole(self, top: int) -> Counts:
        """The whole archive's counts, kept until the next change (under the lock, the index fresh)."""
        if self._everything is None:
            self._everything = _count(self.signatures, self._totals, top)
        return self._everything

    def at_level(self, conn: Connection, level: str, *, seen: bool) -> frozenset[int]:
        """The reports whose organ's name marks ``level`` (``organ_levels``: the organ part of the level filter, whose
        ``LIKE``s read every report's row) and, with ``seen``, those seen on a portal of that level too: the whole
        level filter, as each report's signature holds its levels (where sighting ⋈ portal took 15–50 ms at 100,000
        reports). Kept until the archive changes."""
        def marked() -> Iterator[int]:
            group = 2 if seen else 0
            marks = [level in (signature[1] if seen else organ_levels(signature[0]))
                     for signature in self.signatures[group]]
            return (i for i, code in enumerate(self.codes[group]) if code >= 0 and marks[code])

        return self.kept(conn, ("level", level, seen), marked)

    def kept(self, conn: Connection, key: tuple[Any, ...], read: Callable[[], Iterable[int]]) -> frozenset[int]:
        """``read()``'s ids (called under the lock, the index fresh), kept under ``key`` until the archive changes: for
        id sets that only what the journal names can change, such as the reports seen on a region's portals
        (sighting ⋈ portal: 13–23 ms on every page with a region at 100,000 reports on PostgreSQL)."""
        with self._lock:
            self.refresh(conn)
            if key not in self._kept:
                self._kept[key] = frozenset(read())
            return self._kept[key]

    def page(self, conn: Connection, ids: Sequence[int], top: int, sort: str, limit: int,
             offset: int) -> tuple[int, Counts, list[int]]:
        """``counts`` over ``ids``, and the ids of one page of them in ``sort``'s order, which the index holds (so
        no query reads each match's sort key): many ids, the first of them met walking that order (stops early);
        few, those whose sort keys come first (a walk could cross every report to find them)."""
        ids, build = self._current(conn, ids, sort)
        order = build.order
        if len(ids) == len(order):  # every report (the ids are distinct): the whole archive's counts, kept
            return len(ids), self.counts(conn, None, top)[1], order[offset:offset + limit]
        matching = set(ids) if len(ids) * _WALK_SHARE > len(order) else None
        if matching is not None:
            page = list(itertools.islice(filter(matching.__contains__, order), offset, offset + limit))
        else:
            first = heapq.nlargest if ORDERS[sort][1] else heapq.nsmallest
            page = first(offset + limit, ids, key=build.keys.__getitem__)[offset:]
        return len(ids), _count(build.signatures, _tally(build, ids, matching), top), page

    def _current(self, conn: Connection, ids: Sequence[int], sort: str | None) -> tuple[Sequence[int], _Build]:
        """Under the lock: the index made fresh, ``ids`` without reports deleted since they were read, and the
        parts of one build (codes, signatures, ``sort``'s order, …) that counting and paging read after it."""
        with self._lock:
            self.refresh(conn)
            if not self._knows(ids):
                self._watch.stale()  # stored after the marker was read: read the journal again, now it is known
                self.refresh(conn)
                if not self._knows(ids):  # deleted since the ids were read: not counted
                    ids = [i for i in ids if i < len(self.codes[0]) and self.codes[0][i] >= 0]
            order = NO_ORDER if sort is None else self._order(sort)
            return ids, _Build(self.codes, self.signatures, self._ids, self._totals, order.ids, order.keys)

    def _order(self, sort: str) -> Order:
        """``sort``'s order, made on first use after a build (under the lock, the index fresh)."""
        if sort not in self._orders:
            self._orders[sort] = make_order(sort, self._rows, len(self.codes[0]))
        return self._orders[sort]

    def _knows(self, ids: Sequence[int]) -> bool:
        codes = self.codes[0]
        return max(ids, default=0) < len(codes) and -1 not in map(codes.__getitem__, ids)


class _Build(NamedTuple):
    """The parts of one build of a FacetIndex that a page reads after its lock is released (a rebuild replaces
    them, never changes them)."""

    codes: list[list[int]]
    signatures: list[list[tuple[Any, ...]]]
    ids: set[int]  # every report's id
    totals: list[Counter[int]]  # per group: signature → reports, over every report
    order: list[int]  # every report id in the page's sort order ([] without a sort)
    keys: list[int]  # each id's sort key (storage.archive.orders.sort_key) in that sort


def _tally(build: _Build, ids: Sequence[int], matching: set[int] | None) -> list[Counter[int]]:
    """Per group, the matching reports of each signature: counted over ``ids`` (``matching`` is their set, when the
    caller made it), or, when they are most of the archive, the whole archive's counts minus those of the others
    (a term found in 97,940 of 100,000 reports counts 2,060)."""
    if len(ids) <= _SUBTRACT_ABOVE * len(build.ids):
        return [Counter(map(group.__getitem__, ids)) for group in build.codes]
    others = build.ids.difference(matching if matching is not None else ids)
    return [total - Counter(map(group.__getitem__, others)) for total, group in zip(build.totals, build.codes,
                                                                                   strict=True)]


def _count(signatures: list[list[tuple[Any, ...]]], by_signature: list[Counter[int]], top: int) -> Counts:
    """Per facet value, the reports of the signatures that carry it."""
    totals: dict[str, Counter[Any]] = {name: Counter() for name in FACETS}
    for group, names in enumerate(GROUPS):
        for index, n in by_signature[group].items():
            for name, value in zip(names, signatures[group][index], strict=True):
                for one in (value if name in _MULTI else (value,)):
                    totals[name][one] += n
    return {name: _largest(totals[name].items(), top) for name in FACETS}


def _largest(items: Iterable[tuple[Any, int]], top: int) -> list[tuple[Any, int]]:
    """Most reports first; ties by value, unknown (None) last: the same order on every backend."""
    return heapq.nsmallest(top, items, key=lambda item: (-item[1], item[0] is None,
                                                         item[0] if item[0] is not None else 0))


def _portals(conn: Connection) -> dict[int, tuple[str | None, str | None]]:
    return {pid: (region, level) for pid, region, level in conn.execute(select(Portal.id, Portal.region, Portal.level))}


facet_index = PerEngine(FacetIndex)
