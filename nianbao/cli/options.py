"""Options shared by every command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from crawler.settings import NIANBAO_DB, NIANBAO_FILES_DIR

F = TypeVar("F", bound=Callable[..., Any])


def db_option(func: F) -> F:
    """``--db URL``: any SQLAlchemy URL; default ``crawler.settings.NIANBAO_DB`` (env NIANBAO_DB, else ./nianbao.db)."""
    return click.option("--db", "db_url", default=NIANBAO_DB, show_default=True,
                        metavar="URL", help="Archive database (SQLAlchemy URL; env NIANBAO_DB).")(func)


def files_option(func: F) -> F:
    """``--files DIR``: the attachment file store (default beside the archive, as the crawl keeps it)."""
    return click.option("--files", "files_dir", type=click.Path(file_okay=False, path_type=Path),
                        default=NIANBAO_FILES_DIR or None,
                        help="Attachment file store (env NIANBAO_FILES; default: <db file stem>.files beside a "
                             "SQLite file).")(func)
