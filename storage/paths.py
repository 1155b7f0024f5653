"""Files that belong with an archive (HTTP cache, Atom feed, scheduler jobs, original files) live beside it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url


def beside_archive(db_url: str, suffix: str) -> Path:
    """``/data/nianbao.db`` + ``.atom`` → ``/data/nianbao.atom``; for a server database, ``./nianbao<suffix>``.

    The one rule for every such file: ``.httpcache``, ``.atom``, ``.jobs.db``, ``.files``.

    Keeping them next to a SQLite archive means one directory holds everything a deployment needs
    (and one ``--db`` moves all of it); a PostgreSQL archive has no directory, so the working one is used.
    """
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().resolve().with_suffix(suffix)
    return Path(f"nianbao{suffix}").resolve()
