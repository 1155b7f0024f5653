"""`nianbao search` and `nianbao show`: read the archive through storage.Archive."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, fields
from typing import Any, TypeVar

import click

from nianbao.cli.options import existing_db_option
from nianbao.spreadsheet import safe_cell
from storage import Archive, ArchiveError, SearchHit, open_archive
from storage.archive.query import SORTS, STATISTICS_STATES, Filters

F = TypeVar("F", bound=Callable[..., Any])

_FILTER_OPTIONS = (
    click.option("--year", type=int, help="Report year (the year reported on, not the publish year)."),
    click.option("--region", help="Region name (part of it, e.g. 抚顺) or region code prefix (e.g. 2104)."),
    click.option("--organ", help="Part of the publishing organ's name."),
    click.option("--portal", metavar="NAME", help="Registry portal the report was seen on."),
    click.option("--published-from", type=click.DateTime(["%Y-%m-%d"]), help="Published on or after (YYYY-MM-DD)."),
    click.option("--published-to", type=click.DateTime(["%Y-%m-%d"]), help="Published on or before (YYYY-MM-DD)."),
    click.option("--level", help="Portal level, e.g. county, street, city."),
    click.option("--has-attachment/--no-attachment", default=None,
                 help="Only reports with (or without) attachments."),
    click.option("--inconsistent/--consistent", default=None,
                 help="Only reports whose statistics tables fail (or pass) an identity of the form."),
    click.option("--received-over", type=int, metavar="N", help="Only reports that received more than N requests."),
    click.option("--published-as", "format", metavar="FORMAT",
                 help="Only reports published as FORMAT: an attachment format (pdf, doc, docx, ofd, …) or html "
                      "for a report with no attachment."),
    click.option("--statistics", type=click.Choice(STATISTICS_STATES),
                 help="Statistics tables that add up (consistent), with findings (inconsistent), or none read."),
)


def filter_options(default_sort: str) -> Callable[[F], F]:
    """The filters and ``--sort`` shared by `nianbao search` and `nianbao export`."""
    def decorate(func: F) -> F:
        for option in reversed(_FILTER_OPTIONS):
            func = option(func)
        return click.option("--sort", type=click.Choice(list(SORTS)), default=default_sort, show_default=True,
                            help="newest/oldest by publish date, year = report year, id = archive order.")(func)
    return decorate


def filters_from(options: dict[str, Any]) -> Filters:
    """Pop the filter options out of a command's keyword arguments (the exact-name filters the web's facet links
    use have no option: ``--region``/``--organ`` match parts of names)."""
    values = {f.name: options.pop(f.name, None) for f in fields(Filters)}
    for name in ("published_from", "published_to"):
        if isinstance(values[name], dt.datetime):
            values[name] = values[name].date()
    return Filters.of(**values)


def warn_if_slow(archive: Archive) -> None:
    """Say on stderr when this database makes search slow (e.g. a non-UTF-8 PostgreSQL LC_CTYPE)."""
    for warning in archive.search_warnings():
        click.echo(f"warning: {warning}", err=True)


def marks(hit: SearchHit) -> str:
    """What monitoring knows about a hit, for people: replaced by an edit, taken down by its portal."""
    out = [f"superseded by report {hit.superseded_by}"] if hit.superseded_by else []
    return " · ".join([*out, *(["withdrawn"] if hit.withdrawn else [])])


def _echo_table(hits: list[SearchHit], total: int, offset: int) -> None:
    for h in hits:
        click.echo(f"[{h.id}] {h.title or '(untitled)'}" + (f"  [{marks(h)}]" if marks(h) else ""))
        click.echo(f"     organ: {h.organ or '-'} · report year: {h.report_year or '-'} · "
                   f"published: {h.published or '-'}")
        click.echo(f"     {h.url or ('(no URL: an edit replaced this text)' if h.superseded_by else '-')}")
        click.echo(f"     {h.snippet}")
    shown = f" (showing {offset + 1}–{offset + len(hits)})" if hits and (offset or len(hits) < total) else ""
    click.echo(f"{total} result(s){shown}")


@click.command()
@existing_db_option
@click.argument("query")
@filter_options(default_sort="newest")
@click.option("--limit", default=20, show_default=True)
@click.option("--offset", default=0, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def search(db_url: str, query: str, limit: int, offset: int, fmt: str, sort: str, **options: Any) -> None:
    """Find reports whose title or text contains QUERY (every space-separated term), with filters.

    Snippets mark each match as «match».
    """
    try:
        archive = open_archive(db_url)
        warn_if_slow(archive)
        page = archive.query.page(query, filters_from(options), sort=sort, limit=limit, offset=offset)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    hits = page.hits
    if fmt == "json":
        click.echo(json.dumps([asdict(h) for h in hits], ensure_ascii=False, default=str, indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n", quoting=csv.QUOTE_ALL)  # a CR in a cell stays inside it
        writer.writerow([f.name for f in fields(SearchHit)])
        writer.writerows([safe_cell(getattr(h, f.name)) for f in fields(SearchHit)] for h in hits)
    else:
        _echo_table(hits, page.total, offset)


@click.command()
@existing_db_option
@click.argument("report_id", type=int)
@click.option("--versions", is_flag=True, help="List every version of the text (edits), not the text itself.")
def show(db_url: str, report_id: int, versions: bool) -> None:
    """Print one report's metadata, every URL it was seen at, and its clean text."""
    archive = open_archive(db_url)
    report = archive.get_report(report_id)
    if report is None:
        raise click.ClickException(f"no report with id {report_id}")
    if versions:
        for v in archive.versions(report_id):
            mark = "*" if v.report_id == report_id else " "
            click.echo(f"{mark} v{v.number}  report {v.report_id:<6} seen {v.seen_at:%Y-%m-%d %H:%M}  "
                       f"sha256 {v.content_sha256[:12]}  {v.chars} chars  {v.url or '-'}")
        click.echo("(nianbao diff ID V1 V2 compares two of them)")
        return
    year = f"{report.report_year or '-'} ({report.report_year_source})"
    for label, value in (("id", report.id), ("title", report.title), ("organ", report.organ),
                         ("report year", year), ("published", report.published),
                         ("sha256", report.content_sha256), ("first seen", f"{report.first_seen:%Y-%m-%d %H:%M}")):
        click.echo(f"{label + ':':<13}{value if value is not None else '-'}")
    for key, value in sorted(report.meta.items()):
        click.echo(f"{key + ':':<13}{value}")
    for s in report.sightings:
        gone = f", WITHDRAWN {s.withdrawn_at:%Y-%m-%d} ({s.withdrawn_reason})" if s.withdrawn_at else ""
        click.echo(f"{'seen at:':<13}{s.url} [{s.portal or '-'}, HTTP {s.http_status}, "
                   f"seen {s.first_seen:%Y-%m-%d} → {s.last_seen:%Y-%m-%d}{gone}]")
    click.echo("")
    click.echo(report.body)
