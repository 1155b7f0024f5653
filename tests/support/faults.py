"""A fault-injection portal on loopback: every way a portal breaks that a crawl must survive and record.

Served for real over HTTP by :class:`FaultSite` on 127.0.0.1, under one host name per portal
(``faults.test``, ``gates.test``, ``ssrf.test``, ``big.test``) that :class:`StubResolver` resolves to
127.0.0.1 inside the crawl, so no name ever reaches a real name server. A second server on 127.0.0.2
plays the internal network: ``intranet.test`` resolves there and a redirect points there; unless a test
registers a portal there, its request log must stay empty.

Each :class:`Case` says what a page does and what the archive should make of it; docs/faults.md is
this list as a table. The report texts are typed by hand (:func:`report_paragraphs`): a page holds
exactly those paragraphs inside site chrome, so they are both the input and the expected clean text.
"""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.base import ReactorBase
from twisted.internet.error import DNSLookupError

from storage import Archive, PortalSpec
from tests.support.commands import run_cmd

INTERNAL = "127.0.0.2"  # the "internal network": another loopback address
MAX_SIZE = 2_000_000  # DOWNLOAD_MAXSIZE of the fault crawls; the huge page is larger
TIMEOUT = 4  # DOWNLOAD_TIMEOUT of the fault crawls; the drip ends well within it, the stall never does
DEPARTMENTS = ("人民政府办公室", "发展和改革局", "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局",
               "财政局", "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "水利局",
               "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会", "退役军人事务局", "应急管理局", "审计局",
               "市场监督管理局", "统计局", "医疗保障局", "林业局", "信访局", "数据资源管理局")
LONG_ORGAN = "、".join(f"测试县{d}" for d in DEPARTMENTS)  # a joint report of 28 bodies: 251 characters
# URLs over the archive's 2000 characters, but under Scrapy's URLLENGTH_LIMIT (2083) — and one over that too
LONG_PATH = "/nb/" + "very-long-path-segment/" * 87 + "report.html"
LONGER_PATH = "/nb/" + "very-long-path-segment/" * 95 + "report.html"
LONG_FILE = "/files/" + "年度报告附件" * 90 + ".pdf"  # a file name over the archive's 500 characters


class StubResolver(CachingThreadedResolver):
    """``TWISTED_DNS_RESOLVER`` for test crawls: names from the ``STUB_HOSTS`` setting (a JSON object
    name → loopback address), every other name unknown. Never asks a real name server."""

    def __init__(self, reactor: ReactorBase, hosts: dict[str, str]) -> None:
        super().__init__(reactor, cache_size=0, timeout=1)
        self.hosts = hosts

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> Self:
        return cls(reactor, crawler.settings.getdict("STUB_HOSTS"))

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred[str]:
        if name in self.hosts:
            return defer.succeed(self.hosts[name])
        return defer.fail(DNSLookupError(f"{name} (not in STUB_HOSTS)"))


# -- pages --------------------------------------------------------------------------------------------

def report_paragraphs(organ: str, year: int, applications: int) -> tuple[str, ...]:
    """A short annual report, typed by hand; ``organ`` and the numbers make each one distinct."""
    return (
        f"本报告依据《中华人民共和国政府信息公开条例》编制，由{organ}发布，全文包括总体情况、主动公开政府信息情况、"
        "收到和处理政府信息公开申请情况、存在的主要问题及改进情况等内容。",
        "一、总体情况",
        f"{year}年，{organ}坚持以公开为常态、不公开为例外，围绕群众关切持续做好政府信息公开工作，"
        "及时发布政策文件、财政预决算和重点领域信息。",
        "二、收到和处理政府信息公开申请情况",
        f"全年共收到政府信息公开申请{applications}件，均在法定期限内答复，未发生因政府信息公开引起的行政复议和行政诉讼。",
        "三、存在的主要问题及改进情况",
        "公开内容的及时性和政策解读质量仍有提升空间，下一步将加强业务培训，完善信息发布审核机制。",
    )


