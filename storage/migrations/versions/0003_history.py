"""Change history: every change of content at a URL, and withdrawn (never deleted) sightings.

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = ("history",)
depends_on = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "report_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("old_report_id", sa.Integer, sa.ForeignKey("report.id", ondelete="CASCADE"), nullable=False),
        sa.Column("new_report_id", sa.Integer, sa.ForeignKey("report.id", ondelete="CASCADE"), nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("crawl_run.id", ondelete="SET NULL")),
        sa.Column("seen_at", ts, nullable=False),
    )
    op.create_index("ix_report_version_url", "report_version", ["url"])
    op.create_index("ix_report_version_old_report_id", "report_version", ["old_report_id"])
    op.create_index("ix_report_version_new_report_id", "report_version", ["new_report_id"])
    with op.batch_alter_table("sighting") as batch:
        batch.add_column(sa.Column("withdrawn_at", ts))
        batch.add_column(sa.Column("withdrawn_reason", sa.String(300)))


def downgrade() -> None:
    with op.batch_alter_table("sighting") as batch:
        batch.drop_column("withdrawn_reason")
        batch.drop_column("withdrawn_at")
    op.drop_table("report_version")
