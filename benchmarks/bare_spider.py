"""Baseline for benchmarks/throughput.py: a bare Scrapy spider that only downloads a list of URLs.

Same settings as the full crawl (benchmarks/throughput.py passes both the same ``-s`` list), same proxy,
same robots.txt handling, but no list parsing, no extraction, no HTTP cache and no database: what Scrapy
alone costs for the same pages.

Usage: python benchmarks/bare_spider.py URLS_FILE PROXY_URL [-s NAME=VALUE ...]  (prints the stats as JSON)
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, urls_file: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        with open(urls_file, encoding="utf-8") as fh:
            self.urls = [line.strip() for line in fh if line.strip()]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response: Response) -> None:
        return None


def main() -> None:
    urls_file, proxy, *options = sys.argv[1:]
    settings: dict[str, object] = {
        "ROBOTSTXT_OBEY": True, "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False,
        "DOWNLOADER_MIDDLEWARES": {"crawler.middlewares.DemoProxyMiddleware": 740}, "NIANBAO_DEMO_PROXY": proxy,
    }
    for flag, pair in zip(options[::2], options[1::2], strict=True):
        assert flag == "-s", f"expected -s NAME=VALUE, got {flag}"
        name, _, value = pair.partition("=")
        settings[name] = value
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, urls_file=urls_file)
    process.start()
    assert crawler.stats is not None
    print(json.dumps(crawler.stats.get_stats(), default=str))


if __name__ == "__main__":
    main()
