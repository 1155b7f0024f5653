"""TRS dynamic list API (Fujian 集约化 "动静结合"): first page static, later pages from a POST search API.

The column page holds the newest items as ordinary TRS detail links and configures ``list2.trsapi``
in a script (``channelid``, ``classsql: "chnlid=<column>"``, ``prepage``, ``recordCount``); the rest
comes from ``POST /fjdzapp/search`` (docs/reference/cms-patterns.md §2.1) answering JSON
``{"data": {"total": N, "page": P, "prepage": K, "rows": [{"title", "url", "pubDate"}]}}``.
Only those request fields are known, so exactly those are sent.
"""

from __future__ import annotations

import json
import re
from math import ceil
from urllib.parse import parse_qsl, urljoin

from scrapy.http import TextResponse

from crawler.lists import trs
from crawler.lists.base import Form, ListLink, ListPage, clean_title, first_date, unique

API_PATH = "/fjdzapp/search"
_CHANNEL = re.compile(r"""(?:channelid|searchId)\s*[:=]\s*["']?(\d+)""")
_CLASSSQL = re.compile(r"""classsql\s*:\s*(?:["']{2}\s*\|\|\s*)?["']([^"']+)["']""")
_PREPAGE = re.compile(r"""prepage\s*:\s*["']?(\d+)""")
_RECORDS = re.compile(r"""recordCount\s*:\s*["']?(\d+)""")


def _json(response: TextResponse) -> dict | None:
    if not response.text.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(response.text)
    except ValueError:
        return None
    return data.get("data") if isinstance(data, dict) and isinstance(data.get("data"), dict) else None


def detect(response: TextResponse) -> bool:
    return "list2.trsapi" in response.text or (_json(response) or {}).get("rows") is not None


def _form(channel: str, classsql: str, page: int, prepage: int) -> Form:
    return (("channelid", channel), ("classsql", classsql), ("page", str(page)), ("prepage", str(prepage)))


def _column_page(response: TextResponse) -> ListPage:
    static = trs.parse(response)
    html = response.text
    found = [r.search(html) for r in (_CHANNEL, _CLASSSQL, _PREPAGE, _RECORDS)]
    if not all(found):
        return static
    channel, classsql, prepage, records = (m.group(1) for m in found if m)
    pages = ceil(int(records) / max(1, int(prepage)))
    post = (urljoin(response.url, API_PATH), _form(channel, classsql, 2, int(prepage)))
    return ListPage(links=static.links, next_urls=static.next_urls, next_posts=(post,) if pages > 1 else ())


def _api_page(response: TextResponse, data: dict) -> ListPage:
    links = [ListLink(url=urljoin(response.url, str(row.get("url", ""))), title=clean_title(str(row.get("title", ""))),
                      date=first_date(str(row.get("pubDate", ""))))
             for row in data.get("rows") or () if isinstance(row, dict) and row.get("url") and row.get("title")]
    page, prepage, total = int(data.get("page", 1)), int(data.get("prepage", 10)), int(data.get("total", 0))
    request = getattr(response, "request", None)
    sent = dict(parse_qsl(request.body.decode())) if request is not None and request.body else {}
    posts: tuple[tuple[str, Form], ...] = ()
    if page * prepage < total and sent.get("channelid") and sent.get("classsql") and links:
        posts = ((response.url, _form(sent["channelid"], sent["classsql"], page + 1, prepage)),)
    return ListPage(links=unique(links), next_posts=posts)


def parse(response: TextResponse) -> ListPage:
    data = _json(response)
    return _api_page(response, data) if data is not None else _column_page(response)
