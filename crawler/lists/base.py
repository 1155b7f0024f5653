"""What every list protocol returns, and helpers they share."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from parsel import Selector

from crawler.dates import parse_cn_date

_DATE = re.compile(r"(?:19|20)\d{2}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class ListLink:
    """One entry of a column list: where it points, its title as listed, and its list date."""

    url: str
    title: str
    date: dt.date | None = None
    extra: dict[str, str] = field(default_factory=dict)


Form = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ListPage:
    links: tuple[ListLink, ...]
    next_urls: tuple[str, ...] = ()
    next_posts: tuple[tuple[str, Form], ...] = ()  # further pages behind a POST list API: (url, form fields)


def clean_title(text: str) -> str:
    return _SPACE.sub("", text).strip()


def first_date(text: str) -> dt.date | None:
    m = _DATE.search(text)
    return parse_cn_date(m.group(0)) if m else None


def anchor_link(a: Selector, base_url: str) -> ListLink | None:
    """A list entry from an ``<a>``: the full title is in ``title=`` when the text is truncated."""
    href = (a.attrib.get("href") or "").strip()
    if not href or href.startswith(("javascript:", "#", "mailto:")):
        return None
    text = clean_title(" ".join(a.css("::text").getall()))
    title = clean_title(a.attrib.get("title") or "") or text
    if not title:
        return None
    return ListLink(url=urljoin(base_url, href), title=title, date=entry_date(a))


def entry_date(a: Selector) -> dt.date | None:
    """The date printed beside a list link: in the nearest enclosing element that holds no other link."""
    for level in range(1, 4):
        box = a.xpath(f"ancestor::*[{level}]")
        if not box or len(box.xpath(".//a[@href]")) > 1:
            return None
        if found := first_date(" ".join(box.xpath(".//text()").getall())):
            return found
    return None


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
