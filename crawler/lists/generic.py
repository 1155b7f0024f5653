"""Unknown list layouts: links in list items or table rows that carry a date, plus 下一页 pagers."""

from __future__ import annotations

from scrapy.http import TextResponse

from crawler.lists.base import ListPage, pager_links, row_link, unique

_MIN_TITLE = 6  # shorter link texts are navigation (首页, 政务公开, 更多…)


def detect(response: TextResponse) -> bool:
    return True


def parse(response: TextResponse) -> ListPage:
    links = []
    for a in response.xpath("//li//a[@href] | //tr//a[@href]"):
        link = row_link(a, response.url)
        if link and len(link.title) >= _MIN_TITLE and link.date:
            links.append(link)
    return ListPage(links=unique(links), next_urls=pager_links(response.selector, response.url))
