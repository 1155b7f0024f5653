"""The ``reports`` spider: report columns of registry portals → list pages → report pages.

``scrapy crawl reports`` crawls every registry portal; ``-a portal=NAME[,NAME…]`` some of them;
``-a url=COLUMN_URL`` one column given by hand (attached to the registry portal on that host, if
any). List pages are read with the protocol of their CMS (crawler.lists) and walked one page at a time
(crawler.paging); links whose title classifies as an annual report are followed, and so are links whose
title cannot tell (查看, cut short), whose page then decides by its own title; the rest are counted as skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding

from crawler import discovery
from crawler.hostile import CHALLENGED, GONE, TRAPPED, HostileResponse
from crawler.items import ReportItem
from crawler.lists import ListLink, protocol_for
from crawler.lists.base import clean_title, is_generic, title_says_too_little
from crawler.middlewares import DEMO_SUFFIX
from crawler.paging import CAPPED, HISTORY_RUNS, REPEAT, WALKED, ColumnWalk, list_requests, walked_before
from pipelines.attachments import document_links
from pipelines.components import RUN_ID, count, portal_counters, record_error
from pipelines.text.classify import Kind, classify_title
from pipelines.text.documents import file_name, is_document, magic, sniff
from pipelines.text.encoding import decode_html
from storage import Archive, ArchiveError, PortalSpec, RunView, open_archive

NO_CACHE = {"Cache-Control": "no-cache"}  # list pages must never come from a stale cache
_ARTICLE_TITLE = "//meta[translate(@name, 'ARTICLETITLE', 'articletitle') = 'articletitle']/@content"


def declared_title(response: TextResponse) -> str:
    """The title a page declares in meta ``ArticleTitle`` (the national standard tag, cms-patterns.md §6; the
    extractor prefers it too), or "" when it declares none."""
    return clean_title(response.xpath(_ARTICLE_TITLE).get() or "")


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
    """Registry portals → (discovery from the homepage →) report columns → list pages → report pages.

    ``-a discover=1`` rediscovers columns from homepages; ``-a discover=only`` discovers and records
    them without crawling the lists (``nianbao portals discover``).
    """

    name = "reports"

    def __init__(self, portal: str | None = None, url: str | None = None, discover: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.portal_arg = portal
        self.url_arg = url
        self.discover_arg = discover or ""
        self.targets: list[tuple[PortalSpec | None, str]] = []  # (portal, column or homepage URL)
        self.discover_from: set[str] = set()  # target URLs to run discovery from (homepages)
        self.paused: list[str] = []
        self._listed: set[str] = set()
        self._walks: dict[str, ColumnWalk] = {}  # column URL → this run's walk of its list pages
        self._history: list[RunView] | None = None  # earlier runs, newest first (read once, when first needed)
        self._found: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)  # portal → column URL → finding
        self._evidence: dict[str, list[dict[str, Any]]] = defaultdict(list)  # portal → hostile answers

    @classmethod
    def from_crawler(cls, crawler: scrapy.crawler.Crawler, *args: Any, **kwargs: Any) -> ReportsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.archive = open_archive(crawler.settings["NIANBAO_DB"])
        spider.targets = spider.plan(spider.archive)
        return spider

    @property
    def portal_names(self) -> list[str]:
        return list(dict.fromkeys(p.name for p, _ in self.targets if p))

    @property
    def discover_only(self) -> bool:
        return self.discover_arg == "only"

    def plan(self, archive: Archive) -> list[tuple[PortalSpec | None, str]]:
        """Where to start; raises ArchiveError for unknown portals.

        A portal's own column URLs win, then the columns discovery recorded for it, then discovery from
        its homepage.  A full crawl skips (backs off from) portals challenged in the last
        ``NIANBAO_CHALLENGED_RUNS_PAUSE`` runs; naming the portal crawls it anyway.
        """
        if self.url_arg:
            host = urlsplit(self.url_arg).hostname
            owner = archive.get_portal(self.portal_arg) if self.portal_arg else next(
                (p for p in archive.list_portals()
                 if any(urlsplit(u).hostname == host for u in (p.homepage or "", *p.column_urls))), None)
            if self.discover_arg:
                self.discover_from.add(self.url_arg)
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
        healths = archive.portal_healths()
        pause = self.settings.getint("NIANBAO_CHALLENGED_RUNS_PAUSE")
        targets: list[tuple[PortalSpec | None, str]] = []
        for p in portals:
            health = healths.get(p.name)
            if (not self.portal_arg and health and health.status == CHALLENGED
                    and health.challenged_runs >= pause):
                self.paused.append(p.name)
                continue
            columns = p.column_urls or (health.discovered_urls if health else ())
            if p.homepage and (self.discover_arg or not columns):
                targets.append((p, p.homepage))
                self.discover_from.add(p.homepage)
            else:
                targets.extend((p, url) for url in columns)
        return targets

    async def start(self) -> AsyncIterator[scrapy.Request]:
        assert self.crawler.stats is not None
        if self.paused:  # backed off: challenged in too many consecutive runs (see `nianbao portals list`)
            count(self.crawler.stats, None, "portals_paused_challenged", len(self.paused))
        for portal, url in self.targets:
            self._listed.add(url)
            if url in self.discover_from:
                yield self._discovery_request(url, portal, depth=0)
            else:
                yield self._list_request(url, portal, column=url)

    def _list_request(self, url: str, portal: PortalSpec | None, column: str, depth: int = 0) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_list, errback=self.on_error, headers=NO_CACHE,
                              cb_kwargs={"portal": portal, "column": column, "depth": depth}, meta={"stage": "list"})

    def _discovery_request(self, url: str, portal: PortalSpec | None, depth: int) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_discovery, errback=self.on_error, headers=NO_CACHE,
                              cb_kwargs={"portal": portal, "depth": depth},
                              meta={"stage": "discover" if depth else "homepage"})

    def _readable(self, response: Response, portal: str | None, stage: str) -> bool:
        """Only HTML/text answers with a success status are parsed; anything else is an error."""
        assert self.crawler.stats is not None
        if not isinstance(response, TextResponse):
            record_error(self.crawler.stats, portal, response.url,
                         f"not an HTML page ({response.headers.get('Content-Type', b'').decode()!r})", stage)
            return False
        if response.status >= 400:
            record_error(self.crawler.stats, portal, response.url, f"HTTP {response.status}", stage)
            return False
        return True

    def parse_discovery(self, response: Response, portal: PortalSpec | None, depth: int) -> Iterator[Any]:
        """A homepage or hub page: report columns found are crawled (or only recorded); hubs followed."""
        name = portal.name if portal else None
        if not self._readable(response, name, "discover"):
            return
        assert isinstance(response, TextResponse) and self.crawler.stats is not None
        count(self.crawler.stats, name, "discovery/pages")
        home = (portal.homepage if portal and portal.homepage else None) or response.url
        found = discovery.scan(response.selector, response.url, home)
        yield from self._follow_columns(found.columns, portal, depth, response.url)
        if depth < self.settings.getint("NIANBAO_DISCOVERY_DEPTH"):
            for hub in found.hubs:
                if hub not in self._listed:
                    self._listed.add(hub)
                    yield self._discovery_request(hub, portal, depth + 1)

    def _follow_columns(self, columns: tuple[discovery.Found, ...], portal: PortalSpec | None, depth: int,
                        via: str) -> Iterator[scrapy.Request]:
        """Remember each new column for the portal and crawl it (in discover-only mode: scan it for sub-columns)."""
        name = portal.name if portal else None
        assert self.crawler.stats is not None
        for found in columns:
            if found.url in self._found[name or ""]:
                continue
            self._found[name or ""][found.url] = {"url": found.url, "title": found.title, "source": found.source,
                                                  "depth": depth, "via": via}
            count(self.crawler.stats, name, "discovery/columns")
            if found.url in self._listed or depth > self.settings.getint("NIANBAO_DISCOVERY_DEPTH") + 1:
                continue
            self._listed.add(found.url)
            yield (self._discovery_request(found.url, portal, depth + 1) if self.discover_only
                   else self._list_request(found.url, portal, column=found.url, depth=depth + 1))

    def parse_list(self, response: Response, portal: PortalSpec | None, column: str, depth: int = 0) -> Iterator[Any]:
        name = portal.name if portal else None
        stats = self.crawler.stats
        assert stats is not None
        walk = self._walk(portal, column)
        if not self._readable(response, name, "list"):
            walk.complete = False
            yield from self._next_page(walk, portal)
            return
        assert isinstance(response, TextResponse)
        count(stats, name, "list_pages")
        protocol = protocol_for(response, portal.cms if portal else None)
        stats.inc_value(f"nianbao/list_protocol/{protocol.name}")
        page = protocol.parse(response)
        reports: list[str] = []
        html = response.selector.type == "html"  # a list API may answer JSON: no documents, no sub-columns there
        links = (*page.links, *(document_links(response, page.links) if html else ()))  # + P0….pdf entries
        for link in links:
            if link.url in self._listed:
                continue
            self._listed.add(link.url)
            if request := self._report_request(link, portal):
                reports.append(link.url)
                yield request
        if html:  # sub-columns (部门/乡镇/街道年报, per-year folders) linked from the column's own pages
            yield from self._follow_columns(discovery.scan(response.selector, response.url, response.url).columns,
                                            portal, depth, response.url)
        walk.queue(list_requests(page))
        unseen = len(set(reports) - self.archive.known_urls(reports)) if walk.rewalk else len(reports)
        if stop := walk.read([link.url for link in links], unseen, self.settings.getint("NIANBAO_STALE_LIST_PAGES")):
            # REPEAT: nothing this walk had not seen; STALE: newest first, and N pages brought nothing unseen
            count(stats, name, "list_pages_stopped_repeat" if stop == REPEAT else "list_pages_stopped_seen")
            self._walk_ended(walk)
            return
        yield from self._next_page(walk, portal)

    def _report_request(self, link: ListLink, portal: PortalSpec | None) -> scrapy.Request | None:
        """A request for a list entry worth fetching: its title is a report's, or says too little to tell (a
        truncated title, a bare 查看), and then the page's own title decides (:meth:`parse_report`)."""
        name = portal.name if portal else None
        assert self.crawler.stats is not None
        kind = classify_title(link.title)
        ambiguous = kind is not Kind.REPORT and title_says_too_little(link.title)
        count(self.crawler.stats, name, "links/ambiguous" if ambiguous else f"links/{kind.value}")
        if kind is not Kind.REPORT and not ambiguous:
            return None
        return scrapy.Request(link.url, callback=self.parse_report, errback=self.on_error,
                              cb_kwargs={"portal": portal, "link": link},
                              meta={"stage": "report", "ambiguous_title": ambiguous})

    def _walk(self, portal: PortalSpec | None, column: str) -> ColumnWalk:
        """This run's walk of ``column``: a re-walk when an earlier finished run walked it to its end."""
        if column not in self._walks:
            if self._history is None:
                own = self.crawler.stats.get_value(RUN_ID) if self.crawler.stats else None
                self._history = [r for r in self.archive.list_runs(limit=HISTORY_RUNS) if r.id != own]
            self._walks[column] = ColumnWalk(column, rewalk=walked_before(
                self._history, portal.name if portal else None, column))
        return self._walks[column]

    def _next_page(self, walk: ColumnWalk, portal: PortalSpec | None) -> Iterator[scrapy.Request]:
        """The walk's next list page (GET link or POST list-API page); at most NIANBAO_MAX_LIST_PAGES a column."""
        name = portal.name if portal else None
        assert self.crawler.stats is not None
        limit = self.settings.getint("NIANBAO_MAX_LIST_PAGES")
        nxt = walk.next_request(limit, self._listed)
        if walk.ended == CAPPED:
            count(self.crawler.stats, name, "list_pages_capped")
            self._note(name, {"kind": TRAPPED, "detail": f"more than {limit} list pages (pagination trap?)",
                              "url": walk.column, "status": None})
        if nxt is None:
            self._walk_ended(walk)
            return
        self._listed.add(nxt.key)
        kwargs = {"callback": self.parse_list, "errback": self.on_error, "headers": NO_CACHE,
                  "cb_kwargs": {"portal": portal, "column": walk.column}, "meta": {"stage": "list"}}
        yield (scrapy.Request(nxt.url, **kwargs) if nxt.form is None
               else scrapy.FormRequest(nxt.url, formdata=dict(nxt.form), **kwargs))

    def _walk_ended(self, walk: ColumnWalk) -> None:
        """A column read to its end (or to where nothing new comes) is remembered for the next run's re-walk."""
        if walk.complete and self.crawler.stats is not None:
            walked = self.crawler.stats.get_value(WALKED) or []
            self.crawler.stats.set_value(WALKED, [*walked, walk.column])

    def parse_report(self, response: Response, portal: PortalSpec | None, link: ListLink) -> Iterator[ReportItem]:
        name = portal.name if portal else None
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        ambiguous = bool(response.meta.get("ambiguous_title"))  # the list title could not tell: the page decides
        list_title = None if is_generic(link.title) else link.title
        # A report published as a file (PDF, DOCX…), whatever Content-Type it came with: pipelines/attachments.
        if response.status < 400 and (magic(response.body) or (
                not isinstance(response, TextResponse) and is_document(response.body, file_name(response.url)))):
            yield ReportItem(url=response.url, html="", portal=name, http_status=response.status,
                             list_title=list_title, list_date=link.date, document=response.body,
                             content_type=content_type, ambiguous_title=ambiguous)
            return
        if not isinstance(response, TextResponse) and sniff(response.body) == "html":  # HTML served as a file
            response = HtmlResponse(response.url, status=response.status, headers=response.headers,
                                    body=response.body, request=response.request)
        if not self._readable(response, name, "report"):
            return
        assert isinstance(response, TextResponse)
        if ambiguous and (declared := declared_title(response)) and classify_title(declared) is not Kind.REPORT:
            count(self.crawler.stats, name, "links/other")  # the page's own title says: no report
            return
        # Decoded like every page (pipelines.text.encoding), not by Scrapy: a header or meta charset that lies
        # (utf-8 over GBK bytes, common on old portals) would otherwise turn the report into U+FFFD.
        html = decode_html(response.body, http_content_type_encoding(content_type))
        yield ReportItem(url=response.url, html=html, portal=name, http_status=response.status,
                         list_title=list_title, list_date=link.date, ambiguous_title=ambiguous)

    def _note(self, portal: str | None, evidence: dict[str, Any]) -> None:
        if portal and evidence not in self._evidence[portal]:
            self._evidence[portal].append(evidence)

    def on_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        """Record a failed request; a failed list page does not end its column's walk (the next page is asked)."""
        request = failure.request  # type: ignore[attr-defined]
        portal: PortalSpec | None = request.cb_kwargs.get("portal")
        stage = request.meta.get("stage", "list")
        self._record_failure(failure, request, portal, stage)
        if stage == "list" and (column := request.cb_kwargs.get("column")) in self._walks:
            self._walks[column].complete = False
            yield from self._next_page(self._walks[column], portal)

    def _record_failure(self, failure: Failure, request: scrapy.Request, portal: PortalSpec | None,
                        stage: str) -> None:
        name = portal.name if portal else None
        assert self.crawler.stats is not None
        if failure.check(HostileResponse):
            hostile: HostileResponse = failure.value
            if hostile.noteworthy:  # a refusal to ask is evidence once per host, with the numbers behind it
                self._note(name, hostile.evidence())
            if stage in ("list", "homepage"):  # a challenged column is the portal's failure; a gone report is not
                record_error(self.crawler.stats, name, request.url, str(hostile), stage)
            return
        if failure.check(scrapy.exceptions.IgnoreRequest) and not failure.check(HttpError):
            count(self.crawler.stats, name, "ignored")  # robots.txt and the like
            return
        if stage == "discover":  # a hub page that does not answer is not the portal's failure
            count(self.crawler.stats, name, "discovery/errors")
            return
        record_error(self.crawler.stats, name, request.url, describe_failure(failure), stage)

    def closed(self, reason: str) -> None:
        """Record per portal what this run saw (status + evidence) and the columns discovery found."""
        if reason != "finished" or self.crawler.stats is None:
            return
        stats = self.crawler.stats.get_stats()
        discovering = {p.name for p, url in self.targets if p and url in self.discover_from}
        for name in self.portal_names:
            if name in discovering and self._found[name]:
                self.archive.record_discovery(name, list(self._found[name].values()))
            if self.discover_only:
                continue
            counters, evidence = portal_counters(stats, name), self._evidence[name]
            kinds = {e["kind"] for e in evidence}
            if counters.get("list_pages", 0):
                status = TRAPPED if TRAPPED in kinds else "ok"
            else:
                status = next((k for k in (CHALLENGED, GONE, TRAPPED) if k in kinds), None) or (
                    "unreachable" if counters.get("errors") else "no_column")
            self.archive.set_portal_status(name, status, evidence)
