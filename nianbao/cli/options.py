"""Options shared by every command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from crawler.settings import NIANBAO_DB, NIANBAO_FILES_DIR

F = TypeVar("F", bound=Callable[..., Any])


class DatabaseUnusable(click.ClickException):
    """``--db`` names no usable archive: one line (what is wrong, how to fix it), exit status 2 like a usage error."""

    exit_code = 2


def _opened(create: bool | None) -> Callable[[click.Context, click.Parameter, str], str]:
    def callback(ctx: click.Context, _param: click.Parameter, url: str) -> str:
        """Open the archive while parsing, so every command reports a bad URL or database the same way
        (``create=None``: only check that the URL can name an archive, connecting to nothing)."""
        if ctx.resilient_parsing:  # shell completion: never touch a database
            return url
        from storage.errors import DatabaseError  # storage loads SQLAlchemy: only once a command runs
        from storage.session import check_url, get_engine

        try:
            if create is None:
                check_url(url)
            else:
                get_engine(url, create=create)  # the command's own open_archive(url) reuses this engine
        except DatabaseError as exc:
            raise DatabaseUnusable(f"--db: {exc}") from None
        return url
    return callback


def _db_option(create: bool | None) -> Callable[[F], F]:
    return click.option("--db", "db_url", default=NIANBAO_DB, show_default=True, callback=_opened(create),
                        metavar="URL", help="Archive database (SQLAlchemy URL; env NIANBAO_DB).")


def db_option(func: F) -> F:
    """``--db URL``: any SQLAlchemy URL; default ``crawler.settings.NIANBAO_DB`` (env NIANBAO_DB, else ./nianbao.db).

    For commands that write: a new SQLite archive is created there."""
    return _db_option(create=True)(func)


def existing_db_option(func: F) -> F:
    """``--db URL`` for read-only commands: the archive must exist (a mistyped path is an error, not a new file)."""
    return _db_option(create=False)(func)


def awaited_db_option(func: F) -> F:
    """``--db URL`` checked only as a URL: a worker waits (with back-off) for a database that does not answer yet."""
    return _db_option(create=None)(func)


def files_option(func: F) -> F:
    """``--files DIR``: the attachment file store (default beside the archive, as the crawl keeps it)."""
    return click.option("--files", "files_dir", type=click.Path(file_okay=False, path_type=Path),
                        default=NIANBAO_FILES_DIR or None,
                        help="Attachment file store (env NIANBAO_FILES; default: <db file stem>.files beside a "
                             "SQLite file).")(func)
