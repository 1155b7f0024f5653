"""A Scrapy extension for tests: counts the HTML documents parsed during a crawl and the report pages fetched.

Enabled with ``-s EXTENSIONS=…`` on a real crawl; it wraps lxml's document parser (every whole-page parse
of our stages goes through ``lxml.html.document_fromstring``) and leaves both counts in the run's stats.
"""

from __future__ import annotations

from typing import Any, Self

import lxml.html
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from pipelines.text.documents import sniff

PARSES = "test/html_parses"
REPORT_PAGES = "test/report_pages"


class ParseCounter:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        parse = lxml.html.document_fromstring

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.stats.inc_value(PARSES)
            return parse(*args, **kwargs)

        lxml.html.document_fromstring = counted
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def response_received(self, response: Response, request: Request) -> None:
        if request.meta.get("stage") == "report" and sniff(response.body) == "html":  # not a report file
            self.stats.inc_value(REPORT_PAGES)
