"""TRS WCM static lists: ``index.html``, ``index_1.html`` … whose pager exists only in a script.

Detail links look like ``./YYYYMM/tYYYYMMDD_<docid>.html``; the date in the name is the publish date.
"""

from __future__ import annotations

import re

from scrapy.http import TextResponse

from crawler.lists.base import ListPage, has_script_pager, pager_links, row_link, unique

_DETAIL = re.compile(r"(?:^|/)t(?:19|20)\d{6}_\d+(?:_\d+)?\.s?html?$")


def detect(response: TextResponse) -> bool:
    return has_script_pager(response.text) or any(
        _DETAIL.search(href) for href in response.css("a::attr(href)").getall())


def parse(response: TextResponse) -> ListPage:
    links = []
    for a in response.css("a[href]"):
        if not _DETAIL.search(a.attrib["href"].strip()):
            continue
        link = row_link(a, response.url)
        if link:
            links.append(link)
    return ListPage(links=unique(links), next_urls=pager_links(response.selector, response.url))
