"""Stage 4: write reports and their sightings in idempotent transactions, a few at a time; count the outcomes.

On a re-crawl most pages carry content already archived at their URL: ``Archive.record_many`` then only
moves the sighting's ``last_seen`` (outcome ``unchanged``), in the same transaction as any other write,
so no separate read is needed to tell the cases apart; its unique constraints settle races between
concurrent crawls.

**Group commit.** A report waits in this stage until the reports that reached it in the same turn of the
event loop (at most ``NIANBAO_STORE_BATCH``) are written with it in one transaction; only then is its
outcome counted and the item passed on.  Nothing is acknowledged before it is committed, so a crawl
killed at any point loses no report it counted: a report still waiting was never counted, has no
sighting, and is fetched again by the next crawl.  A batch whose write fails is written again one report
at a time, so one bad report (a URL too long to be a key) fails alone, as it would unbatched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from itemadapter import ItemAdapter
from scrapy.utils.asyncio import CallLaterResult, call_later
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from pipelines.components import RUN_ID, ArchiveComponent, count
from storage import Archive, Outcome, ReportRecord, open_archive

if TYPE_CHECKING:  # typing only: Scrapy hands it in
    from scrapy.crawler import Crawler


class StorePipeline(ArchiveComponent):
    def __init__(self, crawler: Crawler, archive: Archive, batch: int) -> None:
        super().__init__(crawler, archive)
        self.batch = max(1, batch)
        self.waiting: list[tuple[ReportRecord, Deferred[Outcome]]] = []
        self.flush_call: CallLaterResult | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        return cls(crawler, open_archive(settings["NIANBAO_DB"]), settings.getint("NIANBAO_STORE_BATCH"))

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        stats = self.crawler.stats
        assert stats is not None
        record = ReportRecord(
            url=adapter["url"], content_sha256=adapter["content_sha256"], body=adapter["text"],
            title=adapter["title"], organ=adapter["organ"], report_year=adapter["report_year"],
            report_year_source=adapter["report_year_source"], published=adapter["published"],
            meta=adapter["meta"], portal=adapter["portal"], http_status=adapter["http_status"],
            run_id=stats.get_value(RUN_ID), attachments=tuple(adapter["attachments"]))
        stored: Deferred[Outcome] = Deferred()
        self.waiting.append((record, stored))
        if len(self.waiting) >= self.batch:
            self.flush()
        elif self.flush_call is None:
            self.flush_call = call_later(0, self.flush)
        adapter["outcome"] = (await maybe_deferred_to_future(stored)).value
        count(stats, adapter["portal"], f"reports/{adapter['outcome']}")
        return item

    def flush(self) -> None:
        """Write every waiting report, in one transaction when it can (``store/batches``), and wake each up."""
        if self.flush_call is not None:
            self.flush_call.cancel()
            self.flush_call = None
        waiting, self.waiting = self.waiting, []
        if not waiting:
            return
        stats = self.crawler.stats
        assert stats is not None
        records = [record for record, _ in waiting]
        try:
            outcomes = self.archive.record_many(records)
        except Exception:  # which report failed is learnt by writing them one at a time
            count(stats, None, "store/batches_retried_singly")
            for record, stored in waiting:
                try:
                    outcome = self.archive.record(record)
                except Exception as exc:  # handed to that item's own chain, as when unbatched
                    stored.errback(exc)
                else:
                    stored.callback(outcome)
            return
        count(stats, None, "store/batches")
        for (_, stored), outcome in zip(waiting, outcomes, strict=True):
            stored.callback(outcome)
