"""SQLite: a bigram index for query terms of one or two characters (``storage.bigrams``); nothing on PostgreSQL.

``report_bigram`` is a contentless FTS5 table (``detail=none``: which reports hold a token, nothing more) of
every character and adjacent pair of each report's title and body, kept in step with ``report`` by triggers
like ``report_fts``'s (0001), but only when the title or body changes. Its tokens come from
``storage.bigrams.grams``, registered on every connection of ours and, for a plain ``alembic`` run, here; that
function is the index's on-disk format, so a change to it needs a migration that rebuilds the table. Archives
whose SQLite has no FTS5 trigram tokenizer (no ``report_fts``) get no bigram table either and keep scanning.

The backfill indexes every existing report: at 100,000 reports (230 M characters) ≈ 6 min of CPU and +204 MB
(+10 %) of archive file (docs/benchmarks.md).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from storage.bigrams import FUNCTION, register

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_INSERT = f"INSERT INTO report_bigram(rowid, grams) VALUES (new.id, {FUNCTION}(new.title, new.body));"
_DELETE = (f"INSERT INTO report_bigram(report_bigram, rowid, grams) VALUES ('delete', old.id, {FUNCTION}(old.title,"
           " old.body));")
_TRIGGERS = {
    "report_bigram_ai": f"AFTER INSERT ON report BEGIN {_INSERT} END",
    "report_bigram_ad": f"AFTER DELETE ON report BEGIN {_DELETE} END",
    "report_bigram_au": f"AFTER UPDATE OF title, body ON report BEGIN {_DELETE} {_INSERT} END",
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not sa.inspect(bind).has_table("report_fts"):
        return
    register(bind.connection.driver_connection)  # type: ignore[arg-type]
    op.execute("CREATE VIRTUAL TABLE report_bigram USING fts5(grams, content='', detail='none', columnsize=0,"
               " tokenize='ascii')")
    op.execute(f"INSERT INTO report_bigram(rowid, grams) SELECT id, {FUNCTION}(title, body) FROM report")
    for name, body in _TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS report_bigram")
