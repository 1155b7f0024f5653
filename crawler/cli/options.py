"""Options shared by every command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from storage import DEFAULT_DB_URL

F = TypeVar("F", bound=Callable[..., Any])


def db_option(func: F) -> F:
    """``--db URL`` (env ``NIANBAO_DB``): any SQLAlchemy URL; SQLite file ``./nianbao.db`` by default."""
    return click.option("--db", "db_url", envvar="NIANBAO_DB", default=DEFAULT_DB_URL, show_default=True,
                        metavar="URL", help="Archive database (SQLAlchemy URL; env NIANBAO_DB).")(func)
