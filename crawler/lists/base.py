"""What every list protocol returns, and helpers they share."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

from parsel import Selector

from pipelines.text.links import ListLink, anchor_link, clean_title, element_title, entry_date, first_date, link_boxes

Form = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ListPage:
    links: tuple[ListLink, ...]
    next_urls: tuple[str, ...] = ()
    next_posts: tuple[tuple[str, Form], ...] = ()  # further pages behind a POST list API: (url, form fields)


def unique(links: Iterable[ListLink]) -> tuple[ListLink, ...]:
    seen: set[str] = set()
    out = []
    for link in links:
        if link.url not in seen:
            seen.add(link.url)
            out.append(link)
    return tuple(out)


# Link texts that say nothing about the document ("查看" in a table row whose title sits in another cell).
GENERIC_TEXTS = frozenset({"查看", "详情", "查看详情", "详细", "详细信息", "点击查看", "阅读全文", "全文", "原文",
                           "下载", "点击下载", "浏览", "更多", ">>", "》》", "more"})
_ELLIPSIS = re.compile(r"(?:\.{2,}|…+|。{3})$")
_ROW_DATE = re.compile(r"(?:19|20)\d{2}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}\s*日?")
_ROW_LEVELS = 3  # a row is at most this many elements above its link (li > span > a, tr > td > a)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_MIN_CJK = 4  # an organ or title; index numbers and dates carry fewer


def is_generic(title: str) -> bool:
    return title.lower() in GENERIC_TEXTS


def is_truncated(title: str) -> bool:
    """A list title cut short by the template ("2021年度政府信息公开工作年...")."""
    return bool(_ELLIPSIS.search(title))


_HINTS = ("公开", "年报", "年度", "报告")  # a cut title showing any of these may be a report's


def title_says_too_little(title: str) -> bool:
    """A list title that can neither confirm nor rule out a report: a bare 查看, or one cut short that still shows
    a report word ("2021年度政府信息公开工作年..."). The page's own title has to decide."""
    return is_generic(title) or (is_truncated(title) and any(h in title for h in _HINTS))


def row_link(a: Selector, base_url: str) -> ListLink | None:
    """:func:`anchor_link`, titled from the rest of the row when the link text says nothing (查看) or is cut
    short and no ``title=`` holds the full title: list rows often print the title in another cell."""
    link = anchor_link(a, base_url)
    if link is None or not (is_generic(link.title) or is_truncated(link.title)):
        return link
    stem = "" if is_generic(link.title) else _ELLIPSIS.sub("", link.title)
    for texts in link_boxes(a, _ROW_LEVELS):
        # the row's title: its longest piece of Chinese text that is no date, no 查看, no 索引号
        pieces = (_ROW_DATE.sub("", clean_title(t)) for t in texts)
        named = [p for p in pieces if len(_CJK.findall(p)) >= _MIN_CJK and not is_generic(p) and p.startswith(stem)]
        if len(best := max(named, key=len, default="")) > len(stem):
            return ListLink(url=link.url, title=best, date=link.date, extra=link.extra)
    return link


_NEXT_TEXT = ("下一页", "下页", "后一页", "尾页", "末页")
# TRS writes its pager with a script: createPageHTML(pageCount, currentIndex, "index", "html"),
# or sets ``countPage = N``; then no <a> to page 2 exists in the HTML.
_CREATE_PAGE = re.compile(r'createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*["\']([^"\']+)["\']\s*,\s*["\'](\w+)["\']\s*\)')
_COUNT_PAGE = re.compile(r"countPage\s*=\s*(\d+)")


def has_script_pager(html: str) -> bool:
    return bool(_CREATE_PAGE.search(html) or _COUNT_PAGE.search(html))


def script_pages(html: str, base_url: str) -> list[str]:
    """The list pages a TRS pager script names, except page 0 (``index.html``).

    Page 0 is the column URL the crawl started from, usually spelled ``…/column/``; following its
    ``index.html`` alias would fetch it twice.
    """
    if m := _CREATE_PAGE.search(html):
        count, name, ext = int(m.group(1)), m.group(3), m.group(4)
    elif m := _COUNT_PAGE.search(html):
        count, name, ext = int(m.group(1)), "index", "html"
    else:
        return []
    return [urljoin(base_url, f"{name}_{i}.{ext}") for i in range(1, count)]


def pager_links(sel: Selector, base_url: str) -> tuple[str, ...]:
    """Further list pages: pager scripts, 下一页/尾页 links and numbered ``index_N`` links."""
    urls = script_pages(sel.get(), base_url)
    for a in sel.css("a[href]"):
        text = element_title(a)
        href = a.attrib["href"].strip()
        if href.startswith("javascript:"):
            continue
        if text in _NEXT_TEXT or re.search(r"(?:^|/)index_\d+\.\w+$", href):
            urls.append(urljoin(base_url, href))
    return tuple(u for u in dict.fromkeys(urls) if u != base_url)


__all__ = ["GENERIC_TEXTS", "Form", "ListLink", "ListPage", "anchor_link", "clean_title", "element_title", "entry_date",
           "first_date", "has_script_pager", "is_generic", "is_truncated", "pager_links", "row_link", "script_pages",
           "title_says_too_little", "unique"]
