"""Schema upgrades: heads read from the migration files are Alembic's; a current archive opens without Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from storage import Archive
from storage.session import schema_heads
from tests.support import ROOT

OPEN_WITHOUT_ALEMBIC = """
import sys
from storage import Archive
Archive(sys.argv[1]).count_reports()
print(sorted(m for m in sys.modules if m.split(".")[0] == "alembic"))
"""


def test_heads_read_from_the_files_are_alembics() -> None:
    assert schema_heads() == set(ScriptDirectory(str(ROOT / "storage" / "migrations")).get_heads())


def test_a_current_archive_opens_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    Archive(url)  # a new archive: upgraded to the newest schema here, with Alembic
    done = subprocess.run([sys.executable, "-c", OPEN_WITHOUT_ALEMBIC, url], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_new_archive_is_upgraded_in_a_fresh_process(tmp_path: Path) -> None:
    """The other half: where the schema is behind, the lazily imported Alembic does run the migrations."""
    url = f"sqlite:///{tmp_path / 'b.db'}"
    done = subprocess.run([sys.executable, "-c", OPEN_WITHOUT_ALEMBIC, url], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert "alembic.command" in done.stdout
    assert Archive(url).count_reports() == 0
