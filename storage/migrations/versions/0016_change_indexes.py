"""Indexes for the newest changes: what the Atom feeds and portal pages list, newest first.

``Archive.recent_changes`` orders reports by ``first_seen``, versions by ``seen_at`` and withdrawn sightings by
``withdrawn_at``, and none was indexed: every feed sorted the whole table. On PostgreSQL that was cheap enough
(48 ms at 100,000 reports: its rows are narrow, bodies live in TOAST), but SQLite keeps a body inline, before
``first_seen``, so reading each report's ``first_seen`` walked its body's overflow pages: 364 ms for the archive's
feed, 400 ms for a portal's. Withdrawn sightings are few, hence a partial index.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_WITHDRAWN = sa.text("withdrawn_at IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_report_first_seen", "report", ["first_seen"])
    op.create_index("ix_report_version_seen_at", "report_version", ["seen_at"])
    op.create_index("ix_sighting_withdrawn_at", "sighting", ["withdrawn_at"], sqlite_where=_WITHDRAWN,
                    postgresql_where=_WITHDRAWN)


def downgrade() -> None:
    op.drop_index("ix_sighting_withdrawn_at", table_name="sighting")
    op.drop_index("ix_report_version_seen_at", table_name="report_version")
    op.drop_index("ix_report_first_seen", table_name="report")
