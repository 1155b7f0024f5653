"""Portal health as the crawler saw it: status with evidence, verification, discovered columns.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = ("portals",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("portal") as batch:
        batch.add_column(sa.Column("status", sa.String(20)))
        batch.add_column(sa.Column("status_evidence", sa.JSON))
        batch.add_column(sa.Column("status_since", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("verified", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("discovered_columns", sa.JSON))
        batch.add_column(sa.Column("challenged_runs", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("portal") as batch:
        for name in ("challenged_runs", "discovered_columns", "verified", "status_since", "status_evidence",
                     "status"):
            batch.drop_column(name)
