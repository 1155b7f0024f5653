"""The garbage-collector tuning of a crawl (crawler/heap.py) is in force while the spider runs, and only then."""

from __future__ import annotations

import gc

import pytest
from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler import settings as defaults
from crawler.heap import GcTuning


def test_start_up_heap_frozen_and_young_generation_larger_while_the_spider_runs() -> None:
    assert "crawler.heap.GcTuning" in defaults.EXTENSIONS and defaults.NIANBAO_GC_TUNING
    crawler = get_crawler(Spider, {"NIANBAO_GC_TUNING": True, "NIANBAO_GC_YOUNG": 12_345, "EXTENSIONS_BASE": {}})
    extension = GcTuning.from_crawler(crawler)  # signals hold their receivers weakly: Scrapy keeps it, so do we
    before = gc.get_threshold()
    gc.unfreeze()  # what other code of this test process froze (the archive's in-memory indexes freeze theirs)
    assert gc.get_freeze_count() == 0
    spider = Spider("s")
    crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
    try:
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (12_345, *before[1:])
    finally:
        crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before
    assert extension.thresholds is None


def test_off_by_setting() -> None:
    with pytest.raises(NotConfigured):
        GcTuning.from_crawler(get_crawler(Spider, {"NIANBAO_GC_TUNING": False}))
