"""Run one crawl in this process and return its ``crawl_run`` record.

A Twisted reactor cannot be restarted, so this is called at most once per process: the CLI runs
one crawl per invocation (and the scheduler will start a subprocess per crawl).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.spiders.reports import ReportsSpider
from pipelines.components import RUN_ID
from storage import ArchiveError, RunView, open_archive

# For the bundled demo portals only: they live on loopback and are ours, so politeness delays
# would only slow the demo down. Never applied to a registry crawl.
DEMO_OVERRIDES: Mapping[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
}


def crawl_settings(db_url: str, overrides: Mapping[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("NIANBAO_DB", db_url, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(db_url: str, *, portals: Sequence[str] = (), url: str | None = None,
              overrides: Mapping[str, Any] | None = None) -> RunView:
    """Crawl the given portals (all registry portals when none) or one column URL."""
    archive = open_archive(db_url)
    missing = [name for name in portals if archive.get_portal(name) is None]
    if missing:
        raise ArchiveError(f"no portal named {', '.join(map(repr, missing))} in the registry")
    if not portals and not url and not archive.list_portals():
        raise ArchiveError("the registry is empty: add portals with `nianbao portals add|import`")
    process = CrawlerProcess(crawl_settings(db_url, overrides))
    crawler = process.create_crawler(ReportsSpider)
    process.crawl(crawler, portal=",".join(portals) or None, url=url)
    process.start()
    run_id = crawler.stats.get_value(RUN_ID) if crawler.stats else None
    run = archive.get_run(run_id) if run_id is not None else None
    if run is None:
        raise ArchiveError("the crawl did not start (see the log above)")
    return run
