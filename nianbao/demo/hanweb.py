"""Hanweb 大汉 jcms renderer: the list lives in a ``<datastore>`` inside a script plus ``dataproxy.jsp`` groups.

Served in the shapes real jcms sites use (docs/reference/cms-patterns.md §3, and the real Dingxi answer in
``tests/extraction_corpus/realpages``): an HTML parser sees no list links on the column page; the first group of
:data:`SPAN` records sits as CDATA inside ``<script type="text/xml">``, its ``<nextgroup>`` link is a fixed
template (``page=1`` whatever group it comes with, ``webname`` double URL-encoded), and the jpage script
carries the parameter object ``var param_<unitid> = {col:1,appid:1,webid:…,columnid:…,unitid:'…',…}``.
Further groups answer ``POST /module/web/jpage/dataproxy.jsp?startrecord=7&endrecord=12&perpage=2`` with that
object as the form (with ``<totalrecord>``), or ``GET …dataproxy.jsp?page=N&…&columnid=…&unitid=…`` (groups
counted from 1, no total, as in the Dingxi answer). Articles are ``/art/YYYY/M/D/art_4512_<artid>.html`` (no
zero padding), body ``#zoom``.
"""

from __future__ import annotations

from urllib.parse import quote

from nianbao.demo import chrome
from nianbao.demo.chrome import Query, Response, Route, a, t
from nianbao.demo.content import DemoDocument, DemoPortal

COLUMN_ID = "4512"
UNIT_ID = "16888"
WEB_ID = "21"
PER_PAGE = 2  # rows per display page (real sites: 14–40; small here so the demo pages through three groups)
GROUP_SIZE = 3  # display pages per request (the jpage default)
SPAN = PER_PAGE * GROUP_SIZE
DATAPROXY = "/module/web/jpage/dataproxy.jsp"


def _proxy_href(portal: DemoPortal) -> str:
    """The nextgroup template as jcms writes it: page=1 always, ``webname`` double URL-encoded."""
    webname = quote(quote(portal.display_name, safe=""), safe="")
    return (f"{DATAPROXY}?page=1&appid=1&webid={WEB_ID}&path=/&columnid={COLUMN_ID}&unitid={UNIT_ID}"
            f"&webname={webname}&permissiontype=0")


def _datastore(portal: DemoPortal, docs: list[DemoDocument], total: int | None = None) -> str:
    records = "\n".join(
        f'<record><![CDATA[\n<li class="clearfix">    <a target="_blank" href="{d.paths[0]}" title="{a(d.title)}">'
        f"{t(chrome.clip(d.title, 22))}</a>    <b>{d.published:%Y-%m-%d}</b></li>]]></record>" for d in docs)
    totals = f"<totalrecord>{total}</totalrecord>\n" if total is not None else ""
    return (f'<datastore>\n<nextgroup><![CDATA[<a href="{_proxy_href(portal)}"></a>]]></nextgroup>\n'
            f"{totals}<recordset>\n{records}\n</recordset>\n</datastore>")


def _column_page(portal: DemoPortal, docs: list[DemoDocument]) -> str:
    column = portal.column_paths[0]
    main = f"""{chrome.breadcrumb(column)}
<div class="lm_list"><div class="lm_title">{chrome.COLUMN_NAME}</div>
<div id="{UNIT_ID}"><script type="text/xml">{_datastore(portal, docs[:SPAN])}</script></div>
<script language="javascript" src="/module/jslib/jquery/jpage/jpage.js"></script>
<script language="javascript">
var param_{UNIT_ID} = {{col:1,appid:1,webid:{WEB_ID},path:'/',columnid:{COLUMN_ID},sourceContentType:1,
  unitid:'{UNIT_ID}',webname:'{a(portal.display_name)}',permissiontype:0}};
$(document).ready(function(){{ $('#{UNIT_ID}').jpage({{ dataStore: dataStore, perPage: {PER_PAGE},
  totalRecord: {len(docs)}, groupSize: {GROUP_SIZE}, barPosition: 'bottom', proxyUrl: '{DATAPROXY}',
  ajaxParam: param_{UNIT_ID} }}); }});
</script>
</div>"""
    return chrome.page(portal, f"{chrome.COLUMN_NAME}_{portal.display_name}", main)


def _numbers(query: Query, *names: str) -> list[int] | None:
    values = [query.get(n, "") for n in names]
    return [int(v) for v in values] if all(v.isdigit() for v in values) else None


def _article_page(portal: DemoPortal, doc: DemoDocument,
                  prev: DemoDocument | None, nxt: DemoDocument | None) -> str:
    location = (f'<div id="hiddenLocation" style="display:none"><span id="ss_webid">{WEB_ID}</span>'
                f'<span id="col1_name">政务公开</span><span id="col3_name">{chrome.COLUMN_NAME}</span>'
                f'<span id="col3_url">{portal.column_paths[0]}</span></div>')
    main = f"""{location}
{chrome.breadcrumb(portal.column_paths[0])}
<table class="article" width="100%"><tr><td class="title">{t(doc.title)}</td></tr>
<tr><td>{chrome.meta_bar(portal, doc)}</td></tr>
<tr><td><div id="zoom"><!--<$[信息内容]>begin-->
{chrome.article_html(doc, indent="　　")}
<!--<$[信息内容]>end--></div></td></tr></table>
{chrome.article_tools(prev, nxt)}"""
    return chrome.page(portal, doc.title, main, chrome.national_meta(portal, doc))


def routes(portal: DemoPortal) -> dict[str, Route]:
    """Column page, dataproxy and article routes of a Hanweb portal."""
    docs = chrome.newest_first(portal.documents)
    newest = docs[0].published if docs else None

    def column(_q: Query) -> Response:
        return chrome.html_response(portal, _column_page(portal, docs), newest)

    def dataproxy(query: Query) -> Response:
        """A group of records: POST ``startrecord``/``endrecord`` (1-based, inclusive; with the total) or GET
        ``page`` (groups of SPAN from 1). Another column or unit gets an empty recordset."""
        known = query.get("columnid") == COLUMN_ID and query.get("unitid") == UNIT_ID
        if (bounds := _numbers(query, "startrecord", "endrecord")) is not None:
            batch = docs[max(bounds[0] - 1, 0):bounds[1]] if known else []
            xml = _datastore(portal, batch, len(docs) if known else 0)
        else:
            page = (_numbers(query, "page") or [0])[0]
            xml = _datastore(portal, docs[(page - 1) * SPAN:page * SPAN] if known and page >= 1 else [])
        return Response(200, "text/xml; charset=utf-8", f'<?xml version="1.0" encoding="utf-8"?>\n{xml}'.encode())

    table: dict[str, Route] = {portal.column_paths[0]: column, DATAPROXY: dataproxy}
    for position, doc in enumerate(docs):
        prev = docs[position - 1] if position else None
        nxt = docs[position + 1] if position + 1 < len(docs) else None

        def article(_q: Query, doc: DemoDocument = doc, prev: DemoDocument | None = prev,
                    nxt: DemoDocument | None = nxt) -> Response:
            return chrome.detail_response(portal, doc, lambda: _article_page(portal, doc, prev, nxt))
        table[doc.paths[0]] = article
    return table
