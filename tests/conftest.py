"""Shared fixtures: archives on SQLite (always) and PostgreSQL (when NIANBAO_TEST_PG_URL is set),
the demo portals over real loopback HTTP, and a runner for the real `nianbao`/`scrapy` commands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nianbao.demo import DemoServer, broken_portals, demo_portals
from tests.support import ROOT
from tests.support.commands import PG_URL, run_cmd
from tests.support.databases import (
    PgDatabases,
    copy_sqlite,
    create_pg_database,
    drop_pg_database,
    migrated_sqlite_template,
)


@pytest.fixture(autouse=True)
def _own_working_directory(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs in an empty directory of its own (not its ``tmp_path``, which tests list).

    A PostgreSQL archive keeps its HTTP cache, Atom feed and files in the working directory (storage/paths.py):
    run from the repository root, every PostgreSQL crawl of the suite shared one ``./nianbao.httpcache`` (a
    later test could revalidate against an earlier one's cache) and, under pytest-xdist, workers wrote it at once.
    """
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


def _needs_pg() -> None:
    if not PG_URL:
        pytest.skip("NIANBAO_TEST_PG_URL is not set (PostgreSQL tests run in CI)")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """Where a SQLite archive goes: no file yet (the first ``Archive`` makes and migrates it)."""
    return f"sqlite:///{tmp_path / 'archive.db'}"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Per worker: a migrated SQLite archive, copied for each test (tests/support/databases.py)."""
    return migrated_sqlite_template(tmp_path_factory.mktemp("template") / "archive.db")


@pytest.fixture(scope="session")
def _pg_databases() -> Iterator[PgDatabases]:
    """Per worker: a migrated PostgreSQL template and a thread that copies it and drops used copies."""
    _needs_pg()
    databases = PgDatabases()
    yield databases
    databases.close()


@pytest.fixture
def pg_url(_pg_databases: PgDatabases) -> Iterator[str]:
    """A fresh database on the test server, at the newest schema and empty, dropped afterwards."""
    url = _pg_databases.take()
    yield url
    _pg_databases.give_back(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty archive at the newest schema on each backend (PostgreSQL skips without a server)."""
    if request.param == "sqlite":
        return copy_sqlite(request.getfixturevalue("_sqlite_template"), tmp_path / "archive.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet on each backend, for tests of what the first open does."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.db'}"
        return
    _needs_pg()
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture(scope="session")
def demo() -> Iterator[DemoServer]:
    server = DemoServer(demo_portals())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def broken_demo() -> Iterator[DemoServer]:
    server = DemoServer([*demo_portals(), *broken_portals()])
    server.start()
    yield server
    server.stop()


__all__ = ["PG_URL", "ROOT", "run_cmd"]  # fixtures above; helpers live in tests.support
