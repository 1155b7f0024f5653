"""Initial schema: portal registry, reports (unique content), sightings, crawl runs, FTS5 index.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_FTS = [
    "CREATE VIRTUAL TABLE report_fts USING fts5(title, body, content='report', content_rowid='id',"
    " tokenize='trigram')",
    "CREATE TRIGGER report_fts_ai AFTER INSERT ON report BEGIN"
    " INSERT INTO report_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER report_fts_ad AFTER DELETE ON report BEGIN"
    " INSERT INTO report_fts(report_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);"
    " END",
    "CREATE TRIGGER report_fts_au AFTER UPDATE ON report BEGIN"
    " INSERT INTO report_fts(report_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);"
    " INSERT INTO report_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
]


def _has_fts5_trigram(bind: sa.Connection) -> bool:
    """FTS5's trigram tokenizer ships with SQLite 3.34+; older builds fall back to LIKE scans."""
    try:
        bind.exec_driver_sql("CREATE VIRTUAL TABLE temp._probe USING fts5(x, tokenize='trigram')")
        bind.exec_driver_sql("DROP TABLE temp._probe")
    except sa.exc.OperationalError:
        return False
    return True


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "portal",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200)),
        sa.Column("homepage", sa.String(2000)),
        sa.Column("column_urls", sa.JSON, nullable=False),
        sa.Column("region", sa.String(200)),
        sa.Column("region_code", sa.String(12)),
        sa.Column("level", sa.String(40)),
        sa.Column("cms", sa.String(40)),
        sa.Column("created_at", ts, nullable=False),
    )
    op.create_table(
        "crawl_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", ts, nullable=False),
        sa.Column("finished_at", ts),
        sa.Column("finish_reason", sa.String(60)),
        sa.Column("portals", sa.JSON, nullable=False),
        sa.Column("stats", sa.JSON, nullable=False),
        sa.Column("errors", sa.JSON, nullable=False),
        sa.Column("pid", sa.BigInteger),
        sa.Column("host", sa.String(255)),
    )
    op.create_table(
        "report",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("content_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.Text),
        sa.Column("organ", sa.String(200)),
        sa.Column("report_year", sa.Integer),
        sa.Column("report_year_source", sa.String(20), nullable=False),
        sa.Column("published", sa.Date),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("first_seen", ts, nullable=False),
    )
    op.create_index("ix_report_report_year", "report", ["report_year"])
    op.create_index("ix_report_published", "report", ["published"])
    op.create_table(
        "sighting",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False, unique=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("report.id", ondelete="CASCADE"), nullable=False),
        sa.Column("portal_id", sa.Integer, sa.ForeignKey("portal.id", ondelete="SET NULL")),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("crawl_run.id", ondelete="SET NULL")),
        sa.Column("http_status", sa.Integer),
        sa.Column("first_seen", ts, nullable=False),
        sa.Column("last_seen", ts, nullable=False),
    )
    op.create_index("ix_sighting_report_id", "sighting", ["report_id"])
    op.create_index("ix_sighting_portal_id", "sighting", ["portal_id"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and _has_fts5_trigram(bind):
        for statement in _FTS:
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("report_fts_ai", "report_fts_ad", "report_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS report_fts")
    op.drop_table("sighting")
    op.drop_table("report")
    op.drop_table("crawl_run")
    op.drop_table("portal")
