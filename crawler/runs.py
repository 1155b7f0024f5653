"""Crawl-run bookkeeping: a ``crawl_run`` row per crawl, per-portal counters and errors.

Counters live in Scrapy's stats under ``nianbao/…`` names (one per decision), so they appear in
the usual end-of-crawl stats dump as well as in the archive.
"""

from __future__ import annotations

from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from storage import Archive

RUN_ID = "nianbao/run_id"
_ERRORS = "nianbao/error_list"
MAX_ERRORS_KEPT = 200


class ArchiveComponent:
    """Base for Scrapy components (pipelines, middlewares) that use the archive named by ``NIANBAO_DB``."""

    def __init__(self, crawler: Crawler, archive: Archive) -> None:
        self.crawler = crawler
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, Archive(crawler.settings["NIANBAO_DB"]))


def count(stats: StatsCollector, portal: str | None, name: str, n: int = 1) -> None:
    """Increment ``nianbao/<name>`` and, for a registry portal, ``nianbao/portal/<portal>/<name>``."""
    stats.inc_value(f"nianbao/{name}", n)
    if portal:
        stats.inc_value(f"nianbao/portal/{portal}/{name}", n)


def record_error(stats: StatsCollector, portal: str | None, url: str, reason: str, stage: str) -> None:
    """Keep a readable error for the run (bounded) and count it per portal and stage."""
    count(stats, portal, "errors")
    count(stats, portal, f"errors/{stage}")
    errors: list[dict[str, Any]] = stats.get_value(_ERRORS) or []
    if len(errors) < MAX_ERRORS_KEPT:
        errors.append({"portal": portal, "url": url, "stage": stage, "reason": reason})
        stats.set_value(_ERRORS, errors)


def run_errors(stats: StatsCollector) -> list[dict[str, Any]]:
    """The readable errors recorded so far (see :func:`record_error`)."""
    return list(stats.get_value(_ERRORS) or [])


def portal_counters(stats: dict[str, Any], portal: str) -> dict[str, int]:
    prefix = f"nianbao/portal/{portal}/"
    return {k[len(prefix):]: v for k, v in stats.items() if k.startswith(prefix)}


class RunRecorder:
    """Opens a ``crawl_run`` row when the spider opens and closes it with stats and finish reason."""

    def __init__(self, crawler: Crawler, db_url: str) -> None:
        self.crawler = crawler
        self.archive = Archive(db_url)
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NIANBAO_RECORD_RUNS", True):
            raise NotConfigured("NIANBAO_RECORD_RUNS is off")
        ext = cls(crawler, crawler.settings["NIANBAO_DB"])
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
        errors = stats.get(_ERRORS) or []
        self.archive.finish_run(self.run_id, reason, {k: v for k, v in stats.items() if k != _ERRORS}, errors)
