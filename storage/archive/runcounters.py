"""A run's per-portal counters as rows (``crawl_run_portal``): split out of the run's stats when it closes, and
backfilled for runs closed before the table existed (migration 0011).

The crawl counts per portal under ``nianbao/portal/NAME/…`` (``pipelines.components.count``) and stores the lot
as one JSON document per run; :func:`by_portal` is the one place that splits such a document by portal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, exists, insert, select
from sqlalchemy.orm import Session

from storage.models import CrawlRun, RunPortal

PORTAL_PREFIX = "nianbao/portal/"  # the per-portal counters' names (pipelines.components.count)
BACKFILL_BATCH = 50  # runs read at once: a crawl of every portal carries ~1.3 MB of stats


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


def portal_rows(run_id: int, stats: dict[str, Any], portals: Sequence[str]) -> list[dict[str, Any]]:
    """One row per portal the run was given (zeros when it counted nothing there) or counted anything for."""
    counters = by_portal(stats, portals)
    return [{"run_id": run_id, "portal": portal,
             **{_column(c): _int(counters.get(portal, {}).get(c)) for c in RunPortal.COUNTERS}}
            for portal in dict.fromkeys([*portals, *counters])]


def as_counters(row: Any) -> dict[str, int]:
    """A ``crawl_run_portal`` row back under the counter names the stats use (what ``nianbao.health`` reads)."""
    return {c: getattr(row, _column(c)) for c in RunPortal.COUNTERS}


def write_portal_rows(s: Session | Connection, run_id: int, stats: dict[str, Any], portals: Sequence[str]) -> None:
    """Replace the run's rows with those of ``stats`` (a run closed twice keeps its last counters)."""
    s.execute(delete(RunPortal).where(RunPortal.run_id == run_id))
    rows = portal_rows(run_id, stats, portals)
    if rows:
        s.execute(insert(RunPortal), rows)


def backfill_run_portals(conn: Connection, batch: int = BACKFILL_BATCH) -> int:
    """Rows for every closed run (``finished_at`` set) that has none yet, ``batch`` runs at a time; how many runs.

    Runs still open, and killed ones that never closed, get none: their pages read their stats as before."""
    done, last = 0, 0
    while True:
        runs = conn.execute(
            select(CrawlRun.id, CrawlRun.portals, CrawlRun.stats)
            .where(CrawlRun.id > last, CrawlRun.finished_at.is_not(None),
                   ~exists().where(RunPortal.run_id == CrawlRun.id))
            .order_by(CrawlRun.id).limit(batch)).all()
        if not runs:
            return done
        rows = [row for run in runs for row in portal_rows(run.id, dict(run.stats or {}), list(run.portals or ()))]
        if rows:
            conn.execute(insert(RunPortal), rows)
        done, last = done + len(runs), runs[-1].id


def _int(value: Any) -> int:
    """A counter as stored (Scrapy's are ints; ``_jsonable`` may have made an odd one text)."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
