"""Alembic itself on an archive's database, for tests of what a migration does to an existing archive."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from storage import Archive
from tests.support import ROOT


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "storage" / "migrations"))
    return cfg


def migrate(archive: Archive, revision: str) -> None:
    """To ``revision``: downgrade below the head, upgrade to it (``"heads"``)."""
    cfg = _config()
    with archive.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        if revision == "heads":
            command.upgrade(cfg, revision)
        else:
            command.downgrade(cfg, revision)
        conn.commit()


def revision_before(revision: str) -> str:
    """The revision ``revision`` follows (its one ``down_revision``)."""
    down = ScriptDirectory.from_config(_config()).get_revision(revision).down_revision
    assert isinstance(down, str)
    return down
