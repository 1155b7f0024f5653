"""TRS dynamic list API (Fujian 集约化 "动静结合"): first page static, later pages from a POST search API.

The column page holds the newest items as ordinary TRS detail links and configures ``list2.trsapi`` in a
script (``channelid``/``searchId``, ``classsql: "chnlid=<column>"``, ``sortfield``, ``prepage``,
``recordCount``, ``maxStaticIndex``); the rest comes from ``POST /fjdzapp/search``
(docs/reference/cms-patterns.md §2.1).

The request carries the fields public crawlers of Fujian sites send: ``channelid, sortfield
(-docorderpri,-docreltime), classsql (chnlid=N), classcol (publishyear), classnum (100), classsort (0),
cache (true), page, prepage``; some add ``templet=docs.jsp``, and a later page repeats whatever the first
API request sent. Two answer shapes are read, both seen in public crawler code, neither in a saved real
answer (so: unverified in detail):

* ``{"data": [{"doctitle", "docpuburl", "docreltime"}, …], "pageCount": N}`` — ``docreltime`` is a date
  string or a millisecond timestamp;
* ``{"docs": [{"chnldocurl", …}, …]}`` (``templet=docs.jsp``) — the title field is not documented, so
  ``doctitle`` and ``title`` are tried.

A page past ``pageCount`` is never asked for; without one, paging ends at an empty page or at a page that adds
nothing unseen (crawler/paging.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urljoin

from scrapy.http import TextResponse

from crawler.lists import trs
from crawler.lists.base import Form, ListLink, ListPage, clean_title, first_date, unique

API_PATH = "/fjdzapp/search"
SORT = "-docorderpri,-docreltime"
# Sent as public crawlers of these sites send them; what classcol/classnum/classsort/cache do is unverified.
FIXED_FIELDS: Form = (("classcol", "publishyear"), ("classnum", "100"), ("classsort", "0"), ("cache", "true"))
_CHANNEL = re.compile(r"""(?:channelid|searchId)\s*[:=]\s*["']?(\d+)""")
_CLASSSQL = re.compile(r"""classsql\s*:\s*(?:["']{2}\s*\|\|\s*)?["']([^"']+)["']""")
_SORTFIELD = re.compile(r"""sortfield\s*:\s*["']([^"']+)["']""")
_PREPAGE = re.compile(r"""prepage\s*:\s*["']?(\d+)""")
_RECORDS = re.compile(r"""recordCount\s*:\s*["']?(\d+)""")
_STATIC = re.compile(r"""maxStaticIndex\s*:\s*["']?(\d+)""")
_TZ = dt.timezone(dt.timedelta(hours=8))  # docreltime timestamps are instants; the date is China's


def _answer(response: TextResponse) -> list[dict[str, Any]] | None:
    """The rows of a search API answer (``data`` or ``docs`` array), or None when this is no such answer."""
    if not response.text.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(response.text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    rows = data.get("data") if isinstance(data.get("data"), list) else data.get("docs")
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else None


def detect(response: TextResponse) -> bool:
    return "list2.trsapi" in response.text or _answer(response) is not None


def _form(fields: dict[str, str], page: int) -> Form:
    return tuple({**fields, "page": str(page)}.items())


def _column_page(response: TextResponse) -> ListPage:
    static = trs.parse(response)
    html = response.text
    found = [r.search(html) for r in (_CHANNEL, _CLASSSQL, _PREPAGE, _RECORDS)]
    if not all(found):
        return static
    channel, classsql, prepage, records = (m.group(1) for m in found if m)
    sort = m.group(1) if (m := _SORTFIELD.search(html)) else SORT
    first_api = int(m.group(1)) + 1 if (m := _STATIC.search(html)) else 2  # static pages come first
    if int(records) <= int(prepage) * (first_api - 1):
        return static
    fields = {"channelid": channel, "sortfield": sort, "classsql": classsql, **dict(FIXED_FIELDS),
              "page": str(first_api), "prepage": prepage}  # in the order the public crawlers send them
    post = (urljoin(response.url, API_PATH), tuple(fields.items()))
    return ListPage(links=static.links, next_urls=static.next_urls, next_posts=(post,))


def row_date(value: object) -> dt.date | None:
    """``docreltime``: "2024-03-08 15:34:00", or milliseconds since the epoch (number or digit string)."""
    text = str(value or "").strip()
    if re.fullmatch(r"\d{12,13}", text):
        return dt.datetime.fromtimestamp(int(text) / 1000, _TZ).date()
    return first_date(text)


def _row_link(row: dict[str, Any], base_url: str) -> ListLink | None:
    url = row.get("docpuburl") or row.get("chnldocurl") or row.get("url")
    title = clean_title(str(row.get("doctitle") or row.get("title") or ""))
    if not url or not title:
        return None
    return ListLink(url=urljoin(base_url, str(url)), title=title, date=row_date(row.get("docreltime")))


def _api_page(response: TextResponse, rows: list[dict[str, Any]]) -> ListPage:
    links = [link for row in rows if (link := _row_link(row, response.url))]
    request = getattr(response, "request", None)
    sent = dict(parse_qsl(request.body.decode())) if request is not None and request.body else {}
    page = int(sent["page"]) if sent.get("page", "").isdigit() else 0
    try:
        count = int(json.loads(response.text).get("pageCount") or 0)
    except (TypeError, ValueError):
        count = 0
    if not links or not page or (count and page >= count):
        return ListPage(links=unique(links))
    return ListPage(links=unique(links), next_posts=((response.url, _form(sent, page + 1)),))


def parse(response: TextResponse) -> ListPage:
    rows = _answer(response)
    return _api_page(response, rows) if rows is not None else _column_page(response)
