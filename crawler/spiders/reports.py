"""The ``reports`` spider: report columns of registry portals → list pages → report pages.

``scrapy crawl reports`` crawls every registry portal; ``-a portal=NAME[,NAME…]`` some of them;
``-a url=COLUMN_URL`` one column given by hand (attached to the registry portal on that host, if
any). List pages are read with the protocol of their CMS (crawler.lists); only links whose title
classifies as an annual report are followed; the rest are counted as skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from crawler.classify import Kind, classify_title
from crawler.items import ReportItem
from crawler.lists import ListLink, protocol_for
from crawler.middlewares import DEMO_SUFFIX
from crawler.runs import count, record_error
from storage import Archive, ArchiveError, PortalSpec

NO_CACHE = {"Cache-Control": "no-cache"}  # list pages must never come from a stale cache


def describe_failure(failure: Failure) -> str:
    """One line a person can act on, for any download failure."""
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    if failure.check(CannotResolveHostError, DNSLookupError):
        host = urlsplit(failure.request.url).hostname or ""  # type: ignore[attr-defined]
        hint = " (demo portal: is the demo server running and NIANBAO_DEMO_PROXY set?)" \
            if host.endswith(DEMO_SUFFIX) else ""
        return f"DNS lookup failed for {host}{hint}"
    if failure.check(DownloadConnectionRefusedError, ConnectionRefusedError):
        return "connection refused"
    if failure.check(DownloadTimeoutError, TimeoutError, TCPTimedOutError):
        return "timed out"
    return f"{failure.type.__name__}: {failure.getErrorMessage()}"


class ReportsSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, portal: str | None = None, url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.portal_arg = portal
        self.url_arg = url
        self.targets: list[tuple[PortalSpec | None, str]] = []
        self._listed: set[str] = set()
        self._pages_per_column: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: scrapy.crawler.Crawler, *args: Any, **kwargs: Any) -> ReportsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.targets = spider.plan(Archive(crawler.settings["NIANBAO_DB"]))
        return spider

    @property
    def portal_names(self) -> list[str]:
        return list(dict.fromkeys(p.name for p, _ in self.targets if p))

    def plan(self, archive: Archive) -> list[tuple[PortalSpec | None, str]]:
        """(portal, column URL) pairs to start from; raises ArchiveError for unknown portals."""
        if self.url_arg:
            host = urlsplit(self.url_arg).hostname
            owner = next((p for p in archive.list_portals()
                          if any(urlsplit(u).hostname == host for u in (p.homepage or "", *p.column_urls))), None)
            return [(owner, self.url_arg)]
        if self.portal_arg:
            portals = []
            for name in (n.strip() for n in self.portal_arg.split(",") if n.strip()):
                spec = archive.get_portal(name)
                if spec is None:
                    raise ArchiveError(f"no portal named {name!r} in the registry (see `nianbao portals list`)")
                portals.append(spec)
        else:
            portals = archive.list_portals()
        # Columns are required until discovery from homepages lands; a homepage-only portal is
        # crawled at its homepage with the generic list protocol.
        return [(p, url) for p in portals for url in (p.column_urls or (p.homepage or "",)) if url]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for portal, url in self.targets:
            yield self._list_request(url, portal, column=url)

    def _list_request(self, url: str, portal: PortalSpec | None, column: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_list, errback=self.on_error, headers=NO_CACHE,
                              cb_kwargs={"portal": portal, "column": column}, meta={"stage": "list"})

    def parse_list(self, response: Response, portal: PortalSpec | None, column: str) -> Iterator[Any]:
        name = portal.name if portal else None
        stats = self.crawler.stats
        assert stats is not None
        if not isinstance(response, TextResponse):
            record_error(stats, name, response.url, "list page is not text/HTML", "list")
            return
        count(stats, name, "list_pages")
        protocol = protocol_for(response, portal.cms if portal else None)
        stats.inc_value(f"nianbao/list_protocol/{protocol.name}")
        page = protocol.parse(response)
        for link in page.links:
            if link.url in self._listed:
                continue
            self._listed.add(link.url)
            kind = classify_title(link.title)
            count(stats, name, f"links/{kind.value}")
            if kind is Kind.REPORT:
                yield scrapy.Request(link.url, callback=self.parse_report, errback=self.on_error,
                                     cb_kwargs={"portal": portal, "link": link}, meta={"stage": "report"})
        limit = self.settings.getint("NIANBAO_MAX_LIST_PAGES", 50)
        for next_url in page.next_urls:
            followed = self._pages_per_column.get(column, 1)
            if followed >= limit:
                count(stats, name, "list_pages_capped")
                break
            if next_url not in self._listed:
                self._listed.add(next_url)
                self._pages_per_column[column] = followed + 1
                yield self._list_request(next_url, portal, column)

    def parse_report(self, response: Response, portal: PortalSpec | None, link: ListLink) -> Iterator[ReportItem]:
        name = portal.name if portal else None
        if not isinstance(response, TextResponse):
            assert self.crawler.stats is not None
            record_error(self.crawler.stats, name, response.url,
                         f"not an HTML page ({response.headers.get('Content-Type', b'').decode()!r})", "report")
            return
        yield ReportItem(url=response.url, html=response.text, portal=name, http_status=response.status,
                         list_title=link.title, list_date=link.date)

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        portal: PortalSpec | None = request.cb_kwargs.get("portal")
        assert self.crawler.stats is not None
        if failure.check(scrapy.exceptions.IgnoreRequest) and not failure.check(HttpError):
            count(self.crawler.stats, portal.name if portal else None, "ignored")  # robots.txt and the like
            return
        record_error(self.crawler.stats, portal.name if portal else None, request.url,
                     describe_failure(failure), request.meta.get("stage", "list"))
