"""Stage 6: read the statistics tables of a newly stored report and keep them, with the form's checks.

Runs after the store stage, so the report row exists; the tables go in by the report's content hash in a
separate idempotent write.  Unchanged and duplicate pages are skipped: their text, hence their tables,
is already stored.  A reader failure is a recorded run error, never a lost report.
"""

from __future__ import annotations

from itemadapter import ItemAdapter

from pipelines.components import ArchiveComponent, count, record_error
from pipelines.text.statistics import read_statistics
from storage import Archive, Outcome

_READ = (Outcome.NEW.value, Outcome.CHANGED.value)


def store_statistics(archive: Archive, content_sha256: str, text: str) -> tuple[bool, int]:
    """Read and store one report's tables; (tables found, identities failed)."""
    stats, findings = read_statistics(text)
    archive.record_statistics(content_sha256, stats, findings)
    return stats is not None, len(findings)


def reread_statistics(archive: Archive) -> tuple[int, int]:
    """Read the tables of every archived report again (``nianbao reextract``); (with tables, inconsistent)."""
    tables = inconsistent = 0
    for report in archive.iter_reports():
        found, failed = store_statistics(archive, report.content_sha256, report.body)
        tables += found
        inconsistent += failed > 0
    return tables, inconsistent


class StatisticsPipeline(ArchiveComponent):
    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        stats = self.crawler.stats
        assert stats is not None
        if adapter["outcome"] not in _READ:
            return item
        try:
            found, failed = store_statistics(self.archive, adapter["content_sha256"], adapter["text"])
        except Exception as exc:  # any reader bug is a run error; the report is already stored
            record_error(stats, adapter["portal"], adapter["url"], f"{type(exc).__name__}: {exc}", "statistics")
            return item
        if found:
            count(stats, adapter["portal"], "statistics/read")
        if failed:
            count(stats, adapter["portal"], "statistics/inconsistent")
        return item