def page_html(title: str, paragraphs: tuple[str, ...], *, charset: str | None = "utf-8", extra: str = "") -> str:
    """A report page: navigation, title, date, the paragraphs (+ ``extra``, e.g. an attachment link), footer."""
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head>{meta}<title>{title}</title></head><body>"
            '<div class="nav"><a href="/">首页</a> <a href="/nb/">信息公开年报</a></div>'
            f'<div class="article"><h1>{title}</h1><div class="info">发布时间：2024-01-20</div>'
            f'<div class="content">\n{body}\n{extra}</div></div>'
            '<div class="footer">版权所有：测试县人民政府 备案号：测ICP备00000000号</div></body></html>')


def list_html(links: list[tuple[str, str]]) -> bytes:
    items = "".join(f'<li><a href="{href}">{title}</a><span>2024-01-20</span></li>' for href, title in links)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开工作年度报告</title></head>'
            f'<body><h1>政府信息公开工作年度报告</h1><ul class="list">{items}</ul></body></html>').encode()


@dataclass
class Answer:
    """What the server writes: status, headers, body; ``chunks``/``delay`` drip it, ``declared`` claims a longer
    body (truncation), ``stall`` holds the connection open before closing it."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    chunks: int = 1
    delay: float = 0.0
    declared: int | None = None
    stall: float = 0.0


NOT_FOUND = Answer(404, b"<html><body>404</body></html>")


@dataclass
class Case:
    """One fault: where it is, what it does, and what the archive must show after the crawls.

    ``expect`` is ``"archived"`` (exactly ``paragraphs`` as its text), or where the reason is recorded:
    ``"error"`` (a run error on ``recorded_url`` or the page's URL whose reason contains ``reason``),
    ``"evidence"`` (the portal's status evidence of kind ``reason``) or ``"stat"`` (Scrapy stat ``reason``)."""

    portal: str
    path: str
    title: str
    fault: str
    expect: str
    reason: str = ""
    paragraphs: tuple[str, ...] = ()
    link: str = ""  # the list's link when it is not the page's own path
    recorded_url: str = ""  # where the error is recorded when not at the link (a redirect's target)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A crawler that hangs up (timeout, size cap) is one of the faults, not a server error."""


@dataclass
class FaultSite:
    """The fault portals on 127.0.0.1 and the internal server on 127.0.0.2, as a context manager."""

    cases: list[Case] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (host, path) asked of 127.0.0.1
    internal_requests: list[tuple[str, str]] = field(default_factory=list)  # … and of 127.0.0.2
    port: int = 0
    internal_port: int = 0
    edited: bool = False  # the "edited" report's second version is served once this is set
    _served: dict[str, int] = field(default_factory=dict)
    _servers: list[ThreadingHTTPServer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.port}{path}"

    def internal_url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.internal_port}{path}"

    def column(self, portal: str) -> str:
        """A portal's report column; portal ``inside`` is the internal server's, at ``intranet.test``."""
        return self.internal_url("intranet.test", "/nb/") if portal == "inside" else self.url(f"{portal}.test", "/nb/")

    def page_url(self, case: Case) -> str:
        return case.link if case.link.startswith("http") else self.url(f"{case.portal}.test", case.path)

    def of(self, portal: str, expect: str | None = None) -> list[Case]:
        return [c for c in self.cases if c.portal == portal and expect in (None, c.expect)]

    def served(self, path: str) -> int:
        """How often ``path`` was asked for (either server)."""
        return self._served.get(path, 0)

    def crawl_settings(self) -> list[str]:
        """``-s`` arguments for a crawl of these portals: the stub resolver and the limits the faults test."""
        hosts = {f"{p}.test": "127.0.0.1" for p in ("faults", "gates", "ssrf", "big")} | {"intranet.test": INTERNAL}
        sets = [f"TWISTED_DNS_RESOLVER={StubResolver.__module__}.StubResolver", f"STUB_HOSTS={json.dumps(hosts)}",
                f"DOWNLOAD_MAXSIZE={MAX_SIZE}", f"DOWNLOAD_TIMEOUT={TIMEOUT}", "DOWNLOAD_DELAY=0",
                "AUTOTHROTTLE_ENABLED=0", "NIANBAO_RECHECK_DAYS=0"]
        return [a for s in sets for a in ("-s", s)]

    def answer(self, host: str, path: str, internal: bool) -> Answer:
        with self._lock:
            (self.internal_requests if internal else self.requests).append((host, path))
            self._served[path] = self._served.get(path, 0) + 1
        portal = host.removesuffix(".test")
        if internal:
            if path == "/nb/":
                return Answer(body=list_html([("/internal/secret.html", INSIDE_TITLE)]))
            return Answer(body=page_html(INSIDE_TITLE, INSIDE).encode()) if path.endswith(".html") else NOT_FOUND
        if path == "/robots.txt":
            return Answer(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
        if path == "/nb/":
            return Answer(body=list_html([(c.link or c.path, c.title) for c in self.of(portal)]))
        if path == "/nb/loop-b.html":
            return Answer(302, headers=(("Location", "/nb/loop-a.html"),))
        if path.startswith("/files/"):
            return Answer(body=b"%PDF-1.4\n% not really a PDF\n", content_type="application/pdf")
        case = next((c for c in self.of(portal) if c.path == path and not c.link.startswith("http")), None)
        return ROUTES[case.fault](self, case) if case else NOT_FOUND

    def __enter__(self) -> FaultSite:
        site = self

        def handler(internal: bool) -> type[BaseHTTPRequestHandler]:
            class _Handler(BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"

                def do_GET(self) -> None:
                    a = site.answer((self.headers.get("Host") or "").split(":")[0], urlsplit(self.path).path,
                                    internal)
                    self.send_response(a.status)
                    self.send_header("Content-Type", a.content_type)
                    self.send_header("Content-Length", str(a.declared if a.declared is not None else len(a.body)))
                    for name, value in a.headers:
                        self.send_header(name, value)
                    self.end_headers()
                    size = max(1, -(-len(a.body) // a.chunks))
                    try:
                        for start in range(0, len(a.body), size):
                            self.wfile.write(a.body[start:start + size])
                            self.wfile.flush()
                            time.sleep(a.delay)
                        time.sleep(a.stall)
                    except OSError:  # the crawler hung up (timeout, size cap)
                        pass
                    self.close_connection = a.declared is not None or bool(a.stall)

                def log_message(self, format: str, *args: object) -> None:
                    """Quiet: ``FaultSite.requests`` is the log."""

            return _Handler

        for address, internal in (("127.0.0.1", False), (INTERNAL, True)):
            httpd = _QuietServer((address, 0), handler(internal))
            threading.Thread(target=httpd.serve_forever, daemon=True).start()
            self._servers.append(httpd)
        self.port = self._servers[0].server_address[1]
        self.internal_port = self._servers[1].server_address[1]
        self.cases = fault_cases(self)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for httpd in self._servers:
            httpd.shutdown()
            httpd.server_close()


# -- the faults ---------------------------------------------------------------------------------------

INSIDE_TITLE = "内网测试单位2023年政府信息公开工作年度报告"
INSIDE = report_paragraphs("内网测试单位", 2023, 1)
EDITED = "三、存在的主要问题及改进情况（本段已于第二次抓取前修订）"


def edited_paragraphs(paragraphs: tuple[str, ...]) -> tuple[str, ...]:
    """The second version of the edited report: one heading changed."""
    return tuple(EDITED if p == "三、存在的主要问题及改进情况" else p for p in paragraphs)


def _page(case: Case, charset: str | None = "utf-8", encoding: str = "utf-8", extra: str = "") -> bytes:
    paragraphs = tuple(p for p in case.paragraphs if p != ANNEX)  # ``extra`` draws that line
    return page_html(case.title, paragraphs, charset=charset, extra=extra).encode(encoding)


ANNEX = "附件：附件1"  # the line an attachment link adds to a page's text


def _attachment_link(url: str) -> str:
    return f'<p>附件：<a href="{url}">附件1</a></p>'


ROUTES: dict[str, Callable[[FaultSite, Case], Answer]] = {
    "plain page": lambda site, case: Answer(body=_page(case)),
    "URL of 2000–2083 characters": lambda site, case: Answer(body=_page(case)),
    "URL over Scrapy's URLLENGTH_LIMIT (2083 characters)": lambda site, case: Answer(body=_page(case)),
    "transient 503, then 200": lambda site, case: (
        Answer(503, b"<html><body>503 Service Unavailable</body></html>") if site.served(case.path) == 1
        else Answer(body=_page(case))),
    "GBK, no charset declared anywhere": lambda site, case: Answer(
        body=_page(case, charset=None, encoding="gbk"), content_type="text/html"),
    "GBK bytes declared as UTF-8 (header and meta)": lambda site, case: Answer(body=_page(case, encoding="gbk")),
    "slow drip (40 chunks over 1 s)": lambda site, case: Answer(body=_page(case), chunks=40, delay=0.025),
    "edited between the two crawls": lambda site, case: Answer(body=page_html(
        case.title, edited_paragraphs(case.paragraphs) if site.edited else case.paragraphs).encode()),
    "truncated body (Content-Length larger than what is sent)": lambda site, case: Answer(
        body=_page(case)[:1500], declared=len(_page(case)) + 2000),
    "stalls after a few bytes, longer than DOWNLOAD_TIMEOUT": lambda site, case: Answer(
        body=_page(case)[:200], declared=len(_page(case)), stall=TIMEOUT + 2),
    "huge body (larger than DOWNLOAD_MAXSIZE)": lambda site, case: Answer(
        body=_page(case) + b"<!--" + b"x" * (MAX_SIZE + 100_000) + b"-->"),
    "binary garbage served as text/html": lambda site, case: Answer(body=random.Random(11).randbytes(16_384)),
    "redirect loop": lambda site, case: Answer(302, headers=(("Location", "/nb/loop-b.html"),)),
    "redirect to another loopback address": lambda site, case: Answer(
        302, headers=(("Location", site.internal_url(INTERNAL, "/internal/secret.html")),)),
    "HTTP 412 瑞数 $_ts challenge": lambda site, case: Answer(
        412, b"<html><head><script>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=1;</script></head></html>"),
    "HTTP 521 加速乐 __jsl_clearance": lambda site, case: Answer(
        521, b"<script>document.cookie=('__jsl_clearance=1700000000.1|0|abc');"
             b"location.href=location.pathname</script>"),
    "attachment link to another loopback address": lambda site, case: Answer(body=_page(
        case, extra=_attachment_link(site.internal_url("intranet.test", "/internal/annex.pdf")))),
    "attachment with a file name longer than 500 characters": lambda site, case: Answer(body=_page(
        case, extra=_attachment_link(LONG_FILE))),
}


def fault_cases(site: FaultSite) -> list[Case]:
    """Every fault the portals serve, with the expected outcome (the table in docs/faults.md)."""
    def case(portal: str, path: str, fault: str, expect: str, reason: str, organ: str, applications: int,
             **more: str) -> Case:
        annex = (ANNEX,) if fault.startswith("attachment") else ()
        return Case(portal, path, f"{organ}2023年政府信息公开工作年度报告", fault, expect, reason,
                    (*report_paragraphs(organ, 2023, applications), *annex), **more)

    staff = site.internal_url("intranet.test", "/internal/staff.html")
    secret = site.internal_url(INTERNAL, "/internal/secret.html")
    refused = "refused: "
    return [
        case("faults", "/nb/plain.html", "plain page", "archived", "", "测试县人民政府", 46),
        case("faults", "/nb/flaky.html", "transient 503, then 200", "archived", "", "测试县发展和改革局", 12),
        case("faults", "/nb/gbk.html", "GBK, no charset declared anywhere", "archived", "", "测试县教育局", 7),
        case("faults", "/nb/mislabelled.html", "GBK bytes declared as UTF-8 (header and meta)", "archived", "",
             "测试县财政局", 3),
        case("faults", "/nb/drip.html", "slow drip (40 chunks over 1 s)", "archived", "", "测试县民政局", 21),
        case("faults", "/nb/edited.html", "edited between the two crawls", "archived", "", "测试县卫生健康委员会", 30),
        case("faults", "/nb/truncated.html", "truncated body (Content-Length larger than what is sent)", "error",
             "DataLoss", "测试县司法局", 9),
        case("faults", "/nb/stall.html", "stalls after a few bytes, longer than DOWNLOAD_TIMEOUT", "error",
             "timed out", "测试县水利局", 9),
        case("faults", "/nb/huge.html", "huge body (larger than DOWNLOAD_MAXSIZE)", "error", "max size",
             "测试县林业局", 9),
        case("faults", "/nb/garbage.html", "binary garbage served as text/html", "error", "no recognisable body",
             "测试县审计局", 9),
        case("faults", "/nb/loop-a.html", "redirect loop", "evidence", "trapped", "测试县交通运输局", 9),
        case("faults", "/nb/moved.html", "redirect to another loopback address", "error", refused, "测试县统计局", 9,
             recorded_url=secret),
        case("faults", "/internal/staff.html", "list link to a name that resolves to another loopback address",
             "error", refused, "测试县人力资源和社会保障局", 9, link=staff),
        case("faults", "/private/report.html", "disallowed by robots.txt", "stat", "robotstxt/forbidden",
             "测试县自然资源局", 9),
        case("gates", "/nb/ruishu.html", "HTTP 412 瑞数 $_ts challenge", "evidence", "challenged", "测试县商务局", 9),
        case("gates", "/nb/jsl.html", "HTTP 521 加速乐 __jsl_clearance", "evidence", "challenged", "测试县应急管理局",
             9),
        # the SSRF portal: a link, a redirect and an attachment into the internal network, beside a good report
        case("ssrf", "/nb/plain.html", "plain page", "archived", "", "测试镇人民政府", 5),
        case("ssrf", "/nb/moved.html", "redirect to another loopback address", "error", refused, "测试镇财政所", 9,
             recorded_url=secret),
        case("ssrf", "/internal/staff.html", "list link to a name that resolves to another loopback address",
             "error", refused, "测试镇司法所", 9, link=staff),
        case("ssrf", "/nb/annex.html", "attachment link to another loopback address", "archived", refused,
             "测试镇民政办", 6, recorded_url=site.internal_url("intranet.test", "/internal/annex.pdf")),
        # oversized inputs, crawled on SQLite and PostgreSQL alike
        case("big", "/nb/organ.html", "plain page", "archived", "", LONG_ORGAN, 8),
        case("big", LONG_PATH, "URL of 2000–2083 characters", "error", "longer than the archive's 2000",
             "测试县超长链接单位", 8),
        case("big", LONGER_PATH, "URL over Scrapy's URLLENGTH_LIMIT (2083 characters)", "stat",
             "urllength/request_ignored_count", "测试县更长链接单位", 8),
        case("big", "/nb/file.html", "attachment with a file name longer than 500 characters", "archived", "",
             "测试县超长附件单位", 8),
    ]


def register(db_url: str, site: FaultSite, *portals: str) -> Archive:
    """Put fault portals in the registry, each registered at its own column (their one permitted host)."""
    archive = Archive(db_url)
    for name in portals:
        archive.add_portal(PortalSpec(name=name, column_urls=(site.column(name),), level="county"), replace=True)
    return archive


def crawl(db_url: str, site: FaultSite, *args: str) -> subprocess.CompletedProcess[str]:
    """A real `nianbao crawl` of the registry with the fault site's resolver and limits."""
    return run_cmd(["nianbao", "crawl", "--db", db_url, *site.crawl_settings(), *args])
