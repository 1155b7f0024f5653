"""Per-portal run counters as rows (crawl_run_portal), backfilled from every closed run's stats.

The portal page read one portal's counters out of each run's whole stats document (megabytes for a crawl of
every portal); this table holds them one row per run and portal. The backfill runs in Python, a batch of runs
at a time, with the splitting the crawl's close uses (storage.archive.runcounters), so SQLite and PostgreSQL
fill it alike. The backfill writes through this migration's own table definitions (``sa.table``), never the
models: a column added to the models later must not break it. What it imports from runcounters only turns
counter names into columns and runs through the tables it is given.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from storage.archive.runcounters import backfill_run_portals

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# the counters as the crawl names them; a column's name is the counter's with "/" as "_"
_COUNTERS = ("list_pages", "list_pages_capped", "links/report", "links/related", "links/other", "extracted",
             "reports/new", "reports/changed", "reports/unchanged", "reports/withdrawn", "errors",
             "hostile/challenged", "hostile/gone", "hostile/trapped")
_COLUMNS = tuple(c.replace("/", "_") for c in _COUNTERS)
_RUNS = sa.table("crawl_run", sa.column("id", sa.Integer), sa.column("finished_at", sa.DateTime),
                 sa.column("portals", sa.JSON), sa.column("stats", sa.JSON))
_ROWS = sa.table("crawl_run_portal", sa.column("run_id", sa.Integer), sa.column("portal", sa.Text),
                 *(sa.column(name, sa.Integer) for name in _COLUMNS))


def upgrade() -> None:
    op.create_table(
        "crawl_run_portal",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("crawl_run.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("portal", sa.Text, primary_key=True),
        *(sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in _COLUMNS),
    )
    op.create_index("ix_crawl_run_portal_portal_run", "crawl_run_portal", ["portal", "run_id"])
    backfill_run_portals(op.get_bind(), _RUNS, _ROWS, _COUNTERS)


def downgrade() -> None:
    op.drop_table("crawl_run_portal")
