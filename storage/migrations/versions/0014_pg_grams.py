"""PostgreSQL: an exact character-gram index for search, and a per-database change counter for the facet index.

**Grams.** ``nianbao_report_grams(title, body)`` is every character bigram and trigram of the lower-cased title
and body, each packed into a ``bigint`` (code points of 21 bits each); ``ix_report_grams`` is a GIN index on it.
Array containment (``@>``) on a GIN index needs no recheck, so a 2- or 3-character term, whose own grams
contain it exactly, is answered from the index alone: no report text is read (pg_trgm's index is lossy: each of
its 13,000–35,000 candidates for a common trigram was de-TOASTed and rechecked). Longer terms use it to narrow
the candidates before ``strpos`` checks the text (storage.archive.pggrams). It replaces 0005's pg_trgm indexes,
which no query uses any more (they are dropped; the extension stays) and which depended on a UTF-8 LC_CTYPE
(code points do not). It is an expression index: nothing is stored in the table; a write computes the grams
once (5–8 ms for a 2,300-character report) and adds ~4,600 index entries. The functions are
the index's on-disk format: changing them needs a migration that recreates the index. Its declared COST (×10 a
plpgsql function's) makes the planner evaluate it on the fewest rows, i.e. through the index, never as a filter
after another index; higher, plans cross ``jit_above_cost`` and compiling them costs ~0.4 s a query.

**Change counter.** The facet index (storage.archive.facets) must rebuild whenever any report's facet values can
have changed. It compared ``pg_current_snapshot()``, which is server-wide, so writes to other databases on the
same server (tests, other archives) made it rebuild (1.4–2 s at 100,000 reports). Now statement triggers on the
five tables it reads add 1 to a row of ``archive_change`` in the writing transaction, which commits with it;
the marker is the sum. Each backend writes the row of its slot (process id mod 16), so concurrent writers rarely
wait on one row lock. SQLite needs neither (its marker is ``PRAGMA data_version``; 0013 has its bigrams). Like
SQLite's FTS tables, these PostgreSQL-only objects are not in the models (tests/storage/test_storage.py skips
them when comparing).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TRGM = {"ix_report_title_trgm": "title", "ix_report_body_trgm": "body"}  # 0005's, superseded (PostgreSQL)

TRACKED = ("report", "sighting", "portal", "attachment", "report_statistics")  # what the facet index reads

_FUNCTIONS = """
CREATE FUNCTION nianbao_grams(doc text) RETURNS bigint[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE c bigint[] := ARRAY(SELECT ascii(ch) FROM unnest(string_to_array(doc, NULL)) AS ch);
BEGIN
  RETURN ARRAY(SELECT (x << 21) | y FROM unnest(c, c[2:]) AS u(x, y) WHERE y IS NOT NULL)
      || ARRAY(SELECT (x << 42) | (y << 21) | z FROM unnest(c, c[2:], c[3:]) AS u(x, y, z) WHERE z IS NOT NULL);
END $$;
CREATE FUNCTION nianbao_report_grams(title text, body text) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 1000 SET search_path FROM CURRENT AS $$
  SELECT coalesce(nianbao_grams(lower(title)), '{}') || coalesce(nianbao_grams(lower(body)), '{}')
$$;
CREATE FUNCTION nianbao_archive_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO archive_change AS c (slot, n) VALUES (pg_backend_pid() % 16, 1)
  ON CONFLICT (slot) DO UPDATE SET n = c.n + 1;
  RETURN NULL;
END $$;
"""


def upgrade() -> None:
    for name in TRGM:  # empty on SQLite (WHERE 0); on PostgreSQL 390 MB at 100,000 reports that no query uses now
        op.drop_index(name, table_name="report")
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table("archive_change", sa.Column("slot", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("n", sa.BigInteger, nullable=False))
    op.execute(_FUNCTIONS)
    op.execute("CREATE INDEX ix_report_grams ON report USING gin (nianbao_report_grams(title, body))")
    # no statistics on the expression: ANALYZE (and autovacuum's) would compute the grams of its whole sample
    # (30,000 reports: minutes); the planner's default estimate is fine, the query forces bitmap scans anyway
    op.execute("ALTER INDEX ix_report_grams ALTER COLUMN 1 SET STATISTICS 0")
    for name in TRACKED:
        op.execute(f"CREATE TRIGGER {name}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {name} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION nianbao_archive_changed()")


def downgrade() -> None:
    for name, column in TRGM.items():
        op.create_index(name, "report", [column], postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"},
                        sqlite_where=sa.text("0"))
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in TRACKED:
        op.execute(f"DROP TRIGGER {name}_changed ON {name}")
    op.execute("DROP INDEX ix_report_grams")
    op.execute("DROP FUNCTION nianbao_archive_changed(), nianbao_report_grams(text, text), nianbao_grams(text)")
    op.drop_table("archive_change")
