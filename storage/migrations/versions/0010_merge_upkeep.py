"""Join the branches of the second round (locks and outbox, statistics, field bounds) into one head.

Revision ID: 0010
Revises: 0008, 0009
Create Date: 2026-12-06
"""

revision = "0010"
down_revision = ("0008", "0009")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
