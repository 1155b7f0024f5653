"""`nianbao worker` (crawl portals queued in Redis into one archive) and `nianbao workers` (who crawls what).

RQ and redis are imported inside the commands: they are the optional ``workers`` extra, and the
single-machine commands must not need them.
"""

from __future__ import annotations

import logging

import click

from nianbao.cli.options import awaited_db_option

queue_name_option = click.option("--queue-name", default="nianbao", show_default=True,
                                  help="Queue (and key prefix) in Redis; one per archive.")


@click.command()
@click.option("--queue", "redis_url", required=True, metavar="REDIS_URL", help="Redis holding the queue.")
@awaited_db_option
@queue_name_option
@click.option("--visibility", default=120.0, show_default=True,
              help="Seconds without a heartbeat after which this worker's crawl is given to another worker.")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty (benchmarks, one-off catch-ups).")
@click.option("--name", help="Worker name shown by `nianbao workers` (default: host and pid).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Scrapy setting passed to every crawl (repeatable).")
def worker(redis_url: str, db_url: str, queue_name: str, visibility: float, burst: bool, name: str | None,
           settings: tuple[str, ...]) -> None:
    """Take portal crawls from the queue, one at a time, into the archive, until SIGTERM (then finish the crawl)."""
    from rq import Queue

    from nianbao.worker import CrawlSettings, CrawlWorker, connect

    if any("=" not in s or s.startswith("=") for s in settings):
        raise click.BadParameter("expected NAME=VALUE", param_hint="--set")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redis = connect(redis_url)
    crawl = CrawlSettings(db_url, tuple(a for s in settings for a in ("-s", s)), visibility)
    CrawlWorker([Queue(queue_name, connection=redis)], crawl, connection=redis, name=name).work(
        burst=burst, with_scheduler=True)


@click.command()
@click.option("--queue", "redis_url", required=True, metavar="REDIS_URL", help="Redis holding the queue.")
@queue_name_option
def workers(redis_url: str, queue_name: str) -> None:
    """List live workers, the portal each is crawling, and how many crawls are queued, running, failed."""
    from nianbao.worker import connect, queue_state

    state = queue_state(connect(redis_url), queue_name)
    click.echo(f"{'worker':<40} {'state':<10} crawling")
    for w in state.workers:
        since = f" since {w.since:%Y-%m-%d %H:%M:%S} UTC" if w.since else ""
        click.echo(f"{w.name:<40} {w.state:<10} {w.portal or '-'}{since}")
    click.echo(f"{len(state.workers)} worker(s); queue {queue_name}: {state.queued} queued, {state.running} running, "
               f"{state.waiting_retry} waiting to retry, {state.failed} failed")
