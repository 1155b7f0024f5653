"""Crawl-run bookkeeping: a ``crawl_run`` row per crawl, closed with the run's stats and errors."""

from __future__ import annotations

from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from pipelines.components import ERRORS, RUN_ID
from storage import Archive, open_archive


class RunRecorder:
    """Opens a ``crawl_run`` row when the spider opens and closes it with stats and finish reason."""

    def __init__(self, crawler: Crawler, archive: Archive) -> None:
        self.crawler = crawler
        self.archive = archive
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NIANBAO_RECORD_RUNS"):
            raise NotConfigured("NIANBAO_RECORD_RUNS is off")
        ext = cls(crawler, open_archive(crawler.settings["NIANBAO_DB"]))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.run_id = self.archive.start_run(getattr(spider, "portal_names", ()))
        assert self.crawler.stats is not None
        self.crawler.stats.set_value(RUN_ID, self.run_id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.run_id is None or self.crawler.stats is None:
            return
        stats = self.crawler.stats.get_stats()
        errors = stats.get(ERRORS) or []
        self.archive.finish_run(self.run_id, reason, {k: v for k, v in stats.items() if k != ERRORS}, errors)
