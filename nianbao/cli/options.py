"""Options shared by every command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from crawler.settings import NIANBAO_DB

F = TypeVar("F", bound=Callable[..., Any])


def db_option(func: F) -> F:
    """``--db URL``: any SQLAlchemy URL; default ``crawler.settings.NIANBAO_DB`` (env NIANBAO_DB, else ./nianbao.db)."""
    return click.option("--db", "db_url", default=NIANBAO_DB, show_default=True,
                        metavar="URL", help="Archive database (SQLAlchemy URL; env NIANBAO_DB).")(func)
