"""`nianbao portals add|list|remove|import|discover`: the registry of portals to crawl."""

from __future__ import annotations

import json
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from nianbao import health
from nianbao.cli.options import db_option, existing_db_option
from pipelines.text.encoding import decode_html
from storage import Archive, ArchiveError, PortalSpec, open_archive
from storage.archive import LEVELS, PortalHealth, parse_portal_file, portal_spec_to_mapping

STARTER = "starter_portals.csv"  # nianbao/data/: the real portals of docs/reference/cms-patterns.md §14, unverified


def status_label(health: PortalHealth | None) -> str:
    """ok / challenged×3 / gone / trapped / unreachable; "unverified" before the first crawl; a trailing
    "?" marks a portal that no crawl has read successfully yet."""
    if health is None or health.status is None:
        return "unverified"
    runs = f"×{health.challenged_runs}" if health.challenged_runs > 1 else ""
    return f"{health.status}{runs}{'' if health.verified else '?'}"


@click.group()
def portals() -> None:
    """Manage the portal registry (name, homepage, report column URLs, region, level, CMS)."""


@portals.command("add")
@db_option
@click.argument("name")
@click.option("--homepage", metavar="URL")
@click.option("--column", "columns", multiple=True, metavar="URL", help="Report column URL (repeatable).")
@click.option("--display-name")
@click.option("--region", help="Region as printed, e.g. 吉林省白城市大安市.")
@click.option("--region-code", help="GB/T 2260 code, e.g. 220882.")
@click.option("--level", type=click.Choice(LEVELS))
@click.option("--cms", type=click.Choice(["trs", "hanweb", "xxgk", "ucap", "generic"]), help="List protocol hint.")
@click.option("--replace", is_flag=True, help="Update the portal if it exists.")
def add(db_url: str, name: str, homepage: str | None, columns: tuple[str, ...], display_name: str | None,
        region: str | None, region_code: str | None, level: str | None, cms: str | None, replace: bool) -> None:
    """Add a portal to the registry."""
    try:
        spec = PortalSpec(name=name, homepage=homepage, column_urls=columns, display_name=display_name,
                          region=region, region_code=region_code, level=level, cms=cms)
        created = open_archive(db_url).add_portal(spec, replace=replace)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'added' if created else 'updated'} portal {name}")


@portals.command("list")
@existing_db_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def list_(db_url: str, fmt: str) -> None:
    """List the registry."""
    archive = open_archive(db_url)
    archive.mark_dead_runs()  # health is judged on runs: a killed one must not look as if still running
    specs, healths = archive.list_portals(), archive.portal_healths()
    alarms = {name: h.flags for name, h in health.latest(archive.list_runs(100)).items() if h.flags}
    if fmt == "json":
        click.echo(json.dumps([portal_spec_to_mapping(s) for s in specs], ensure_ascii=False, indent=2))
        return
    for s in specs:
        found = healths[s.name].discovered_urls if s.name in healths else ()
        where = " ".join(s.column_urls) or (f"(discovered) {' '.join(found)}" if found else f"(homepage) {s.homepage}")
        click.echo(f"{s.name:<20} {s.display_name or '':<16} {s.level or '-':<10} {s.cms or '-':<7} "
                   f"{status_label(healths.get(s.name)):<13} {where}"
                   + (f"  ⚠ {', '.join(alarms[s.name])}" if s.name in alarms else ""))
    click.echo(f"{len(specs)} portal(s)")


@portals.command("remove")
@db_option
@click.argument("name")
def remove(db_url: str, name: str) -> None:
    """Remove a portal from the registry (its reports stay archived)."""
    if not open_archive(db_url).remove_portal(name):
        raise click.ClickException(f"no portal named {name!r}")
    click.echo(f"removed portal {name}")


