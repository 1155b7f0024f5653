"""Jiangxi 集约化 ucap / 开普云 lists: ``*_list.shtml`` / ``index_N.shtml`` pages of
``/{site}/{column}/YYYYMM/{32-hex}.shtml`` details (docs/reference/cms-patterns.md §4)."""

from __future__ import annotations

import re

from scrapy.http import TextResponse

from crawler.lists.base import ListPage, pager_links, row_link, unique

_DETAIL = re.compile(r"/\d{6}/[0-9a-f]{32}\.shtml$")
_LIST_PAGE = re.compile(r"_list(?:_(\d+))?\.shtml$")


def detect(response: TextResponse) -> bool:
    return "<ucaptitle" in response.text or "websiteCode" in response.text or any(
        _DETAIL.search(h.strip()) for h in response.css("a::attr(href)").getall())


def parse(response: TextResponse) -> ListPage:
    links = [link for a in response.css("a[href]") if _DETAIL.search(a.attrib["href"].strip())
             and (link := row_link(a, response.url))]
    nexts = list(pager_links(response.selector, response.url))
    # xxgknb2019_list.shtml → xxgknb2019_list_2.shtml … when the pager is numbered links
    nexts += [u for u in response.css("a::attr(href)").getall() if _LIST_PAGE.search(u) and u not in nexts]
    return ListPage(links=unique(links), next_urls=tuple(dict.fromkeys(
        response.urljoin(u) for u in nexts if response.urljoin(u) != response.url)))
