"""Engines and schema upgrades for any SQLAlchemy URL (SQLite by default, PostgreSQL at scale).

SQLite needs three things to be safe with two crawls writing at once: WAL (readers never block the
writer), a busy timeout (a writer waits for the other instead of failing), and ``BEGIN IMMEDIATE``
for write transactions (a deferred transaction that later upgrades to a write lock can fail with
"database is locked" without waiting).
"""

from __future__ import annotations

import ast
import fcntl
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from storage import bigrams
from storage.errors import DatabaseError

_MIGRATIONS = Path(__file__).with_name("migrations")
# `revision = "0010"` / `down_revision = ("0008", "0009")` at the top of each migration
_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)
_WRITE = "nianbao_write"
_BACKENDS = ("sqlite", "postgresql")  # the archive's INSERT … ON CONFLICT and search exist for these two
_EXAMPLES = "sqlite:///path/to/nianbao.db or postgresql://user@host/dbname"


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: never corrupt; a power cut may lose the last commits
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()
        bigrams.register(dbapi_conn)  # the bigram index's triggers call it (migration 0013)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(url: str, *, create: bool = True) -> Engine:
    """One engine per URL per process, with the schema upgraded to the newest migration.

    Raises :class:`DatabaseError` (one line: what is wrong, how to fix it) for a URL that is not a
    database URL, a backend nianbao does not support, a missing driver or a database that cannot be
    reached. ``create=False`` is for read-only commands: a SQLite archive that does not exist yet is
    an error instead of a new empty file (and directory) that would hide a mistyped path.
    """
    with _ENGINES_LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = _open(url, create=create)
        return _ENGINES[url]


def dispose_engine(url: str) -> None:
    """Close an engine's pooled connections (e.g. before dropping a test database)."""
    with _ENGINES_LOCK:
        engine = _ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()


def check_url(url: str) -> URL:
    """The parsed URL, or :class:`DatabaseError` when it cannot name a nianbao archive."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"{url!r} is not a database URL: use {_EXAMPLES}") from None
    backend = parsed.get_backend_name()
    if backend not in _BACKENDS:
        raise DatabaseError(f"{_shown(parsed)}: nianbao archives on SQLite or PostgreSQL, not {backend!r}: "
                            f"use {_EXAMPLES}")
    if backend == "postgresql" and not parsed.database:
        raise DatabaseError(f"{_shown(parsed)} names no database: use postgresql://user@host/dbname")
    return parsed


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _open(url: str, *, create: bool) -> Engine:
    parsed = check_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            _sqlite_file(parsed, create)
            engine = _sqlite_engine(url)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise DatabaseError(f"{_shown(parsed)}: the database driver {parsed.get_driver_name()!r} is not installed "
                            f"({exc}); install it or use {_EXAMPLES}") from None
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseError(_unusable(parsed, exc)) from None
    return engine


def _sqlite_file(parsed: URL, create: bool) -> None:
    """Make the directory of a new SQLite archive, or refuse (``create=False``) when the file is missing."""
    if not parsed.database or parsed.database == ":memory:":
        return
    path = Path(parsed.database).expanduser()
    if not create and not path.is_file():
        raise DatabaseError(f"no archive at {path}: check --db, or create it by crawling into it "
                            "(nianbao crawl / nianbao demo)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create the archive's directory {path.parent}: {exc.strerror or exc}") from None


def _unusable(parsed: URL, exc: SQLAlchemyError) -> str:
    """One line for a database that cannot be connected to or opened, with the usual fix."""
    detail = str(exc.orig if isinstance(exc, DBAPIError) else exc).strip()
    lines = [line.strip() for line in detail.splitlines() if line.strip()]
    reason = lines[0] if lines else type(exc).__name__
    fatal = next((line for line in lines if "FATAL" in line or "does not exist" in line), None)
    if fatal:
        reason = fatal.split("FATAL:", 1)[-1].strip()
    hint = ""
    if "does not exist" in reason and "database" in reason:
        hint = f"; create it first: createdb {parsed.database}"
    elif "refused" in detail.lower():
        hint = f"; is the database server running and listening at {parsed.host or 'localhost'}:{parsed.port or 5432}?"
    elif "not a database" in detail:
        hint = "; --db must name a nianbao SQLite archive"
    return f"cannot open the archive {_shown(parsed)}: {reason}{hint}"


def schema_heads() -> frozenset[str]:
    """The newest revision(s) of the migrations, read from their files: those no other revision follows.

    Read without Alembic, which takes about a quarter of a second to import, so that opening an archive
    whose schema is current (every command but the first on a new archive) never imports it;
    ``tests/storage/test_migrate.py`` checks this against Alembic's own ``get_heads``.
    """
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in (_MIGRATIONS / "versions").glob("*.py"):
        fields = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" not in fields:
            continue
        revisions.add(ast.literal_eval(fields["revision"]))
        down = ast.literal_eval(fields.get("down_revision", "None"))
        followed.update((down,) if isinstance(down, str) else down or ())
    return frozenset(revisions - followed)


def _at_head(connection: Connection) -> bool:
    """Whether the archive's recorded revisions (Alembic's ``alembic_version`` table) are the newest."""
    if not inspect(connection).has_table("alembic_version"):
        return False
    current = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return current == schema_heads()


def _run_migrations(connection: Connection) -> None:
    """Alembic's ``upgrade heads`` on this connection (storage/migrations/env.py takes it from the config)."""
    # Imported here, not at the top: Alembic costs about 0.25 s of every command's start-up, and it is only
    # needed when an archive's schema is behind (see schema_heads).
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "heads")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise schema upgrades between processes: an advisory lock on PostgreSQL, a lock file
    beside the database on SQLite (Alembic commits between steps, so a transaction cannot hold it)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(741852)"))
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(741852)"))
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision(s); safe when several processes open a new archive at once.

    "heads", not "head": features developed side by side add migrations on parallel branches that
    a merge revision later joins; every branch is applied either way. A process that waited for the
    lock finds the schema current and does nothing.
    """
    with engine.connect() as conn:
        if _at_head(conn):
            return
    with _migration_lock(engine), engine.connect() as plain:
        conn = plain.execution_options(**{_WRITE: True})
        if not _at_head(conn):
            _run_migrations(conn)
        conn.commit()


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any error."""
    with Session(engine.execution_options(**{_WRITE: True}), expire_on_commit=False) as session, session.begin():
        yield session


def read_sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
