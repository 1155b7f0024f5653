"""Each sort's order of every report id, as the facet index keeps it (storage.archive.facets): a page is a slice of
it, or the first matches met walking it, so that no query reads each match's sort key.

An order is made once per sort after a build (:func:`make_order`: one C-level sort of integers) and then moved
through each update from the journal (:func:`reordered`): the changed reports are taken out and put back at their
new keys' places, found by bisection in the order's keys, and the new order is copied from the old in one pass of
slices. Sorting again is cheaper only past ``REORDER_AT_MOST`` changed reports.
"""

from __future__ import annotations

import bisect
import datetime as dt
import operator
from collections.abc import Set as AbstractSet
from typing import Any, NamedTuple

# sort → (column of the index's report rows (id, year, published), descending): storage.archive.query.SORTS' order,
# unknown keys last, ties by id in the key's direction
ORDERS = {"newest": (2, True), "oldest": (2, False), "year": (1, True), "id": (0, False)}
# a journal naming more reports than this: each sort's order is made again (a sort) rather than moved. At 100,000
# reports, half of the changed reports deleted and half new (Dec 8, best of 7, machine loaded), moving took 7–8 ms
# for 2,000 changed reports, 14–15 for 4,000, 28–29 for 10,000 and 57–58 for 20,000; sorting again 57–61 at any number
# (bisecting with a Python key function, as before: 8–9, 17–34, 43–51 and 89–101)
REORDER_AT_MOST = 10000
_UNKNOWN_LAST = 1 << 40  # an ascending sort's key for an unknown value: after every date's ordinal and year

Rows = dict[int, tuple[Any, ...]]  # report id → (id, report year, published)


class Order(NamedTuple):
    """Every report id in one sort's order, and the keys that order them."""

    ids: list[int]
    keys: list[int]  # each id's sort key (sort_key): a list indexed by id
    ordered: list[int]  # the ids' keys in the order's sequence (bisectable: descending for a descending sort)


NO_ORDER = Order([], [], [])


def sort_key(sort: str, row: tuple[Any, ...]) -> int:
    """One integer that orders a report as ``sort`` does (descending sorts read them backwards): its value (a date's
    ordinal, a year, the id; unknown after every known one), then its id, so that no two reports tie."""
    column, descending = ORDERS[sort]
    value = row[column]
    if isinstance(value, dt.date):
        value = value.toordinal()
    if value is None:
        value = -1 if descending else _UNKNOWN_LAST
    return (value << 32) | row[0]


def make_order(sort: str, rows: Rows, size: int) -> Order:
    """Every report of ``rows`` in ``sort``'s order (ids below ``size``): one C-level sort of integers (the key tuples
    of dates and ids this replaced, sorted again from the previous order after every change, took 0.4 s at 100,000
    reports: the first page after a write with a query or a filter paid it)."""
    keys = [0] * size
    for report_id, row in rows.items():
        keys[report_id] = sort_key(sort, row)
    order = sorted(rows, key=keys.__getitem__, reverse=ORDERS[sort][1])
    return Order(order, keys, list(map(keys.__getitem__, order)))


def reordered(sort: str, kept: Order, changed: AbstractSet[int], before: AbstractSet[int], rows: Rows,
              size: int) -> Order:
    """A copy of ``kept`` with the reports ``changed`` taken out (those in ``before``, the reports it holds) and put
    back at their keys in ``rows`` (not when deleted), found by bisection in the order's keys: in C, with no Python
    key function (``REORDER_AT_MOST`` has the costs); the copy is then made in one pass of slices."""
    descending = ORDERS[sort][1]
    sign, order_key = (-1, operator.neg) if descending else (1, None)  # bisect wants ascending keys
    order, keys, ordered_keys = kept
    new_keys = keys + [0] * (size - len(keys))
    present = [report_id for report_id in changed if report_id in rows]
    for report_id in present:
        new_keys[report_id] = sort_key(sort, rows[report_id])
    # (position in the old order, 0 to put a report before it or 1 to take it out, its ascending key, the report)
    edits = [(bisect.bisect_left(ordered_keys, sign * keys[i], key=order_key), 1, 0, i) for i in changed & before]
    edits += [(bisect.bisect_left(ordered_keys, sign * new_keys[i], key=order_key), 0, sign * new_keys[i], i)
              for i in present]
    out: list[int] = []
    out_keys: list[int] = []
    start = 0
    for position, take_out, _key, report_id in sorted(edits):
        out += order[start:position]
        out_keys += ordered_keys[start:position]
        start = position + take_out
        if not take_out:
            out.append(report_id)
            out_keys.append(new_keys[report_id])
    out += order[start:]
    out_keys += ordered_keys[start:]
    return Order(out, new_keys, out_keys)
