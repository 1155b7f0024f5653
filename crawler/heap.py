"""Python's cyclic garbage collector during a crawl: the start-up heap frozen, fewer young collections.

A crawl keeps about 150,000 objects alive from start to end (Scrapy, Twisted, SQLAlchemy, lxml and our
own modules), and every full collection walked them all: ``gc.callbacks`` on a crawl of the 201 demo
clone portals (benchmarks/throughput.py) counted 14 % of the crawl's CPU in the collector, two thirds of it
in 17 full collections, charged to whatever code allocated at the time (an XPath returning a few hundred
attribute values looked 4× slower in the crawl than alone).  At spider open :class:`GcTuning` collects once
and ``gc.freeze()``\\ s what is left, so later collections skip it, and raises the youngest generation's
threshold (``NIANBAO_GC_YOUNG``) so a page's short-lived objects are mostly freed by reference counting
before a collection looks at them.  Nothing is freed later than Python would free it anyway except cyclic
garbage, which waits for at most ``NIANBAO_GC_YOUNG`` allocations.  Both are undone at spider close, so a
process that runs several crawls starts each from Python's defaults.
"""

from __future__ import annotations

import gc
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class GcTuning:
    """Extension: ``gc.freeze()`` and a larger young generation while the spider runs."""

    def __init__(self, young: int) -> None:
        self.young = young
        self.thresholds: tuple[int, int, int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NIANBAO_GC_TUNING"):
            raise NotConfigured("NIANBAO_GC_TUNING is off")
        ext = cls(crawler.settings.getint("NIANBAO_GC_YOUNG"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        gc.collect()  # garbage left by start-up is freed, not frozen
        gc.freeze()
        self.thresholds = gc.get_threshold()
        if self.young > self.thresholds[0]:
            gc.set_threshold(self.young, *self.thresholds[1:])

    def spider_closed(self, spider: Spider) -> None:
        if self.thresholds is not None:
            gc.set_threshold(*self.thresholds)
            self.thresholds = None
        gc.unfreeze()
