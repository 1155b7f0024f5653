"""Run one crawl in this process and return its ``crawl_run`` record, optionally reporting progress as it goes.

A Twisted reactor cannot be restarted, so this is called at most once per process: the CLI runs
one crawl per invocation (and the scheduler will start a subprocess per crawl).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from twisted.internet.task import LoopingCall

from crawler.spiders.reports import ReportsSpider
from pipelines.components import ERRORS, RUN_ID
from storage import ArchiveError, RunView, open_archive

# For the bundled demo portals only: they live on loopback and are ours, so politeness delays
# would only slow the demo down. Never applied to a registry crawl.
DEMO_OVERRIDES: Mapping[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
}
PROGRESS_INTERVAL = 0.25  # seconds between progress reports


@dataclass(frozen=True, slots=True)
class CrawlProgress:
    """What a running crawl has done so far, read from its stats (see pipelines.components)."""

    portals_done: int
    portals_total: int
    pages: int  # HTTP answers downloaded: list and report pages, attachments, robots.txt
    new: int
    changed: int
    errors: tuple[dict[str, Any], ...]  # the readable run errors kept so far (portal, url, stage, reason)
    error_count: int  # all errors, also those beyond the kept ones


class PortalsInFlight:
    """Which portals still have work: a downloader middleware the runner puts first in line.

    A portal is done once none of its requests waits in the scheduler, is being downloaded, or is being
    parsed (the scraper holds a request until its callback output, items included, is processed). The
    scheduler queue is followed through the request_scheduled/request_dropped signals and this
    middleware's ``process_request``, the first step of a request leaving the queue, which by then is in
    the downloader's set of active requests; that set and the scraper's take it from there without a gap.
    (Scrapy takes start requests as the downloader has room, so a portal with several report columns
    could, in a very busy crawl, count as done before its last column is even queued.)
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.queued: set[Request] = set()
        self.started: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        tracker = cls(crawler)
        crawler.signals.connect(tracker.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(tracker.request_dropped, signal=signals.request_dropped)
        return tracker

    def request_scheduled(self, request: Request) -> None:
        if portal := _portal(request):
            self.queued.add(request)
            self.started.add(portal)

    def request_dropped(self, request: Request) -> None:
        self.queued.discard(request)

    def process_request(self, request: Request) -> None:
        self.queued.discard(request)

    def done(self) -> int:
        """Portals started whose requests are all answered and parsed."""
        engine = self.crawler.engine
        busy = [*self.queued, *engine.downloader.active]
        if engine.scraper.slot is not None:
            busy += [request for _, request, _ in engine.scraper.slot.queue] + list(engine.scraper.slot.active)
        return len(self.started - {_portal(request) for request in busy})


def _portal(request: Request) -> str | None:
    """The registry portal a spider request belongs to (robots.txt and attachment requests have none)."""
    return getattr(request.cb_kwargs.get("portal"), "name", None)


class _Reporter:
    """Calls ``report`` every PROGRESS_INTERVAL while ``crawler`` runs, and once more when its spider closes."""

    def __init__(self, crawler: Crawler, report: Callable[[CrawlProgress], None]) -> None:
        self.crawler = crawler
        self.report = report
        self.loop: LoopingCall | None = None  # made when the engine starts: it binds the reactor installed by then
        crawler.signals.connect(self.engine_started, signal=signals.engine_started, weak=False)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed, weak=False)

    def engine_started(self) -> None:
        self.loop = LoopingCall(self.snapshot)
        self.loop.start(PROGRESS_INTERVAL)

    def spider_closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.snapshot(closed=True)

    def snapshot(self, closed: bool = False) -> None:
        tracker = self.crawler.get_downloader_middleware(PortalsInFlight)
        stats, names = self.crawler.stats, getattr(self.crawler.spider, "portal_names", ())
        if tracker is None or stats is None:
            return
        get = stats.get_value
        self.report(CrawlProgress(
            portals_done=len(names) if closed else tracker.done(), portals_total=len(names),
            pages=get("downloader/response_count", 0), new=get("nianbao/reports/new", 0),
            changed=get("nianbao/reports/changed", 0), errors=tuple(get(ERRORS) or ()),
            error_count=get("nianbao/errors", 0)))


def crawl_settings(db_url: str, overrides: Mapping[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("NIANBAO_DB", db_url, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(db_url: str, *, portals: Sequence[str] = (), url: str | None = None,
              overrides: Mapping[str, Any] | None = None,
              progress: Callable[[CrawlProgress], None] | None = None) -> RunView:
    """Crawl the given portals (all registry portals when none) or one column URL.

    With ``progress``, it is called with a :class:`CrawlProgress` a few times a second, in the crawl's
    thread, and a last time when the spider closes (every portal done).
    """
    archive = open_archive(db_url)
    missing = [name for name in portals if archive.get_portal(name) is None]
    if missing:
        raise ArchiveError(f"no portal named {', '.join(map(repr, missing))} in the registry")
    if not portals and not url and not archive.list_portals():
        raise ArchiveError("the registry is empty: add portals with `nianbao portals add|import`")
    settings = crawl_settings(db_url, overrides)
    if progress is not None:
        first = {f"{PortalsInFlight.__module__}.{PortalsInFlight.__qualname__}": 1}
        settings.set("DOWNLOADER_MIDDLEWARES", {**settings.getdict("DOWNLOADER_MIDDLEWARES"), **first},
                     priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ReportsSpider)
    if progress is not None:
        _Reporter(crawler, progress)
    process.crawl(crawler, portal=",".join(portals) or None, url=url)
    process.start()
    run_id = crawler.stats.get_value(RUN_ID) if crawler.stats else None
    run = archive.get_run(run_id) if run_id is not None else None
    if run is None:
        raise ArchiveError("the crawl did not start (see the log above)")
    return run
