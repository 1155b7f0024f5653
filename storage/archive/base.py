"""What every part of the archive shares: one engine per URL, read sessions, the dialect's INSERT."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite

from storage.session import get_engine, read_sessions


def _insert(engine: Engine) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


class ArchiveBase:
    """An engine (schema upgraded) and read sessions; the concerns below add their methods."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = get_engine(self.url)
        self._read = read_sessions(self.engine)
        self._portal_ids: dict[str, int] = {}  # registry name → id, filled by Reports._portal_id
