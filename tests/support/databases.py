"""Test databases at the newest schema without running every migration for every test.

Migrating a new archive costs about 0.6 s on PostgreSQL and 0.05 s on SQLite; the suite opens hundreds. Each
pytest process (each xdist worker) migrates one template per backend the first time a test asks for one, and every
test gets a copy: ``CREATE DATABASE … TEMPLATE`` on PostgreSQL, a file copy on SQLite. The templates are built by the
migrations of the code under test in the same run, so they always match it (nothing is kept between runs), and
each worker owns its own, so workers never wait for or race each other. A test of what the first open of an empty
database does asks for an empty one instead (``empty_db_url`` in tests/conftest.py).

Test databases commit without waiting for the disk (``synchronous_commit = off``: a server crash may lose the last
commits, which no test looks at); a commit then takes about 0.3 ms instead of 2–3 ms.
"""

from __future__ import annotations

import shutil
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage import Archive
from storage.session import dispose_engine
from tests.support.commands import PG_URL

_ENCODING = "ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"  # a copy keeps its template's


def _admin(sql: str) -> None:
    assert PG_URL, "NIANBAO_TEST_PG_URL is not set"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")  # CREATE/DROP DATABASE refuse a transaction
    try:
        with admin.connect() as conn:
            conn.execute(text(sql))
    finally:
        admin.dispose()


def create_pg_database(template: str | None = None) -> str:
    """A new database on the test server, empty (UTF-8, C collation) or a copy of ``template``; its URL."""
    assert PG_URL, "NIANBAO_TEST_PG_URL is not set"
    name = f"nianbao_test_{uuid.uuid4().hex[:12]}"
    _admin(f"CREATE DATABASE {name} TEMPLATE {template}" if template
           else f"CREATE DATABASE {name} TEMPLATE template0 {_ENCODING}")
    _admin(f"ALTER DATABASE {name} SET synchronous_commit = off")  # not copied from the template
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    dispose_engine(url)
    _admin(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)")


def _migrated_pg_template() -> str:
    """A new database migrated to the newest revision, with no connection left open (a template must have none)."""
    url = create_pg_database()
    Archive(url)
    dispose_engine(url)
    database = make_url(url).database
    assert database
    return database


class PgDatabases:
    """Copies of one migrated template, made and dropped by threads of this process while tests run.

    Both statements wait for the disk: a copy is written through the write-ahead log, and every DROP DATABASE asks
    for a checkpoint (``pg_stat_bgwriter.checkpoints_req`` counts one per drop), which takes a second or more
    while other jobs write to the server. So the next test's copy is made while this one runs, and used copies are
    dropped in the background, several at once when they queue up (one checkpoint serves the drops waiting for it:
    four drops took 0.08–0.17 s at once, 0.5–0.8 s one after another).
    """

    def __init__(self) -> None:
        self.template = _migrated_pg_template()
        self._threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pg-databases")
        self._spare = self._threads.submit(create_pg_database, self.template)
        self._drops: list[Future[None]] = []

    def take(self) -> str:
        """A new database at the newest schema, empty; its URL."""
        spare, self._spare = self._spare, self._threads.submit(create_pg_database, self.template)
        return spare.result()

    def give_back(self, url: str) -> None:
        """Drop the database, later."""
        self._drops.append(self._threads.submit(drop_pg_database, url))

    def close(self) -> None:
        """Drop every database made here, the template last; raise what a drop raised."""
        if self._spare.exception() is None:
            self.give_back(self._spare.result())
        self._threads.shutdown(wait=True)
        for drop in self._drops:
            drop.result()
        assert PG_URL
        drop_pg_database(make_url(PG_URL).set(database=self.template).render_as_string(hide_password=False))


def migrated_sqlite_template(path: Path) -> Path:
    """A SQLite archive at ``path`` migrated to the newest revision and closed (its write-ahead log folded in)."""
    url = f"sqlite:///{path}"
    Archive(url)
    dispose_engine(url)
    return path


def copy_sqlite(template: Path, path: Path) -> str:
    """A copy of the ``template`` archive at ``path``; its URL."""
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"
