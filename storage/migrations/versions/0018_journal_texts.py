"""The journal (0017) also names a report whose title or body changed, for the term cache.

The term cache (storage.archive.termcache) keeps the ids of the reports holding a common query term and follows
the archive through the journal: it checks again only the reports the journal names. The archive never rewrites a
stored text (an edit is a new report and a version row, both journaled), but a plain ``UPDATE report SET body``
would otherwise leave the cache answering for the old text. Only the report table's update trigger changes: it
fires on an update of any of these columns whose value differs, as before.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_BEFORE = ("report_year", "organ", "published")
_AFTER = (*_BEFORE, "title", "body")


def _triggers(columns: tuple[str, ...]) -> None:
    """The report table's update trigger, journaling a change of any of ``columns``."""
    watched = ", ".join(columns)
    if op.get_bind().dialect.name == "postgresql":
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
        op.execute("DROP TRIGGER report_journal_update ON report")
        op.execute(f"CREATE TRIGGER report_journal_update AFTER UPDATE OF {watched} ON report FOR EACH ROW "
                   f"WHEN ({changed}) EXECUTE FUNCTION nianbao_journal_report()")
        return
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns)
    op.execute("DROP TRIGGER report_journal_au")
    op.execute(f"CREATE TRIGGER report_journal_au AFTER UPDATE OF {watched} ON report WHEN {changed} "
               "BEGIN INSERT INTO archive_journal (report_id, portal_id) VALUES (new.id, NULL); END")


def upgrade() -> None:
    _triggers(_AFTER)


def downgrade() -> None:
    _triggers(_BEFORE)
