"""Crawl-run bookkeeping: a ``crawl_run`` row per crawl, closed with the run's stats and errors.

Every exception raised in a pipeline stage (Scrapy's ``item_error``) or a spider callback (``spider_error``)
becomes a run error with its URL, so a report lost to an exception is never a silent "0 error(s)".
"""

from __future__ import annotations

from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from twisted.python.failure import Failure

from pipelines.components import ERRORS, RUN_ID, record_error
from storage import Archive, open_archive

MAX_REASON = 300  # characters of an exception message kept in a run error


def _reason(exc: BaseException) -> str:
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}"[:MAX_REASON] if message else type(exc).__name__


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
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.run_id = self.archive.start_run(getattr(spider, "portal_names", ()))
        assert self.crawler.stats is not None
        self.crawler.stats.set_value(RUN_ID, self.run_id)

    def item_error(self, item: Any, response: Response | None, failure: Failure) -> None:
        """A pipeline stage raised: the report is not archived; say which and why."""
        assert self.crawler.stats is not None
        adapter = ItemAdapter(item)
        url = adapter.get("url") or (response.url if response is not None else "")
        record_error(self.crawler.stats, adapter.get("portal"), url, _reason(failure.value), "pipeline")

    def spider_error(self, failure: Failure, response: Response) -> None:
        """A spider callback raised while reading a page."""
        assert self.crawler.stats is not None
        portal = getattr(response.request.cb_kwargs.get("portal"), "name", None) if response.request else None
        record_error(self.crawler.stats, portal, response.url, _reason(failure.value), "spider")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.run_id is None or self.crawler.stats is None:
            return
        self._refresh_kept_lookups()
        stats = self.crawler.stats.get_stats()
        errors = stats.get(ERRORS) or []
        self.archive.finish_run(self.run_id, reason, {k: v for k, v in stats.items() if k != ERRORS}, errors)

    def _refresh_kept_lookups(self) -> None:
        """Bring the search's stored lookups up to what this crawl stored (storage.archive.termcache), so that the
        web's first page of a common term stays a read however much the crawl stored; a failure is a run error."""
        assert self.crawler.stats is not None
        try:
            done = self.archive.query.refresh_kept()
        except Exception as exc:  # the crawl's reports are stored: the cache is only behind
            self.crawler.stats.inc_value("term_cache/refresh_failed")
            record_error(self.crawler.stats, None, "", _reason(exc), "term cache")
            return
        for what, n in done.items():
            self.crawler.stats.inc_value(f"term_cache/{what}", n)
