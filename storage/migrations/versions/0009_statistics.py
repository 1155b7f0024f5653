"""Statistics: the report's tables 二/三/四 as data, with the failed identities of the form.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = ("statistics",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_statistics",
        sa.Column("report_id", sa.Integer, sa.ForeignKey("report.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("statistics", sa.JSON, nullable=False),
        sa.Column("findings", sa.JSON, nullable=False),
        sa.Column("findings_count", sa.Integer, nullable=False),
        sa.Column("received", sa.Integer),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_report_statistics_findings_count", "report_statistics", ["findings_count"])
    op.create_index("ix_report_statistics_received", "report_statistics", ["received"])


def downgrade() -> None:
    op.drop_table("report_statistics")
