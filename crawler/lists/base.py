"""What every list protocol returns, and helpers they share."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

from parsel import Selector

from pipelines.text.links import ListLink, anchor_link, clean_title, entry_date, first_date

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
        text = clean_title(" ".join(a.css("::text").getall()))
        href = a.attrib["href"].strip()
        if href.startswith("javascript:"):
            continue
        if text in _NEXT_TEXT or re.search(r"(?:^|/)index_\d+\.\w+$", href):
            urls.append(urljoin(base_url, href))
    return tuple(u for u in dict.fromkeys(urls) if u != base_url)


__all__ = ["Form", "ListLink", "ListPage", "anchor_link", "clean_title", "entry_date", "first_date", "has_script_pager",
           "pager_links", "script_pages", "unique"]
