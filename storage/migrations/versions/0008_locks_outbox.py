"""Per-portal crawl locks and the webhook outbox (undelivered notifications wait for the next run).

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "portal_lock",
        sa.Column("portal", sa.String(100), primary_key=True),
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("pid", sa.BigInteger, nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("acquired_at", ts, nullable=False),
        sa.Column("heartbeat_at", ts, nullable=False),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(300)),
    )


def downgrade() -> None:
    op.drop_table("notification")
    op.drop_table("portal_lock")
