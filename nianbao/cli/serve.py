"""`nianbao serve`: the read-only web interface and JSON API (package ``web``)."""

from __future__ import annotations

import click

from nianbao.cli.options import existing_db_option
from nianbao.cli.query import warn_if_slow
from storage import ArchiveError, open_archive


@click.command()
@existing_db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; the default keeps the archive private to this machine.")
@click.option("--port", default=8471, show_default=True, type=click.IntRange(0, 65535))
def serve(db_url: str, host: str, port: int) -> None:
    """Serve the archive read-only: search page with facets, report and portal pages, JSON API (/api/openapi.json)."""
    import uvicorn  # imported here: the web stack is not needed by the other commands

    from nianbao.web import create_app

    try:
        archive = open_archive(db_url)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    warn_if_slow(archive)
    archive.mark_dead_runs()  # portal pages list runs
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: serving on {host}: anyone who can reach it can read the archive", err=True)
    uvicorn.run(create_app(archive), host=host, port=port, log_level="warning")
