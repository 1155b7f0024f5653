"""`nianbao schedule`: the foreground crawl service (run it under systemd), and `--list` of upcoming runs."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from types import FrameType

import click

from nianbao.cli.options import db_option
from nianbao.scheduler import (
    DEFAULT_TIMEZONE,
    GRACE,
    CrawlService,
    Upcoming,
    default_jobs_url,
    load_config,
    preview,
    zone,
)
from storage import ArchiveError, open_archive


@click.command()
@db_option
@click.option("--list", "list_only", is_flag=True, help="Show the plan and the next run of each portal, then exit.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Schedule TOML: [default], [portals.NAME], [levels.LEVEL] with cron = \"…\" or every = \"12h\".")
@click.option("--jobs-db", metavar="URL", help="Job store (SQLAlchemy URL); default: <archive>.jobs.db beside it.")
@click.option("--run-now", is_flag=True, help="Crawl every portal right away, then follow the plan.")
@click.option("--max-parallel", default=2, show_default=True, help="Crawls (of different portals) at once.")
@click.option("--grace-hours", default=GRACE.total_seconds() / 3600, show_default=True,
              help="A run missed by less than this (downtime) still runs, once.")
@click.option("--stop-timeout", default=60.0, show_default=True,
              help="Seconds a running crawl gets to stop cleanly on SIGTERM/SIGINT before it is killed.")
@click.option("--timezone", default=DEFAULT_TIMEZONE, show_default=True)
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Scrapy setting passed to every crawl (repeatable).")
@click.option("--dispatch", "redis_url", metavar="REDIS_URL",
              help="Queue due crawls in this Redis for `nianbao worker` processes instead of running them here.")
@click.option("--queue-name", default="nianbao", show_default=True, help="Queue name in Redis (with --dispatch).")
def schedule(db_url: str, list_only: bool, config_path: str | None, jobs_db: str | None, run_now: bool,
             max_parallel: int, grace_hours: float, stop_timeout: float, timezone: str,
             settings: tuple[str, ...], redis_url: str | None, queue_name: str) -> None:
    """Run scheduled crawls of every registry portal in the foreground until SIGTERM/SIGINT."""
    if any("=" not in s or s.startswith("=") for s in settings):
        raise click.BadParameter("expected NAME=VALUE", param_hint="--set")
    if list_only:  # read-only: never starts a scheduler, which would process (or skip) due runs
        try:
            archive = open_archive(db_url)
            _print_plan(preview(archive, jobs_db or default_jobs_url(db_url), load_config(config_path),
                                zone(timezone)))
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from None
        return
    try:
        service_class, extra = CrawlService, {}
        if redis_url:  # the optional `workers` extra: imported only when asked for
            from nianbao.worker import DispatchService

            service_class, extra = DispatchService, {"redis_url": redis_url, "queue": queue_name}
        service = service_class(db_url, **extra, jobs_url=jobs_db, config=load_config(config_path),
                                timezone=timezone, max_parallel=max_parallel, grace=dt.timedelta(hours=grace_hours),
                                stop_timeout=stop_timeout, crawl_args=[a for s in settings for a in ("-s", s)])
        service.start(paused=True, run_now=run_now)
    except ArchiveError as exc:  # ScheduleError included
        raise click.ClickException(str(exc)) from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"{signal.Signals(signum).name}: no new runs; stopping running crawls "
                   f"(up to {stop_timeout:.0f}s)", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    _print_plan(service.upcoming())
    service.scheduler.resume()
    click.echo(f"scheduler running (jobs in {service.jobs_url}); SIGTERM or Ctrl-C stops it", err=True)
    while not stop.wait(1):
        pass
    due = service.stop()
    click.echo("scheduler stopped" + (f"; {due} run(s) that did not happen stay due for the next start" if due else ""),
               err=True)


def _print_plan(upcoming: list[Upcoming]) -> None:
    click.echo(f"{'portal':<20} {'next run':<26} plan")
    for u in upcoming:
        when = f"{u.next_run:%Y-%m-%d %H:%M %Z}" if u.next_run else "paused"
        click.echo(f"{u.portal:<20} {when:<26} {u.trigger}" + (f"  ({u.note})" if u.note else ""))
    click.echo(f"{len(upcoming)} portal(s) scheduled")

