"""Downloader middlewares."""

from __future__ import annotations

from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

DEMO_SUFFIX = ".nianbao.test"


class DemoProxyMiddleware:
    """Send requests for the demo portals' ``*.nianbao.test`` hosts through the demo server.

    The demo server is an HTTP proxy on an ephemeral loopback port, so demo URLs stay stable across
    runs (the archive dedupes by URL and content) while the port changes. Other hosts are untouched.
    """

    def __init__(self, proxy: str) -> None:
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        proxy = crawler.settings.get("NIANBAO_DEMO_PROXY")
        if not proxy:
            raise NotConfigured("NIANBAO_DEMO_PROXY is not set")
        return cls(proxy)

    def process_request(self, request: Request) -> None:
        if (urlsplit(request.url).hostname or "").endswith(DEMO_SUFFIX):
            request.meta["proxy"] = self.proxy
