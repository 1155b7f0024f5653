"""Kept lookups: the term cache's ids of the reports holding a common query term, stored for every process.

The term cache (storage.archive.termcache) kept a lookup in the memory of one process; every other web process,
and the same one after a restart, looked the term up again (0.3 s on SQLite, 1.6 s on PostgreSQL for a phrase
every report prints, at 100,000 reports). A row here holds the ids and the journal position they are exact at.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kept_lookup",
        sa.Column("terms", sa.Text, primary_key=True),
        sa.Column("ids", sa.LargeBinary, nullable=False),
        sa.Column("reports", sa.Integer, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("used", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kept_lookup_used", "kept_lookup", ["used"])


def downgrade() -> None:
    op.drop_table("kept_lookup")
