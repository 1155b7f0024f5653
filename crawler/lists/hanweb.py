"""Hanweb 大汉 jcms / jpage lists: records live in ``<datastore>`` XML, not in the DOM (cms-patterns.md §3).

The column page embeds the first group of records in ``<script type="text/xml"><datastore>``; each
``<record>`` is an HTML fragment in CDATA. Further groups come from ``/module/web/jpage/dataproxy.jsp`` in one
of the two shapes real sites use:

* **POST** ``dataproxy.jsp?startrecord=46&endrecord=90&perpage=15`` with the form
  ``col, appid, webid, path, columnid, sourceContentType, unitid, webname, permissiontype``, taken from the
  jpage parameter object in the column page's script (``var param_<unitid> = {col:1,webid:355,…}``, or the
  ``ajaxParam`` of the ``jpage({…})`` call). One request returns ``perPage × groupSize`` records (15 × 3 = 45
  by default); ``totalRecord`` in the script and ``<totalrecord>`` in an answer bound the walk when present.
* **GET** ``dataproxy.jsp?page=N&appid=1&webid=…&columnid=…&unitid=…&webname=…`` (N counts groups from 1,
  the group the column page already holds), built from the ``<nextgroup>`` link. That link is a fixed
  template (``page=1`` in the real Dingxi answer, whatever group it comes with), so the page number is ours
  to count; ``<totalpage>`` bounds the walk when present.

Either way a group that adds no unseen link ends the walk (crawler/paging.py). Unverified: which group
``page=1`` names on sites whose column page holds fewer records than a GET group; the shape of the column
page script beyond the parameter object and ``perPage``/``groupSize``/``totalRecord`` (seen in public
crawler code, no saved real column page).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urljoin, urlsplit

from lxml import etree
from parsel import Selector
from scrapy.http import TextResponse

from crawler.lists.base import Form, ListLink, ListPage, row_link, unique

DATAPROXY = "/module/web/jpage/dataproxy.jsp"
PER_PAGE, GROUP_SIZE = 15, 3  # jpage defaults: 15 rows a display page, 3 display pages a request
_DATASTORE = re.compile(r"<datastore>.*?</datastore>", re.S)
_PARAM_OBJECT = re.compile(r"(?:var\s+param_\w+\s*=|ajaxParam\s*:)\s*\{([^{}]*)\}", re.S)
_JS_PAIR = re.compile(r"""(\w+)\s*:\s*(?:'([^']*)'|"([^"]*)"|([^,}\s]+))""")
_NUMBER = {name: re.compile(rf"""\b{name}\s*[:=]\s*['"]?(\d+)""") for name in ("perPage", "groupSize", "totalRecord")}
_PROXY_URL = re.compile(r"""proxyUrl\s*:\s*['"]([^'"]+)['"]""")


def detect(response: TextResponse) -> bool:
    return "<datastore>" in response.text


def _store(xml: str) -> tuple[list[str], str | None, dict[str, int]]:
    """Record fragments, the nextgroup link and the totals (``totalrecord``/``totalpage``) of one datastore."""
    parser = etree.XMLParser(recover=True, strip_cdata=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(xml.encode("utf-8"), parser)
    if root is None:
        return [], None, {}
    totals = {tag: int(text) for tag in ("totalrecord", "totalpage")
              if (text := (root.findtext(tag) or "").strip()).isdigit()}
    href = Selector(text=root.findtext("nextgroup") or "<p></p>").css("a::attr(href)").get()
    return [r.text or "" for r in root.iter("record")], href.strip() if href else None, totals


def _links(records: list[str], base_url: str) -> list[ListLink]:
    # One parse for all records: each record stays its own <div>, so dates stay with their links.
    joined = Selector(text="".join(f"<div>{fragment}</div>" for fragment in records) or "<div></div>")
    return [link for a in joined.css("a[href]") if (link := row_link(a, base_url))]


def _script_params(html: str) -> list[dict[str, str]]:
    """The jpage parameter objects of a column page (each unit's POST form), those naming a column."""
    objects = [{m.group(1): next(v for v in m.groups()[1:] if v is not None) for m in _JS_PAIR.finditer(body)}
               for body in _PARAM_OBJECT.findall(html)]
    return [o for o in objects if o.get("columnid")]


def _number(html: str, name: str, default: int) -> int:
    m = _NUMBER[name].search(html)
    return int(m.group(1)) if m else default


def _with_query(url: str, **values: object) -> str:
    """``url`` with these query parameters set, the rest of its query byte for byte (``webname`` stays double
    URL-encoded, as the template has it)."""
    for name, value in values.items():
        url, found = re.subn(rf"([?&]){name}=[^&#]*", rf"\g<1>{name}={value}", url, count=1)
        if not found:
            url += f"{'&' if '?' in url else '?'}{name}={value}"
    return url


def _column_page(response: TextResponse) -> ListPage:
    html = response.text
    links: list[ListLink] = []
    posts: list[tuple[str, Form]] = []
    gets: list[str] = []
    params = _script_params(html)
    per_page, group = _number(html, "perPage", PER_PAGE), _number(html, "groupSize", GROUP_SIZE)
    span, total = per_page * group, _number(html, "totalRecord", 0)
    proxy = urljoin(response.url, (m.group(1) if (m := _PROXY_URL.search(html)) else DATAPROXY))
    for block in _DATASTORE.findall(html):
        records, nextgroup, _ = _store(block)
        links += _links(records, response.url)
        more = total > span if total else len(records) >= span
        unit = dict(parse_qsl(urlsplit(nextgroup or "").query)).get("unitid")
        form = next((p for p in params if p.get("unitid") == unit), params[0] if len(params) == 1 else None)
        if form and more:
            posts.append((f"{proxy}?startrecord={span + 1}&endrecord={2 * span}&perpage={per_page}",
                          tuple(form.items())))
        elif nextgroup and records:
            gets.append(_with_query(urljoin(response.url, nextgroup), page=2))
    return ListPage(links=unique(links), next_urls=tuple(dict.fromkeys(gets)), next_posts=tuple(posts))


def _proxy_answer(response: TextResponse) -> ListPage:
    """A ``dataproxy.jsp`` answer: its records, and the next group in the shape this one was asked in."""
    records, _, totals = _store(_DATASTORE.search(response.text).group(0))  # type: ignore[union-attr]
    links = _links(records, response.url)
    if not records:
        return ListPage(links=())
    query = dict(parse_qsl(urlsplit(response.url).query))
    request = getattr(response, "request", None)
    if {"startrecord", "endrecord"} <= query.keys():
        start, end = int(query["startrecord"]), int(query["endrecord"])
        if totals.get("totalrecord", end + 1) <= end:
            return ListPage(links=unique(links))
        form: Form = tuple(parse_qsl(request.body.decode())) if request is not None and request.body else ()
        span = end - start + 1
        url = _with_query(response.url, startrecord=start + span, endrecord=end + span)
        return ListPage(links=unique(links), next_posts=((url, form),))
    page = int(query.get("page", "1")) if query.get("page", "1").isdigit() else 1
    if totals.get("totalpage", page + 1) <= page:
        return ListPage(links=unique(links))
    return ListPage(links=unique(links), next_urls=(_with_query(response.url, page=page + 1),))


def parse(response: TextResponse) -> ListPage:
    if urlsplit(response.url).path.endswith("dataproxy.jsp") and _DATASTORE.search(response.text):
        return _proxy_answer(response)
    return _column_page(response)
