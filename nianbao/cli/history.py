"""`nianbao diff`: what changed between two versions of an edited report."""

from __future__ import annotations

import click

from nianbao.cli.options import existing_db_option
from storage import ArchiveError, open_archive


@click.command()
@existing_db_option
@click.argument("report_id", type=int)
@click.argument("v1", type=int, required=False)
@click.argument("v2", type=int, required=False)
def diff(db_url: str, report_id: int, v1: int | None, v2: int | None) -> None:
    """Show how a report's text changed: versions V1 → V2 (default: the last two; see `show ID --versions`).

    Edited paragraphs are shown once, marked [-removed-]{+added+}; whole paragraphs with - and +.
    """
    try:
        click.echo(open_archive(db_url).diff(report_id, v1, v2))
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
