"""TRS "动静结合" renderer (Fujian 集约化 template): the column page lists the newest items statically
and configures ``list2.trsapi``; every later page comes only from ``POST /fjdzapp/search`` as JSON
(docs/reference/cms-patterns.md §2.1).  Details are ordinary TRS pages (``./YYYYMM/tYYYYMMDD_<docid>.html``).

The search API answers in the shape public crawlers of Fujian sites read (no saved real answer exists, so
the details are unverified): ``{"data": [{"doctitle", "docpuburl", "docreltime"}, …], "pageCount": N}``,
page 1 being the static page. Requests carry ``channelid, sortfield, classsql, classcol, classnum,
classsort, cache, page, prepage``; only channelid and classsql select anything here."""

from __future__ import annotations

import json
from math import ceil

from nianbao.demo import chrome, trs
from nianbao.demo.chrome import Query, Response, Route, a, t
from nianbao.demo.content import DemoDocument, DemoPortal

PER_PAGE = 5
CHANNEL_ID = "200210"  # the site's search channel (SiteInfo.searchId on Pingtan)
CHNL_ID = "1813"  # the 年报 column
API = "/fjdzapp/search"


def _column_page(portal: DemoPortal, docs: list[DemoDocument]) -> str:
    column = portal.column_paths[0]
    items = "\n".join(
        f'<li><a href="./{d.paths[0][len(column):]}" title="{a(d.title)}" target="_blank">{t(chrome.clip(d.title, 24))}'
        f"</a><span>{d.published:%Y-%m-%d}</span></li>" for d in docs[:PER_PAGE])
    script = f"""<script>var SiteInfo = {{ searchId: {CHANNEL_ID} }};
require(["list2.trsapi", "tools"], function(listModel, tools) {{ listModel({{
    quickMode: "动静结合", maxStaticIndex: 1,
    listArgs: {{ channelid: SiteInfo.searchId, classsql: "" || "chnlid={CHNL_ID}",
                sortfield: "-docorderpri,-docreltime" }},
    pagebar: {{ prepage: {PER_PAGE}, recordCount: '{len(docs)}', pgCountMode: "recordCount" }} }}) }});</script>"""
    main = f"""{chrome.breadcrumb(column)}
<div class="list_box"><div class="lm_title">{chrome.COLUMN_NAME}</div>
<ul class="list" id="list">
{items}
</ul><div class="pagebar" id="pagebar"></div>
{script}
</div>"""
    return chrome.page(portal, f"{chrome.COLUMN_NAME}_{portal.display_name}", main)


def routes(portal: DemoPortal) -> dict[str, Route]:
    """Column page, search API and detail routes of a TRS 动静结合 portal."""
    column = portal.column_paths[0]
    docs = chrome.newest_first(portal.documents)
    newest = docs[0].published if docs else None

    def listing(_q: Query) -> Response:
        return chrome.html_response(portal, _column_page(portal, docs), newest)

    def search(query: Query) -> Response:
        """JSON page ``page`` (1-based) of the column named by ``classsql``; other channels are empty."""
        page = int(query.get("page", "1")) if query.get("page", "1").isdigit() else 0
        prepage = int(query.get("prepage", "10")) if query.get("prepage", "10").isdigit() else 10
        known = query.get("channelid") == CHANNEL_ID and query.get("classsql") == f"chnlid={CHNL_ID}"
        batch = docs[(page - 1) * prepage:page * prepage] if known and page >= 1 else []
        rows = [{"doctitle": d.title, "docpuburl": d.url_of(portal.host),
                 "docreltime": f"{d.published:%Y-%m-%d} 09:30:00"} for d in batch]
        answer = {"data": rows, "pageCount": ceil(len(docs) / prepage) if known else 0}
        return Response(200, "application/json; charset=utf-8", json.dumps(answer, ensure_ascii=False).encode())

    table: dict[str, Route] = {column: listing, f"{column}index.html": listing, API: search}
    for position, doc in enumerate(docs):
        prev = docs[position - 1] if position else None
        nxt = docs[position + 1] if position + 1 < len(docs) else None

        def detail(_q: Query, doc: DemoDocument = doc, prev: DemoDocument | None = prev,
                   nxt: DemoDocument | None = nxt) -> Response:
            return chrome.detail_response(portal, doc, lambda: trs.detail_page(portal, doc.paths[0], doc, prev, nxt))
        table[doc.paths[0]] = detail
    return table
