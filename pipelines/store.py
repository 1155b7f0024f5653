"""Stage 4: write the report and its sighting in one idempotent transaction; count the outcome.

On a re-crawl most pages carry content already archived at their URL: ``Archive.record`` then only
moves the sighting's ``last_seen`` (outcome ``unchanged``), in the same one transaction as any other
write, so no separate read is needed to tell the cases apart; its unique constraints settle races
between concurrent crawls.
"""

from __future__ import annotations

from itemadapter import ItemAdapter

from pipelines.components import RUN_ID, ArchiveComponent, count
from storage import ReportRecord


class StorePipeline(ArchiveComponent):
    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        stats = self.crawler.stats
        assert stats is not None
        record = ReportRecord(
            url=adapter["url"], content_sha256=adapter["content_sha256"], body=adapter["text"],
            title=adapter["title"], organ=adapter["organ"], report_year=adapter["report_year"],
            report_year_source=adapter["report_year_source"], published=adapter["published"],
            meta=adapter["meta"], portal=adapter["portal"], http_status=adapter["http_status"],
            run_id=stats.get_value(RUN_ID), attachments=tuple(adapter["attachments"]))
        adapter["outcome"] = self.archive.record(record).value
        count(stats, adapter["portal"], f"reports/{adapter['outcome']}")
        return item
