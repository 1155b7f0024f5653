"""A journal of the reports and portals whose indexed values changed, so the in-memory indexes update just those.

The facet index and the compliance grid (storage.archive.facets, storage.archive.compliance) are built from the
whole archive in memory and were rebuilt whenever the archive's change marker moved: 1.3–2.3 s for the first page
after any commit at 100,000 reports (a crawl commits every few seconds). Triggers now add one ``archive_journal``
row per report or portal whose values those indexes read, in the writing transaction: a report stored, deleted,
or given another year, organ or publish date; a sighting, attachment, statistics row or version added, removed
or moved to another report or portal; a portal registered, removed or renamed or moved to another region or
level. Updates that change none of those values (a re-crawl's ``last_seen``) write nothing. A TRUNCATE
(PostgreSQL) writes one row naming nothing, which means "read everything again".

PostgreSQL's rows carry the writing transaction's id: sequence values are taken before commit, so a row with a
lower ``seq`` can commit after one with a higher; a reader keeps the oldest transaction still running when it
last read and next reads every row from that one on (storage.archive.changes). The statement trigger of 0014
(the change marker) is added to ``report_version`` too, which the compliance grid reads.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# table → its journal rows, each (the column naming a report, the column naming a portal), and the columns whose
# change is journaled. A sighting's row names both: the compliance grid groups organs by portal, and a sighting
# deleted or moved leaves no other trace of the portal it was on.
JOURNALED: dict[str, tuple[tuple[tuple[str | None, str | None], ...], tuple[str, ...]]] = {
    "report": ((("id", None),), ("report_year", "organ", "published")),
    "sighting": ((("report_id", "portal_id"),), ("report_id", "portal_id")),
    "attachment": ((("report_id", None),), ("report_id", "format")),
    "report_statistics": ((("report_id", None),), ("report_id", "findings_count")),
    "report_version": ((("old_report_id", None), ("new_report_id", None)), ("old_report_id", "new_report_id")),
    "portal": (((None, "id"),), ("name", "display_name", "region", "region_code", "level")),
}


def _row(row: str, pair: tuple[str | None, str | None], xid: str) -> str:
    return ", ".join(f"{row}.{c}" if c else "NULL" for c in pair) + xid


def _values(table: str, row: str, xid: str) -> str:
    rows = ", ".join(f"({_row(row, pair, xid)})" for pair in JOURNALED[table][0])
    return f"INSERT INTO archive_journal ({_columns(xid)}) VALUES {rows};"


def _moved(table: str, xid: str, differ: str) -> str:
    """An update: the old row too, when the row now names another report or portal (a sighting moved)."""
    return " ".join(f"INSERT INTO archive_journal ({_columns(xid)}) SELECT {_row('old', pair, xid)} WHERE "
                    + " OR ".join(f"old.{c} {differ} new.{c}" for c in pair if c) + ";"
                    for pair in JOURNALED[table][0] if "id" not in pair)


def _columns(xid: str) -> str:
    return "report_id, portal_id" + (", xid" if xid else "")


def _sqlite(table: str) -> dict[str, str]:
    watched = JOURNALED[table][1]
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in watched)
    return {f"{table}_journal_ai": f"AFTER INSERT ON {table} BEGIN {_values(table, 'new', '')} END",
            f"{table}_journal_ad": f"AFTER DELETE ON {table} BEGIN {_values(table, 'old', '')} END",
            f"{table}_journal_au": f"AFTER UPDATE OF {', '.join(watched)} ON {table} WHEN {changed} "
                                   f"BEGIN {_values(table, 'new', '')} {_moved(table, '', 'IS NOT')} END"}


def _postgresql(table: str) -> str:
    watched = JOURNALED[table][1]
    xid = ", pg_current_xact_id()::text::bigint"
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in watched)
    moved = _moved(table, xid, "IS DISTINCT FROM")
    return f"""
CREATE FUNCTION nianbao_journal_{table}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN {_values(table, 'OLD', xid)}
  ELSE {_values(table, 'NEW', xid)}{f" IF TG_OP = 'UPDATE' THEN {moved} END IF;" if moved else ""}
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER {table}_journal AFTER INSERT OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION nianbao_journal_{table}();
CREATE TRIGGER {table}_journal_update AFTER UPDATE OF {', '.join(watched)} ON {table}
  FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION nianbao_journal_{table}();
CREATE TRIGGER {table}_journal_truncate AFTER TRUNCATE ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION nianbao_journal_everything();
"""


_EVERYTHING = """
CREATE FUNCTION nianbao_journal_everything() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO archive_journal (xid) VALUES (pg_current_xact_id()::text::bigint);
  RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.create_table("archive_journal",
                    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
                    sa.Column("report_id", sa.Integer), sa.Column("portal_id", sa.Integer),
                    sa.Column("xid", sa.BigInteger))
    op.create_index("ix_archive_journal_xid", "archive_journal", ["xid"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_EVERYTHING)
        for table in JOURNALED:
            op.execute(_postgresql(table))
        op.execute("CREATE TRIGGER report_version_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "
                   "report_version FOR EACH STATEMENT EXECUTE FUNCTION nianbao_archive_changed()")
        return
    for table in JOURNALED:
        for name, body in _sqlite(table).items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER report_version_changed ON report_version")
        for table in JOURNALED:
            for suffix in ("", "_update", "_truncate"):
                op.execute(f"DROP TRIGGER {table}_journal{suffix} ON {table}")
            op.execute(f"DROP FUNCTION nianbao_journal_{table}()")
        op.execute("DROP FUNCTION nianbao_journal_everything()")
    else:
        for table in JOURNALED:
            for name in _sqlite(table):
                op.execute(f"DROP TRIGGER {name}")
    op.drop_table("archive_journal")
