"""The store stage on a real Scrapy crawler and a real SQLite archive: group commit, and a bad report failing alone."""

from __future__ import annotations

import asyncio
import hashlib

from scrapy.utils.test import get_crawler

from crawler.items import ReportItem
from pipelines.store import StorePipeline
from storage import Archive, ArchiveError


def _item(url: str, text: str) -> ReportItem:
    return ReportItem(url=url, html="", text=text, content_sha256=hashlib.sha256(text.encode()).hexdigest())


def _store(stage: StorePipeline, items: list[ReportItem]) -> list[object]:
    """The items reach the stage in one turn of the event loop, as the responses of one download burst do."""
    async def together() -> list[object]:
        return await asyncio.gather(*(stage.process_item(item) for item in items), return_exceptions=True)
    return asyncio.run(together())


def test_reports_of_one_turn_are_written_in_one_transaction(sqlite_url: str) -> None:
    crawler = get_crawler()
    assert crawler.stats is not None
    stage = StorePipeline(crawler, Archive(sqlite_url), batch=50)
    items = [_item("http://a.test/1", "一"), _item("http://b.test/1", "一"), _item("http://a.test/2", "二")]
    assert _store(stage, items) == items
    assert [item.outcome for item in items] == ["new", "duplicate", "new"]
    assert crawler.stats.get_value("nianbao/store/batches") == 1
    assert crawler.stats.get_value("nianbao/reports/new") == 2
    assert crawler.stats.get_value("nianbao/reports/duplicate") == 1


def test_a_full_batch_is_written_at_once_and_the_rest_in_the_next(sqlite_url: str) -> None:
    crawler = get_crawler()
    assert crawler.stats is not None
    stage = StorePipeline(crawler, Archive(sqlite_url), batch=2)
    items = [_item(f"http://a.test/{n}", f"报告{n}") for n in range(5)]
    assert _store(stage, items) == items
    assert crawler.stats.get_value("nianbao/store/batches") == 3  # 2 + 2 at once, then the last one
    assert crawler.stats.get_value("nianbao/reports/new") == 5


def test_a_bad_report_fails_alone_and_the_rest_of_its_batch_is_stored(sqlite_url: str) -> None:
    crawler = get_crawler()
    assert crawler.stats is not None
    archive = Archive(sqlite_url)
    stage = StorePipeline(crawler, archive, batch=50)
    items = [_item("http://a.test/1", "一"), _item("http://a.test/" + "x" * 2000, "二"), _item("http://a.test/3", "三")]
    results = _store(stage, items)
    assert isinstance(results[1], ArchiveError)
    assert results[0] is items[0] and results[2] is items[2]
    assert [items[0].outcome, items[2].outcome] == ["new", "new"]
    assert crawler.stats.get_value("nianbao/store/batches_retried_singly") == 1
    assert crawler.stats.get_value("nianbao/reports/new") == 2
    assert archive.count_reports() == 2
