"""Per-portal run counters as rows (crawl_run_portal), backfilled from every closed run's stats.

The portal page read one portal's counters out of each run's whole stats document (megabytes for a crawl of
every portal); this table holds them one row per run and portal. The backfill runs in Python, a batch of runs
at a time, with the splitting the crawl's close uses (storage.archive.runcounters), so SQLite and PostgreSQL
fill it alike.

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

_COUNTERS = ("list_pages", "list_pages_capped", "links_report", "links_related", "links_other", "extracted",
             "reports_new", "reports_changed", "reports_unchanged", "reports_withdrawn", "errors",
             "hostile_challenged", "hostile_gone", "hostile_trapped")


def upgrade() -> None:
    op.create_table(
        "crawl_run_portal",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("crawl_run.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("portal", sa.Text, primary_key=True),
        *(sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in _COUNTERS),
    )
    op.create_index("ix_crawl_run_portal_portal_run", "crawl_run_portal", ["portal", "run_id"])
    backfill_run_portals(op.get_bind())


def downgrade() -> None:
    op.drop_table("crawl_run_portal")
