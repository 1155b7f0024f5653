"""Hostile or broken sites: detect, count, record and back off — never defeat, never parse as a report.

docs/reference/cms-patterns.md §10: 瑞数 answers **412** with a ``$_ts`` cookie script, 加速乐 **521** with
``__jsl_clearance``; other gates answer 200 with a tiny ``document.cookie=…`` + reload page; a deleted
document is a small 200 page that only meta-refreshes to its parent column; some sites redirect in a
loop.  :class:`HostileSiteMiddleware` sits in front of the redirect and meta-refresh middlewares so it
sees raw answers, turns each of those into a :class:`HostileResponse` (the request's errback gets
it, so no callback ever parses the page) and counts ``nianbao/hostile/<verdict>`` per portal.

Whether to keep asking a host is decided per host from the evidence of this run (:class:`HostEvidence`):
a host that challenged ``NIANBAO_CHALLENGES_PER_HOST`` answers in a row and never served a page is left
alone (an anti-bot front challenges every request); a host that did serve pages is left alone only when
the challenges go on and make up ``NIANBAO_CHALLENGED_SHARE`` of its recent answers — sites where a WAF
rule or a legacy sub-app challenges some paths stay crawled, and so do retries of their transient 500s
and truncated bodies (Scrapy's retry middleware, untouched).  What is given up is counted
(``hostile/backed_off``) and recorded once per host as evidence with the numbers that decided it.
412 and 521 are never retried (they are not in ``RETRY_HTTP_CODES``) and are listed in
``HTTPERROR_ALLOWED_CODES`` so that, even without this middleware, they reach the spider instead of
vanishing as HTTP errors.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from pipelines.components import count

CHALLENGED, GONE, TRAPPED = "challenged", "gone", "trapped"
SMALL_BODY = 6 * 1024  # challenge and tombstone pages are tiny; real pages are tens of KB
_REDIRECTS = (301, 302, 303, 307, 308)
_META_REFRESH = re.compile(
    rb"""<meta[^>]+http-equiv\s*=\s*["']?refresh["']?[^>]*content\s*=\s*["']?\s*\d*\s*;?\s*url\s*=\s*([^"'>\s]+)""",
    re.I)
_RELOAD = re.compile(rb"location\.(?:reload|href|replace|assign)|window\.location\s*=", re.I)
_TEXT = re.compile(rb"<script.*?</script>|<style.*?</style>|<[^>]+>|\s+|&nbsp;", re.I | re.S)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why a response is not content: ``kind`` (challenged / gone / trapped) and a readable detail."""

    kind: str
    detail: str


class HostileResponse(IgnoreRequest):
    """Raised for a challenged, gone or looping response; carries the evidence to record."""

    def __init__(self, verdict: Verdict, url: str, status: int | None, noteworthy: bool = True) -> None:
        super().__init__(f"{verdict.kind}: {verdict.detail}")
        self.verdict, self.url, self.status = verdict, url, status
        self.noteworthy = noteworthy  # False for the repeats of a refusal already on record

    def evidence(self) -> dict[str, Any]:
        return {"kind": self.verdict.kind, "detail": self.verdict.detail, "url": self.url, "status": self.status}


def _is_parent(target: str, url: str) -> bool:
    """``target`` is the same site and a proper ancestor path of ``url`` (the column of a document)."""
    a, b = urlsplit(target), urlsplit(url)
    if a.hostname != b.hostname:
        return False
    parent = a.path if a.path.endswith("/") else a.path.rsplit("/", 1)[0] + "/"
    return b.path.startswith(parent) and b.path != a.path


def inspect(url: str, status: int, body: bytes, location: str | None = None,
            seen: tuple[str, ...] = ()) -> Verdict | None:
    """The verdict on one raw response, or None when it may be content.

    ``location`` is the ``Location`` header of a redirect and ``seen`` the URLs this request was already
    redirected through.
    """
    small = len(body) < SMALL_BODY
    if status == 412:
        return Verdict(CHALLENGED, "HTTP 412 (瑞数 $_ts cookie script)" if b"$_ts" in body else "HTTP 412")
    if status == 521:
        return Verdict(CHALLENGED, "HTTP 521 (加速乐 __jsl_clearance)" if b"jsl" in body else "HTTP 521")
    if status in _REDIRECTS and location:
        target = urljoin(url, location)
        if target == url or target in seen:
            return Verdict(TRAPPED, f"redirect loop via {target}")
        return None
    if status != 200 or not small:
        return None
    if b"$_ts" in body:
        return Verdict(CHALLENGED, "瑞数 $_ts cookie script (HTTP 200)")
    if b"__jsl_clearance" in body:
        return Verdict(CHALLENGED, "加速乐 __jsl_clearance cookie script (HTTP 200)")
    if b"document.cookie" in body and _RELOAD.search(body):
        return Verdict(CHALLENGED, "JavaScript cookie gate (document.cookie + reload)")
    if (m := _META_REFRESH.search(body)) and len(_TEXT.sub(b"", body)) < 200:
        target = urljoin(url, m.group(1).decode("latin-1").strip("'\""))
        if _is_parent(target, url):
            return Verdict(GONE, f"meta refresh to the parent column {target}")
    return None


RECENT_ANSWERS = 10  # the window a host that served pages is judged on


@dataclass(slots=True)
class HostEvidence:
    """What one host answered this run: recent verdicts (True = challenged), the current run of challenges,
    how many pages it served, and whether giving up on it was already recorded."""

    recent: deque[bool] = field(default_factory=lambda: deque(maxlen=RECENT_ANSWERS))
    streak: int = 0
    served: int = 0
    given_up: bool = False

    def answered(self, challenged: bool, content: bool) -> None:
        self.recent.append(challenged)
        self.streak = self.streak + 1 if challenged else 0
        self.served += content

    @property
    def share(self) -> float:
        return sum(self.recent) / len(self.recent) if self.recent else 0.0

    def hopeless(self, streak: int, share: float) -> bool:
        """Challenged ``streak`` times in a row, and either it never served a page or, although it did, the
        challenges are ``share`` of its last :data:`RECENT_ANSWERS` answers."""
        if self.streak < streak:
            return False
        return not self.served or (len(self.recent) == RECENT_ANSWERS and self.share >= share)


def portal_of(request: Request) -> str | None:
    portal = request.cb_kwargs.get("portal")
    return getattr(portal, "name", None)


class HostileSiteMiddleware:
    """Downloader middleware (priority 610: before RedirectMiddleware 600 and MetaRefreshMiddleware 580)."""

    def __init__(self, crawler: Crawler, streak: int, share: float) -> None:
        self.crawler = crawler
        self.streak = streak
        self.share = share
        self.hosts: dict[str, HostEvidence] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, crawler.settings.getint("NIANBAO_CHALLENGES_PER_HOST"),
                   crawler.settings.getfloat("NIANBAO_CHALLENGED_SHARE"))

    def _count(self, request: Request, name: str) -> None:
        assert self.crawler.stats is not None
        count(self.crawler.stats, portal_of(request), f"hostile/{name}")

    def _host(self, request: Request) -> tuple[str, HostEvidence]:
        host = urlsplit(request.url).hostname or ""
        return host, self.hosts.setdefault(host, HostEvidence())

    def process_request(self, request: Request) -> None:
        host, seen = self._host(request)
        if not seen.hopeless(self.streak, self.share):
            return
        self._count(request, "backed_off")
        self._count(request, f"given_up/{request.meta.get('stage') or 'other'}")
        detail = (f"not asked: {host} challenged the last {seen.streak} requests"
                  + (f" ({seen.share:.0%} of its last {len(seen.recent)} answers)" if seen.served
                     else " and served no page") + " this run")
        first, seen.given_up = not seen.given_up, True  # the decision and its numbers: evidence once per host
        raise HostileResponse(Verdict(CHALLENGED, detail), request.url, None, noteworthy=first)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        verdict = inspect(request.url, response.status, response.body,
                          location.decode("latin-1") if location else None,
                          tuple(request.meta.get("redirect_urls", ())))
        _, seen = self._host(request)
        # robots.txt is often served by a CDN in front of the gate: a plain one says nothing about the site
        content = verdict is None and response.status < 300 and not request.url.endswith("/robots.txt")
        seen.answered(verdict is not None and verdict.kind == CHALLENGED, content)
        if verdict is None:
            return response
        self._count(request, verdict.kind)
        raise HostileResponse(verdict, request.url, response.status)
