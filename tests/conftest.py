"""Shared fixtures: archives on SQLite (always) and PostgreSQL (when NIANBAO_TEST_PG_URL is set),
the demo portals over real loopback HTTP, and a runner for the real `nianbao`/`scrapy` commands."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nianbao.demo import DemoServer, broken_portals, demo_portals
from storage.session import dispose_engine
from tests.support import ROOT
from tests.support.commands import PG_URL, run_cmd


@pytest.fixture(autouse=True)
def _own_working_directory(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs in an empty directory of its own (not its ``tmp_path``, which tests list).

    A PostgreSQL archive keeps its HTTP cache, Atom feed and files in the working directory (storage/paths.py):
    run from the repository root, every PostgreSQL crawl of the suite shared one ``./nianbao.httpcache`` (a
    later test could revalidate against an earlier one's cache) and, under pytest-xdist, workers wrote it at once.
    """
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'archive.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh UTF-8 database on the test server, dropped afterwards."""
    if not PG_URL:
        pytest.skip("NIANBAO_TEST_PG_URL is not set (PostgreSQL tests run in CI)")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"nianbao_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                          "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        dispose_engine(url)
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on both backends (PostgreSQL skips without a server)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'archive.db'}"
    return request.getfixturevalue("pg_url")


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
