"""Attachments: files (PDF, DOCX, DOC/WPS, OFD, images) a report was published as or with.

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = ("attachments",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("report.id", ondelete="CASCADE"), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("mime", sa.String(200)),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("pages", sa.Integer),
        sa.Column("extractor", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("ocr", sa.Boolean, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("content_sha256", sa.String(64)),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("report_id", "url", name="uq_attachment_report_url"),
    )
    op.create_index("ix_attachment_report_id", "attachment", ["report_id"])
    op.create_index("ix_attachment_sha256", "attachment", ["sha256"])
    op.create_index("ix_attachment_status", "attachment", ["status"])


def downgrade() -> None:
    op.drop_table("attachment")
