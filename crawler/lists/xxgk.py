"""政府信息公开平台 (xxgk) lists: an HTML table with 名称/索引号/发布机构/发布日期 columns."""

from __future__ import annotations

from parsel import Selector
from scrapy.http import TextResponse

from crawler.lists.base import ListLink, ListPage, element_title, first_date, pager_links, row_link, unique

_HEADS = {"名称": "title", "标题": "title", "文件名称": "title", "索引号": "index_no",
          "发布机构": "organ", "发文机关": "organ", "发布日期": "date", "发布时间": "date", "成文日期": "written"}


def _header(table: Selector) -> list[str] | None:
    for row in table.xpath(".//tr[th or td][position() <= 2]"):
        cells = [element_title(c) for c in row.xpath("./th|./td")]
        if "索引号" in cells:
            return cells
    return None


def detect(response: TextResponse) -> bool:
    return any(_header(t) for t in response.css("table"))


def parse(response: TextResponse) -> ListPage:
    links: list[ListLink] = []
    for table in response.css("table"):
        header = _header(table)
        if not header:
            continue
        for row in table.xpath(".//tr[td]"):
            cells = row.xpath("./td")
            a = row.css("a[href]")
            if not a or len(cells) != len(header):
                continue
            values = {_HEADS[h]: element_title(c)
                      for h, c in zip(header, cells, strict=True) if h in _HEADS}
            link = row_link(a[0], response.url)
            if link:
                extra = {k: v for k, v in values.items() if k in ("index_no", "organ", "written") and v}
                # the 名称 cell, when the link itself only says 查看 or is cut short
                title = values.get("title") if len(values.get("title") or "") > len(link.title) else link.title
                links.append(ListLink(url=link.url, title=title or link.title,
                                      date=first_date(values.get("date", "")), extra=extra))
    return ListPage(links=unique(links), next_urls=pager_links(response.selector, response.url))
