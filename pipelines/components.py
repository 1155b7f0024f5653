"""What nianbao's Scrapy components share: the archive they write to, and the run's named stats and errors.

Counters live in Scrapy's stats under ``nianbao/…`` names (one per decision), so they appear in the usual
end-of-crawl stats dump as well as in the archive (``crawler.runs.RunRecorder`` stores them with the run).
The spider, the middlewares and every pipeline stage record through these functions, so a decision made
anywhere in a crawl is counted the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from storage import Archive, open_archive

if TYPE_CHECKING:  # typing only: Scrapy hands these in
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

RUN_ID = "nianbao/run_id"
ERRORS = "nianbao/error_list"
MAX_ERRORS_KEPT = 200


class ArchiveComponent:
    """Base for Scrapy components (pipelines, middlewares) that use the archive named by ``NIANBAO_DB``."""

    def __init__(self, crawler: Crawler, archive: Archive) -> None:
        self.crawler = crawler
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, open_archive(crawler.settings["NIANBAO_DB"]))


def count(stats: StatsCollector, portal: str | None, name: str, n: int = 1) -> None:
    """Increment ``nianbao/<name>`` and, for a registry portal, ``nianbao/portal/<portal>/<name>``."""
    stats.inc_value(f"nianbao/{name}", n)
    if portal:
        stats.inc_value(f"nianbao/portal/{portal}/{name}", n)


def record_error(stats: StatsCollector, portal: str | None, url: str, reason: str, stage: str) -> None:
    """Keep a readable error for the run (bounded) and count it per portal and stage."""
    count(stats, portal, "errors")
    count(stats, portal, f"errors/{stage}")
    errors: list[dict[str, Any]] = stats.get_value(ERRORS) or []
    if len(errors) < MAX_ERRORS_KEPT:
        errors.append({"portal": portal, "url": url, "stage": stage, "reason": reason})
        stats.set_value(ERRORS, errors)


def run_errors(stats: StatsCollector) -> list[dict[str, Any]]:
    """The readable errors recorded so far (see :func:`record_error`)."""
    return list(stats.get_value(ERRORS) or [])


def portal_counters(stats: dict[str, Any], portal: str) -> dict[str, int]:
    prefix = f"nianbao/portal/{portal}/"
    return {k[len(prefix):]: v for k, v in stats.items() if k.startswith(prefix)}