@portals.command("import")
@db_option
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--starter", is_flag=True, help="Load the bundled starter registry (the default without FILE).")
def import_(db_url: str, file: str | None, starter: bool) -> None:
    """Load portals from a CSV (header: name,homepage,column_urls,region,region_code,level,cms,display_name),
    JSON list or JSON Lines file; existing names are updated (a blank field keeps the stored value, so
    configured column URLs survive a re-import). Without FILE (or with --starter) load the starter registry
    of real county/district portals, marked unverified until a crawl of them succeeds. A CSV of homepages
    alone (name,homepage) is enough: columns are discovered on the first crawl.

    CSV files may be UTF-8 or GBK/GB18030 (what Excel saves here). Every row is checked first (level, URLs,
    lengths, a name given twice); one bad row imports nothing, and each bad row is reported."""
    archive = open_archive(db_url)
    if starter or not file:
        with as_file(files("nianbao") / "data" / STARTER) as path:
            _import_file(archive, path, "starter portal(s) (unverified)")
    if file:
        _import_file(archive, Path(file), f"portal(s) from {file}")


def _import_file(archive: Archive, path: Path, what: str) -> None:
    """Decode (like a page: BOM, UTF-8, else GB18030), check every entry, then import all or nothing."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None
    specs, problems = parse_portal_file(str(path), decode_html(raw))
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} bad entr{'y' if len(problems) == 1 else 'ies'} in {path}: "
                                   "nothing imported")
    try:
        added, updated = archive.import_specs(specs)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"imported {len(specs)} {what}: {added} new, {updated} updated")


@portals.command("discover")
@db_option
@click.argument("url")
@click.option("--name", help="Registry portal to record the columns on (default: the portal on URL's host, "
                             "else a new portal named after the host, with URL as its homepage).")
@click.option("--delay", type=float, default=None, help="Seconds between requests (default: the polite settings).")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
def discover(db_url: str, url: str, name: str | None, delay: float | None, verbose: bool) -> None:
    """Find the annual-report column(s) from a homepage or 政府信息公开 page, show and record them.

    Later crawls of the portal go straight to the recorded columns (`nianbao crawl -s` … or
    `scrapy crawl reports -a discover=1` rediscovers)."""
    host = urlsplit(url).hostname
    if not host or urlsplit(url).scheme not in ("http", "https"):
        raise click.BadParameter("expected an http(s) URL", param_hint="URL")
    archive = open_archive(db_url)
    try:
        owner = archive.get_portal(name) if name else next(
            (p for p in archive.list_portals()
             if any(urlsplit(u).hostname == host for u in (p.homepage or "", *p.column_urls))), None)
        if owner is None:
            owner = PortalSpec(name=name or host, homepage=url)
            archive.add_portal(owner)
        errors = _run_discovery(db_url, url, owner.name, delay, verbose)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    health = archive.portal_health(owner.name)
    columns = health.discovered_columns if health else ()
    for c in columns:
        click.echo(f"{c['url']}  {c.get('title') or '-'}  ({c.get('source')}, depth {c.get('depth')})")
    for err in errors:
        click.echo(f"  error {err.get('stage')}: {err.get('reason')} <{err.get('url')}>")
    if not columns:
        raise click.ClickException(f"no annual-report column found from {url}")
    click.echo(f"recorded {len(columns)} column(s) on portal {owner.name}")


def _run_discovery(db_url: str, url: str, portal: str, delay: float | None, verbose: bool) -> list[dict[str, Any]]:
    """One discovery-only crawl (same spider, middlewares and politeness as a crawl); returns its errors.

    No crawl_run row is written: nothing is archived, only the columns found are recorded on the portal.
    """
    from scrapy.crawler import CrawlerProcess  # Scrapy loads slowly; only this command needs it here

    from crawler.spiders.reports import ReportsSpider
    from nianbao.runner import crawl_settings
    from pipelines.components import run_errors

    overrides: dict[str, Any] = {"LOG_LEVEL": "INFO" if verbose else "ERROR", "NIANBAO_RECORD_RUNS": False}
    if delay is not None:
        overrides |= {"DOWNLOAD_DELAY": delay, "AUTOTHROTTLE_ENABLED": delay > 0}
    process = CrawlerProcess(crawl_settings(db_url, overrides))
    crawler = process.create_crawler(ReportsSpider)
    process.crawl(crawler, portal=portal, url=url, discover="only")
    process.start()
    return run_errors(crawler.stats) if crawler.stats else []
