"""`nianbao search` and `nianbao show`: read the archive through storage.Archive."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from crawler.cli.options import db_option
from storage import Archive, ArchiveError


@click.command()
@db_option
@click.argument("query")
@click.option("--limit", default=20, show_default=True)
@click.option("--offset", default=0, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def search(db_url: str, query: str, limit: int, offset: int, fmt: str) -> None:
    """Find reports whose title or text contains QUERY (every space-separated term)."""
    try:
        hits = Archive(db_url).search(query, limit=limit, offset=offset)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps([asdict(h) for h in hits], ensure_ascii=False, default=str, indent=2))
        return
    for h in hits:
        click.echo(f"[{h.id}] {h.title or '(untitled)'}")
        click.echo(f"     organ: {h.organ or '-'} · report year: {h.report_year or '-'} · "
                   f"published: {h.published or '-'}")
        click.echo(f"     {h.url}")
        click.echo(f"     {h.snippet}")
    click.echo(f"{len(hits)} result(s)" + (f" (offset {offset})" if offset else ""))


@click.command()
@db_option
@click.argument("report_id", type=int)
def show(db_url: str, report_id: int) -> None:
    """Print one report's metadata, every URL it was seen at, and its clean text."""
    report = Archive(db_url).get_report(report_id)
    if report is None:
        raise click.ClickException(f"no report with id {report_id}")
    year = f"{report.report_year or '-'} ({report.report_year_source})"
    for label, value in (("id", report.id), ("title", report.title), ("organ", report.organ),
                         ("report year", year), ("published", report.published),
                         ("sha256", report.content_sha256), ("first seen", f"{report.first_seen:%Y-%m-%d %H:%M}")):
        click.echo(f"{label + ':':<13}{value if value is not None else '-'}")
    for key, value in sorted(report.meta.items()):
        click.echo(f"{key + ':':<13}{value}")
    for s in report.sightings:
        click.echo(f"{'seen at:':<13}{s.url} [{s.portal or '-'}, HTTP {s.http_status}, "
                   f"seen {s.first_seen:%Y-%m-%d} → {s.last_seen:%Y-%m-%d}]")
    click.echo("")
    click.echo(report.body)
