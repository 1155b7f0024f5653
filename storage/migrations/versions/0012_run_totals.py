"""The run-wide counters a list of runs shows as crawl_run columns, backfilled from every closed run's stats.

The run list read pages fetched, reports new and changed and errors out of each of its 50 runs' whole stats
document (megabytes for a crawl of every portal); ``Archive.finish_run`` now writes them as columns with the
close. The backfill runs in Python, a batch of runs at a time, through this migration's own table definition
(``sa.table``): a snapshot of ``storage.archive.runcounters.run_totals`` as of this revision, so later changes to
the models or that function cannot change what it does. Runs still open (or killed before they closed) keep NULL
and are read from their stats.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TOTALS = {"downloader/response_count": "pages_fetched", "nianbao/reports/new": "reports_new",
           "nianbao/reports/changed": "reports_changed", "nianbao/errors": "error_count"}
_RUNS = sa.table("crawl_run", sa.column("id", sa.Integer), sa.column("finished_at", sa.DateTime),
                 sa.column("stats", sa.JSON), sa.column("errors", sa.JSON),
                 *(sa.column(name, sa.Integer) for name in _TOTALS.values()))
_BATCH = 50  # runs read at once: a crawl of every portal carries ~1.3 MB of stats


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _totals(stats: dict[str, Any], errors: list[Any]) -> dict[str, int]:
    totals = {column: _int(stats.get(key)) for key, column in _TOTALS.items()}
    return {**totals, "error_count": max(totals["error_count"], len(errors))}  # the kept list is capped


def upgrade() -> None:
    with op.batch_alter_table("crawl_run") as batch:
        for name in _TOTALS.values():
            batch.add_column(sa.Column(name, sa.Integer, nullable=True))
    conn, last = op.get_bind(), 0
    while True:
        runs = conn.execute(sa.select(_RUNS.c.id, _RUNS.c.stats, _RUNS.c.errors)
                            .where(_RUNS.c.id > last, _RUNS.c.finished_at.is_not(None))
                            .order_by(_RUNS.c.id).limit(_BATCH)).all()
        if not runs:
            return
        for run in runs:
            conn.execute(sa.update(_RUNS).where(_RUNS.c.id == run.id)
                         .values(**_totals(dict(run.stats or {}), list(run.errors or ()))))
        last = runs[-1].id


def downgrade() -> None:
    with op.batch_alter_table("crawl_run") as batch:
        for name in _TOTALS.values():
            batch.drop_column(name)
