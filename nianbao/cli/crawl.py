"""`nianbao crawl`, `nianbao demo` and `nianbao runs`."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

import click

from nianbao import health
from nianbao.cli.options import db_option, existing_db_option
from nianbao.cli.progress import live_progress
from nianbao.cli.summary import OUTCOMES, render, run_failure, summarise
from nianbao.demo import DemoPortal, DemoServer, showcase_portals
from nianbao.demo.showcase import DeliberateFailure, deliberate_failures
from nianbao.runner import DEMO_OVERRIDES, run_crawl
from storage import Archive, ArchiveError, PortalSpec, open_archive


def _log_overrides(verbose: bool) -> dict[str, Any]:
    return {"LOG_LEVEL": "INFO" if verbose else "WARNING"}


def _crawl_and_report(db_url: str, overrides: Mapping[str, Any], expected: Sequence[DeliberateFailure] = (),
                      **kwargs: Any) -> None:
    """Crawl with live progress on a terminal, then print the summary (``expected``: the demo's deliberate failures)."""
    with live_progress(expected) as progress:
        run = run_crawl(db_url, overrides=overrides, progress=progress, **kwargs)
    click.echo(render(run, expected))
    reason = run_failure(run)
    if reason:
        raise click.ClickException(f"run {run.id} failed: {reason}")


@click.command()
@db_option
@click.option("--portal", "portals", multiple=True, metavar="NAME", help="Only this registry portal (repeatable).")
@click.option("--url", metavar="COLUMN_URL", help="Crawl one report column given by URL.")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting, as with `scrapy crawl -s` (repeatable).")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
def crawl(db_url: str, portals: tuple[str, ...], url: str | None, settings: tuple[str, ...], verbose: bool) -> None:
    """Crawl the registry's portals (politely: robots.txt, AutoThrottle, ≤2 requests per host)."""
    pairs = [s.partition("=") for s in settings]
    if any(not name or not sep for name, sep, _ in pairs):
        raise click.BadParameter("expected NAME=VALUE", param_hint="--set")
    overrides = {**_log_overrides(verbose), **{name: value for name, _, value in pairs}}
    try:
        _crawl_and_report(db_url, overrides, portals=portals, url=url)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None


def register_demo(archive: Archive, portals: list[DemoPortal]) -> list[str]:
    """Put the demo portals in the registry (updating them if present); returns their names.

    A ``homepage_only`` portal is registered without columns: the crawl has to discover them.
    """
    names = []
    for p in portals:
        columns = () if p.homepage_only else tuple(p.column_urls)
        archive.add_portal(PortalSpec(name=p.name, homepage=p.homepage, column_urls=columns,
                                      display_name=p.display_name, region=p.region, region_code=p.region_code,
                                      level=p.level, cms=p.cms), replace=True)
        names.append(p.name)
    return names


@click.command()
@db_option
@click.option("--serve-only", is_flag=True, help="Only serve the demo portals (for manual `scrapy crawl` runs).")
@click.option("--port", default=0, show_default=True, help="Proxy port for --serve-only (0 = any free port).")
@click.option("--copies", default=1, show_default=True, help="Serve each demo portal this many times.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
def demo(db_url: str, serve_only: bool, port: int, copies: int, verbose: bool) -> None:
    """Start the bundled demo portals on 127.0.0.1, crawl them into the archive, stop them."""
    portals = showcase_portals(copies)
    try:
        archive = open_archive(db_url)
        names = register_demo(archive, portals)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    server = DemoServer(portals, port=port)
    proxy = server.start()
    try:
        if serve_only:
            _serve_forever(proxy, names, db_url)
            return
        click.echo(f"demo portals on {proxy}: {', '.join(names)}")
        _crawl_and_report(db_url, {**DEMO_OVERRIDES, **_log_overrides(verbose), "NIANBAO_DEMO_PROXY": proxy},
                          deliberate_failures(portals), portals=names)
        click.echo(f"archive {db_url}: {archive.count_reports()} report(s) from {archive.count_sightings()} URL(s)")
    finally:
        server.stop()


def _serve_forever(proxy: str, names: list[str], db_url: str) -> None:
    click.echo(f"demo portals served through the HTTP proxy {proxy} (registered in {db_url})")
    click.echo(f"  NIANBAO_DEMO_PROXY={proxy} NIANBAO_DB={db_url} scrapy crawl reports -a portal={names[0]}")
    click.echo(f"  NIANBAO_DEMO_PROXY={proxy} nianbao crawl --db {db_url}")
    click.echo("Ctrl-C stops.")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


@click.command()
@existing_db_option
@click.option("--limit", default=20, show_default=True)
def runs(db_url: str, limit: int) -> None:
    """List crawl runs with their stats and finish reason; flag portals that suddenly found no links or
    whose error rate jumped since their previous run (zero new reports is normal and not flagged)."""
    archive = open_archive(db_url)
    archive.mark_dead_runs()  # a crawl killed with SIGKILL is shown as killed, not as still running
    click.echo(f"{'id':>4}  {'started (UTC)':<19}  {'finish reason':<14} {'portals':>7} "
               + " ".join(f"{o:>9}" for o in OUTCOMES) + f" {'skipped':>7} {'errors':>6}  health")
    listed = archive.list_runs(limit + 50)  # older runs give the last shown ones their "previous"
    flagged = health.history(listed)
    for run in listed[:limit]:
        rows = summarise(run)
        totals = {o: sum(s.outcomes[o] for s in rows) for o in OUTCOMES}
        reason = run.finish_reason or ("running" if run.finished_at is None else "?")
        click.echo(f"{run.id:>4}  {run.started_at:%Y-%m-%d %H:%M:%S}  {reason:<14} {len(run.portals):>7} "
                   + " ".join(f"{totals[o]:>9}" for o in OUTCOMES)
                   + f" {sum(s.skipped for s in rows):>7} {len(run.errors):>6}  "
                   + ("; ".join(f"⚠ {h.portal}: {', '.join(h.flags)}" for h in flagged[run.id] if h.flags) or "ok"))
