"""Search: pg_trgm GIN indexes on report title and body (PostgreSQL); nothing to do on SQLite.

On PostgreSQL a ``LIKE``/``ILIKE '%term%'`` can use a trigram GIN index, which makes substring search
over Chinese text (no spaces between words) fast without any word-splitting. SQLite already has its
FTS5 trigram table from 0001. The two indexes are declared on SQLite too, but partial with ``WHERE 0``
(empty, free), so that one set of models describes both backends.

pg_trgm only extracts trigrams from characters the database's LC_CTYPE calls alphanumeric: with a
non-UTF-8 LC_CTYPE (e.g. ``C``) Chinese characters give no trigrams, the index cannot help, and every
search scans (still correct, only slow). ``storage.archive.search.backend_warnings`` says so.

Revision ID: 0005
Revises: 0001
Create Date: 2026-12-02
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = ("search",)
depends_on = None

INDEXES = {"ix_report_title_trgm": "title", "ix_report_body_trgm": "body"}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        ctype = bind.exec_driver_sql("SELECT datctype FROM pg_database WHERE datname = current_database()").scalar()
        if "utf" not in str(ctype).lower():
            logging.getLogger("nianbao.search").warning(
                "database LC_CTYPE is %r, not UTF-8: pg_trgm indexes cannot help Chinese searches, which will scan",
                ctype)
    for name, column in INDEXES.items():
        op.create_index(name, "report", [column], postgresql_using="gin",
                        postgresql_ops={column: "gin_trgm_ops"}, sqlite_where=sa.text("0"))


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="report")
