"""Never fetch an internal address for a portal that is not itself there (SSRF guard).

Links on a portal's pages, redirects and attachment URLs are chosen by whoever controls the portal (or
has planted a link in it). Followed blindly, a list link or a redirect to ``http://10.0.0.5/`` or
``http://169.254.169.254/`` (cloud metadata) would fetch the crawl machine's own network and, worse,
archive what it found as a report. :class:`PrivateAddressMiddleware` therefore refuses every request —
each redirect hop and each attachment is a request of its own — whose host is, or resolves to, a
loopback, private, link-local, multicast, reserved or otherwise not publicly routable address, unless
that host is registered for the request's portal (its homepage or a column URL: a user crawling their
own intranet server registers it explicitly; the demo portals and the tests do so on 127.0.0.1).

The check is at the download layer: a host name is resolved through the reactor's installed resolver
before the connection is made, and Scrapy's DNS cache then hands the connection that same address, so
a public-looking name that resolves to 10.x is refused too, and a name cannot answer differently to
the check and to the connection. Through an HTTP proxy (``NIANBAO_DEMO_PROXY``, ``http_proxy``) the
proxy resolves names, so there only literal addresses are checked. Each refusal is counted as
``nianbao/ssrf/refused`` (per portal too) and recorded as a run error with the URL and reason; an
attachment's refusal is recorded by the attachment stage, which sees the exception.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future

from pipelines.components import count, record_error

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
STAT = "ssrf/refused"


class RefusedAddress(IgnoreRequest):
    """A request to an internal address that its portal is not registered at."""


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, including the legacy IPv4 forms (``2130706433``, ``127.1``)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not host or not all(c in "0123456789abcdefxABCDEFX." for c in host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def internal_kind(address: IPAddress) -> str | None:
    """Why an address is off limits ("loopback", "private", …), or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):  # narrowest first
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "not publicly routable"


def _host(url: str | None) -> str | None:
    return (urlsplit(url).hostname or None) if url else None


class PrivateAddressMiddleware:
    """Downloader middleware (priority 760: after the proxy middlewares, 740 and 750, so it knows the proxy)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._allowed: dict[str | None, frozenset[str]] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def allowed_hosts(self, spider: Spider | None, portal: Any) -> frozenset[str]:
        """Hosts registered for ``portal`` (homepage, column URLs); for a request without a portal (robots.txt,
        attachments, a ``--url`` column of no portal), every host registered for this crawl and the ``--url``.

        Columns found by discovery are not registered: a link planted on a homepage must not open the network."""
        if self._allowed is None:
            by_portal: dict[str | None, set[str]] = {None: {h for h in [_host(getattr(spider, "url_arg", None))] if h}}
            for spec, _url in getattr(spider, "targets", ()):
                if spec is not None:
                    hosts = {h for h in map(_host, (spec.homepage, *spec.column_urls)) if h}
                    by_portal.setdefault(spec.name, set()).update(hosts)
                    by_portal[None] |= hosts
            self._allowed = {name: frozenset(hosts) for name, hosts in by_portal.items()}
        name = getattr(portal, "name", None)
        if name is not None and name not in self._allowed:  # a portal the crawl did not start from
            return frozenset(h for h in map(_host, (portal.homepage, *portal.column_urls)) if h)
        return self._allowed[name]

    async def process_request(self, request: Request) -> None:
        host = _host(request.url)
        if host is None:
            return
        portal = request.cb_kwargs.get("portal")
        if host in self.allowed_hosts(self.crawler.spider, portal):
            return
        address = literal_address(host)
        if address is None:
            if request.meta.get("proxy"):
                return  # the proxy resolves the name, not us
            from twisted.internet import reactor  # the running one: importing earlier would install a default

            address = ipaddress.ip_address(await maybe_deferred_to_future(reactor.resolve(host)))
        kind = internal_kind(address)
        if kind is not None:
            self._refuse(request, host, address, kind, getattr(portal, "name", None))

    def _refuse(self, request: Request, host: str, address: IPAddress, kind: str, portal: str | None) -> None:
        reason = (f"refused: {host} is {'' if str(address) == host else f'at {address}, '}a {kind} address, "
                  "not a host registered for the portal")
        stats = self.crawler.stats
        assert stats is not None
        count(stats, portal, STAT)
        robots = request.meta.get("dont_obey_robotstxt") and urlsplit(request.url).path == "/robots.txt"
        stage = request.meta.get("stage", "list")
        if not robots and stage != "attachment":  # robots.txt precedes a page refused next; attachments record theirs
            record_error(stats, portal, request.url, reason, stage)
        raise RefusedAddress(reason)
