"""One crawl per portal at a time, whoever started it: the scheduler, a manual `nianbao crawl`, `scrapy crawl`.

A Scrapy extension that, when the spider opens, takes the archive's lock of every portal the spider
planned (storage/archive/locks.py), renews the locks while the crawl runs and gives them back when it
closes. A portal another live process is crawling is taken out of this run's plan and recorded as a
run error (stage ``lock``) saying who holds it; when every planned portal is locked the run ends at
once with finish reason ``portal_locked``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from twisted.internet.task import LoopingCall
from twisted.internet.threads import deferToThread

from pipelines.components import count, record_error
from storage import Archive, open_archive
from storage.archive import HeldLock, PortalLocked

logger = logging.getLogger(__name__)


class PortalLocks:
    """Lock the spider's portals on open, heartbeat them, unlock them on close."""

    def __init__(self, crawler: Crawler, archive: Archive, ttl: dt.timedelta) -> None:
        self.crawler = crawler
        self.archive = archive
        self.ttl = ttl
        self.held: list[HeldLock] = []
        self.heartbeat: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ttl = dt.timedelta(seconds=crawler.settings.getfloat("NIANBAO_PORTAL_LOCK_TTL"))
        ext = cls(crawler, open_archive(crawler.settings["NIANBAO_DB"]), ttl)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        targets = getattr(spider, "targets", None)
        if not targets:
            return
        assert self.crawler.stats is not None
        locked: set[str] = set()
        for portal, url in targets:
            if portal is None or portal.name in locked or any(h.portal == portal.name for h in self.held):
                continue
            try:
                self.held.append(self.archive.lock_portal(portal.name, self.ttl))
            except PortalLocked as exc:
                locked.add(portal.name)
                count(self.crawler.stats, None, "portals_locked")
                record_error(self.crawler.stats, portal.name, url, f"skipped: {exc}", "lock")
                logger.warning("skipping %s: %s", portal.name, exc)
        if self.held:
            self.heartbeat = LoopingCall(deferToThread, self._renew)
            self.heartbeat.start(self.ttl.total_seconds() / 4, now=False)
        if locked:
            spider.targets = [(p, u) for p, u in targets if p is None or p.name not in locked]  # type: ignore[attr-defined]
            if not spider.targets:  # type: ignore[attr-defined]
                raise CloseSpider("portal_locked")

    def _renew(self) -> None:
        for held in list(self.held):
            self.archive.renew_portal_lock(held)

    def spider_closed(self, spider: Spider) -> None:
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        while self.held:
            self.archive.unlock_portal(self.held.pop())
