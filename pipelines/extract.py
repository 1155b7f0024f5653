"""Stage 1: page → clean text plus metadata, and the fields the archive stores about a report.

The extraction itself is the HTML library in ``pipelines/text/html/``; this module decides what a crawl
keeps of it (:func:`report_fields`, shared with ``nianbao extract``) and runs it as a Scrapy stage.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pipelines.attachments import body_or_attachments
from pipelines.components import count, record_error
from pipelines.text.classify import Kind, classify_title, is_aggregate_title, organ_from_title
from pipelines.text.dates import ReportYear, report_year, signature_date, url_date
from pipelines.text.html.extraction import Extraction, extract

__all__ = ["ExtractPipeline", "Extraction", "ReportFields", "extract", "report_fields"]


@dataclass(frozen=True, slots=True)
class ReportFields:
    """What the archive stores about a page besides its text (see :func:`report_fields`)."""

    title: str | None
    organ: str | None
    published: datetime.date | None
    report_year: ReportYear
    is_report: bool
    meta: dict[str, Any]


def report_fields(
    page: Extraction, url: str | None, list_title: str | None = None, list_date: datetime.date | None = None
) -> ReportFields:
    """Title, organ, publish date and report year as the pipeline stores them.

    One function for the Scrapy stage and ``nianbao extract``, so the command shows exactly what a
    crawl would archive.  The list-page title and date are fallbacks only a crawl has.
    """
    title = page.title if page.title and classify_title(page.title) is Kind.REPORT else list_title or page.title
    published = page.published or url_date(url) or list_date or signature_date(page.text)
    # The body whose report this is (from the title) before the office that posted it (ContentSource).
    organ = (organ_from_title(title) if title else None) or page.organ
    is_report = bool(title) and classify_title(title) is Kind.REPORT
    meta: dict[str, Any] = {**page.meta, **{k: v for k, v in (("container", page.container),
                                                                 ("content_source", page.organ)) if v}}
    if is_report and title:
        # A 本级政府 report sums its units' figures: never add it to theirs (docs/reference/report-format.md §1).
        meta["is_aggregate"] = is_aggregate_title(title, organ)
    return ReportFields(title=title, organ=organ, published=published,
                        report_year=report_year(title, page.text, published), is_report=is_report, meta=meta)


class ExtractPipeline:
    """Stage 1: page → clean text plus metadata (title, organ, publish date, report year).

    Metadata is kept apart from the body; a page with no recognisable body is recorded as an
    error for its portal and dropped, so an empty text never reaches the archive.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        stats = self.crawler.stats
        assert stats is not None
        url, portal = adapter["url"], adapter["portal"]
        page = extract(adapter["page"], url)  # parsed by the attachments stage; the tree is not needed after this
        adapter["page"] = None
        text, source = body_or_attachments(page.text, item)  # 详见附件 pages and reports published as files
        page = replace(page, text=text)
        if page.no_body and source == "page":
            record_error(stats, portal, url, "no recognisable body on the page", "extract")
            raise DropItem(f"no body found: {url}")
        fields = report_fields(page, url, adapter["list_title"], adapter["list_date"])
        if adapter["ambiguous_title"] and not fields.is_report:  # 查看 or a cut-off list title: the page decided
            count(stats, portal, "links/other")
            raise DropItem(f"not a report by its own title: {url}")
        adapter["title"] = fields.title
        adapter["organ"] = fields.organ
        adapter["published"] = fields.published
        adapter["report_year"] = fields.report_year.year
        adapter["report_year_source"] = fields.report_year.source
        adapter["meta"] = fields.meta if source == "page" else {**fields.meta, "text_from": source}
        adapter["text"] = page.text
        count(stats, portal, "extracted")
        return item
