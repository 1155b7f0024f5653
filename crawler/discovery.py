"""Discovery: from a portal's homepage (or its 政府信息公开 page) to its annual-report column(s).

A page is scanned for links that *name* a report column (link text such as 政府信息公开年报, 年度报告,
部门年报, 街道年报) or *look like* one (URL slugs ``zfxxgknb``, ``xxgknb``, ``gknb``, ``ndbg``, per-year
folders ``gknb2017`` / ``nb_2022n``), and for *hub* links worth one more hop (政府信息公开, 政务公开,
信息公开指南, 法定主动公开内容); calendar and archive widgets (年报发布日历, ``?month=…``) are neither.
The spider follows hubs up to ``NIANBAO_DISCOVERY_DEPTH`` hops and
scans every column page again for sub-columns, so 部门/乡镇/街道 and per-year sub-lists are found too
(docs/reference/cms-patterns.md §7).  Only links on the portal's own site are taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from crawler.lists.base import clean_title, element_title

# Link texts that name a report column (no year: a title with a year is a report, not a column).
COLUMN_TEXTS = ("政府信息公开年报", "政府信息公开工作年度报告", "信息公开年报", "政务公开年报", "公开年报",
                "年度报告", "信息公开工作年报", "部门年报", "乡镇年报", "街道年报", "镇街年报", "区政府年报",
                "县政府年报", "年报")
# Widgets that name reports but are no list of them: a 年报发布日历 (publication calendar) pages month by month
# forever, an archive-by-date box (归档/存档) repeats the column; neither is a column (texts and URL shapes).
_WIDGET_TEXT = re.compile(r"日历|日程|归档|存档|calendar|archive", re.I)
_WIDGET_QUERY = re.compile(r"(?:^|&)(?:date|day|month|ym|yearmonth|rq)=", re.I)
# URL path segments of report columns; per-year folders included.
_SLUG = re.compile(r"^(?:zfxxgknb|xxgknb|gknb|xxgk_nb|xxgk-xxgknb|ndbg|bmxxgknb|qzfxxgknb|xzfxxgknb|jdnb|"
                   r"bmnb|xznb|bmjdhz|gknb\d{4}|nb_?\d{4}n?|xxgknb\d{4})$")
# Texts of pages worth one more hop: the disclosure hub and its guide.
HUB_TEXTS = ("政府信息公开", "政务公开", "信息公开", "法定主动公开内容", "主动公开", "信息公开指南",
             "政府信息公开指南", "公开指南")
# Detail pages of the CMSs we know: a link to one is a document, never a column.
_DETAIL = re.compile(r"(?:/t(?:19|20)\d{6}_\d+[^/]*|/art_\d+_\d+\.html|/content_\d+\.html?|/[0-9a-f]{32}\.shtml"
                     r"|/c\d+_\d+\.shtml|\.(?:pdf|docx?|xlsx?|wps|ofd|zip|jpe?g|png))$", re.I)
_YEAR = re.compile(r"(?:19|20)\d{2}")
_INDEX = re.compile(r"^(?:index|list|default|\w+_list)\.s?html?$")  # index_N = a later page, not a column
_MAX_TEXT = 16  # column and hub link texts are short; longer ones are article titles
_RANK = {"slug": 0, "text": 1, "text+slug": 2}


@dataclass(frozen=True, slots=True)
class Found:
    """A report column found on a page: its URL, the link text, and which rule matched."""

    url: str
    title: str
    source: str  # "text", "slug" or "text+slug"


@dataclass(frozen=True, slots=True)
class PageScan:
    columns: tuple[Found, ...]
    hubs: tuple[str, ...]


def site_of(url: str) -> str:
    """The site a URL belongs to: its host without a leading ``www.`` (xxgk hosts are siblings)."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def same_site(url: str, home: str) -> bool:
    """Whether ``url`` is on ``home``'s site: the same host, or a sub-host such as ``xxgk.<site>``."""
    host, site = (urlsplit(url).hostname or "").lower(), site_of(home)
    return bool(site) and (host == site or host.endswith("." + site))


def _slug_match(url: str) -> bool:
    """The last path segment (index/list file names dropped) is a report-column slug or a year under one."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if parts and _INDEX.match(parts[-1]):
        last = parts.pop()
        if last.endswith("_list.shtml"):  # xxgknb2019_list.shtml names its column
            parts.append(last.removesuffix("_list.shtml"))
    if len(parts) >= 2 and re.fullmatch(r"(?:19|20)\d{2}", parts[-1]):
        return bool(_SLUG.match(parts[-2]))
    return bool(parts) and bool(_SLUG.match(parts[-1]))


def column_source(text: str, url: str) -> str | None:
    """Why a link is a report column ("text", "slug", "text+slug"), or None when it is not one."""
    parts = urlsplit(url)
    if _DETAIL.search(parts.path) or _WIDGET_TEXT.search(text) or _WIDGET_QUERY.search(parts.query):
        return None
    by_text = len(text) <= _MAX_TEXT and any(k in text for k in COLUMN_TEXTS) and not _YEAR.search(text)
    # A year in the text is fine for a per-year folder link ("2022年", "2022年度年报") when the URL says so.
    by_slug = _slug_match(url) and (not text or len(text) <= _MAX_TEXT)
    if by_text and by_slug:
        return "text+slug"
    return "text" if by_text else "slug" if by_slug else None


def is_hub(text: str, url: str) -> bool:
    return len(text) <= _MAX_TEXT and text in HUB_TEXTS and not _DETAIL.search(urlsplit(url).path)


def scan(html: str | Selector, base_url: str, home: str | None = None) -> PageScan:
    """Report columns and hub pages linked from one page, on ``home``'s site (default: the page's)."""
    sel = html if isinstance(html, Selector) else Selector(text=html)
    home = home or base_url
    columns: dict[str, Found] = {}
    hubs: dict[str, None] = {}
    for a in sel.css("a[href]"):
        href = a.attrib["href"].strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(base_url, href).split("#", 1)[0]
        if not url.startswith("http") or not same_site(url, home):
            continue
        text = element_title(a) or clean_title(a.attrib.get("title") or "")
        source = column_source(text, url)
        if source and (url not in columns or _RANK[source] > _RANK[columns[url].source]):
            columns[url] = Found(url=url, title=text, source=source)  # the best-named link to a column wins
        elif not source and is_hub(text, url):
            hubs[url] = None
    return PageScan(columns=tuple(columns.values()), hubs=tuple(u for u in hubs if u not in columns))
