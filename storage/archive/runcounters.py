"""A run's counters out of its stats document: per portal as rows (``crawl_run_portal``) and the run-wide few a
list of runs shows as ``crawl_run`` columns (``run_totals``), both written when the run closes and backfilled for
runs closed before them (migrations 0011 and 0012).

The crawl counts per portal under ``nianbao/portal/NAME/…`` (``pipelines.components.count``) and stores the lot
as one JSON document per run; :func:`by_portal` is the one place that splits such a document by portal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, TableClause, delete, exists, insert, select
from sqlalchemy.orm import Session

from storage.models import RunPortal

PORTAL_PREFIX = "nianbao/portal/"  # the per-portal counters' names (pipelines.components.count)
BACKFILL_BATCH = 50  # runs read at once: a crawl of every portal carries ~1.3 MB of stats
# the run-wide counters a list of runs shows: stats name -> ``crawl_run`` column
RUN_TOTALS = {"downloader/response_count": "pages_fetched", "nianbao/reports/new": "reports_new",
              "nianbao/reports/changed": "reports_changed", "nianbao/errors": "error_count"}


def run_totals(stats: dict[str, Any], errors: Sequence[Any]) -> dict[str, int]:
    """The ``crawl_run`` columns of a closing run. Errors: the kept list is capped
    (pipelines.components.MAX_ERRORS_KEPT) and the counter is not, so the larger of the two."""
    totals = {column: _int(stats.get(key)) for key, column in RUN_TOTALS.items()}
    return {**totals, "error_count": max(totals["error_count"], len(errors))}


def by_portal(stats: dict[str, Any], names: Sequence[str] = ()) -> dict[str, dict[str, int]]:
    """Every portal's counters in one pass over a run's stats (``portal_counters`` for all portals at once).

    A counter's portal is the part of its name up to the next "/", unless a longer prefix is one of ``names``
    (a registry name may itself hold a "/")."""
    known = {n for n in names if "/" in n}
    out: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        if key.startswith(PORTAL_PREFIX):
            rest = key[len(PORTAL_PREFIX):]
            portal = next((n for n in known if rest.startswith(n + "/")), rest.partition("/")[0])
            out.setdefault(portal, {})[rest[len(portal) + 1:]] = value
    return out


def _column(counter: str) -> str:
    return counter.replace("/", "_")


def portal_rows(run_id: int, stats: dict[str, Any], portals: Sequence[str],
                counters: Sequence[str] = RunPortal.COUNTERS) -> list[dict[str, Any]]:
    """One row per portal the run was given (zeros when it counted nothing there) or counted anything for, with
    the ``counters`` named (a migration names those its table has)."""
    found = by_portal(stats, portals)
    return [{"run_id": run_id, "portal": portal, **{_column(c): _int(found.get(portal, {}).get(c)) for c in counters}}
            for portal in dict.fromkeys([*portals, *found])]


# a row's counter columns in ``COUNTERS`` order, to select them and read them back with ``as_counters``
COUNTER_COLUMNS = tuple(getattr(RunPortal, _column(c)) for c in RunPortal.COUNTERS)


def as_counters(values: Sequence[int]) -> dict[str, int]:
    """A ``crawl_run_portal`` row's ``COUNTER_COLUMNS`` back under the counter names the stats use (what
    ``nianbao.health`` reads)."""
    return dict(zip(RunPortal.COUNTERS, values, strict=True))


def write_portal_rows(s: Session | Connection, run_id: int, stats: dict[str, Any], portals: Sequence[str]) -> None:
    """Replace the run's rows with those of ``stats`` (a run closed twice keeps its last counters)."""
    s.execute(delete(RunPortal).where(RunPortal.run_id == run_id))
    rows = portal_rows(run_id, stats, portals)
    if rows:
        s.execute(insert(RunPortal), rows)


def backfill_run_portals(conn: Connection, runs: TableClause, table: TableClause, counters: Sequence[str],
                         batch: int = BACKFILL_BATCH) -> int:
    """Rows in ``table`` for every closed run in ``runs`` (``finished_at`` set) that has none yet, ``batch`` runs at
    a time; how many runs.

    The tables and counters are the caller's: migration 0011 passes its own definitions of the columns it knows
    (``sa.table``), so a later column on the models cannot break it; the benchmark passes the models'. Runs still
    open, and killed ones that never closed, get none: their pages read their stats as before."""
    done, last = 0, 0
    while True:
        found = conn.execute(
            select(runs.c.id, runs.c.portals, runs.c.stats)
            .where(runs.c.id > last, runs.c.finished_at.is_not(None), ~exists().where(table.c.run_id == runs.c.id))
            .order_by(runs.c.id).limit(batch)).all()
        if not found:
            return done
        rows = [row for run in found
                for row in portal_rows(run.id, dict(run.stats or {}), list(run.portals or ()), counters)]
        if rows:
            conn.execute(insert(table), rows)
        done, last = done + len(found), found[-1].id


def _int(value: Any) -> int:
    """A counter as stored (Scrapy's are ints; ``_jsonable`` may have made an odd one text)."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
