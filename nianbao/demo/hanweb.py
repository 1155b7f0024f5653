"""Hanweb 大汉 jcms renderer: the list lives in a ``<datastore>`` inside a script plus ``dataproxy.jsp`` pages.

An HTML parser sees no list links on the column page: the first :data:`PER_PAGE` records sit as CDATA
inside ``<script type="text/xml">``, the rest come from
``/module/web/jpage/dataproxy.jsp?page=N&…&columnid=4512&unitid=16888…`` (docs/reference/cms-patterns.md §3).
Articles are ``/art/YYYY/M/D/art_4512_<artid>.html`` (no zero padding), body ``#zoom``.
"""

from __future__ import annotations

from math import ceil
from urllib.parse import quote

from nianbao.demo import chrome
from nianbao.demo.chrome import Query, Response, Route, a, t
from nianbao.demo.content import DemoDocument, DemoPortal

COLUMN_ID = "4512"
UNIT_ID = "16888"
WEB_ID = "21"
PER_PAGE = 5
DATAPROXY = "/module/web/jpage/dataproxy.jsp"


def _proxy_href(portal: DemoPortal, page: int) -> str:
    """The dataproxy URL as jcms writes it, with the double URL-encoded ``webname`` quirk."""
    webname = quote(quote(portal.display_name, safe=""), safe="")
    return (f"{DATAPROXY}?page={page}&appid=1&webid={WEB_ID}&path=/&columnid={COLUMN_ID}&unitid={UNIT_ID}"
            f"&webname={webname}&permissiontype=0")


def _datastore(portal: DemoPortal, docs: list[DemoDocument], next_page: int | None) -> str:
    nextgroup = (f'<nextgroup><![CDATA[<a href="{_proxy_href(portal, next_page)}"></a>]]></nextgroup>\n'
                 if next_page else "")
    records = "\n".join(
        f'<record><![CDATA[\n<li class="clearfix"><a target="_blank" href="{d.paths[0]}" title="{a(d.title)}">'
        f"{t(chrome.clip(d.title, 22))}</a> <b>{d.published:%Y-%m-%d}</b></li>]]></record>" for d in docs)
    return f"<datastore>\n{nextgroup}<recordset>\n{records}\n</recordset>\n</datastore>"


def _column_page(portal: DemoPortal, docs: list[DemoDocument]) -> str:
    column = portal.column_paths[0]
    inline = _datastore(portal, docs[:PER_PAGE], 1 if len(docs) > PER_PAGE else None)
    main = f"""{chrome.breadcrumb(column)}
<div class="lm_list"><div class="lm_title">{chrome.COLUMN_NAME}</div>
<div id="{UNIT_ID}"><script type="text/xml">{inline}</script>
<script language="javascript" src="/module/jslib/jquery/jpage/jpage.js"></script>
<script language="javascript">
// jpage unit: columnid:{COLUMN_ID}; unitid:'{UNIT_ID}'
$(document).ready(function(){{ $('#{UNIT_ID}').jpage({{ dataStore: dataStore, perPage: {PER_PAGE},
  proxyUrl: '{DATAPROXY}', groupSize: 3, barPosition: 'bottom',
  ajaxParam: {{ col: 1, appid: 1, webid: {WEB_ID}, path: '/', columnid: {COLUMN_ID}, sourceContentType: 1,
    unitid: '{UNIT_ID}', webname: '{a(portal.display_name)}', permissiontype: 0 }} }}); }});
</script></div>
</div>"""
    return chrome.page(portal, f"{chrome.COLUMN_NAME}_{portal.display_name}", main)


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
    pages = ceil(len(docs) / PER_PAGE)
    newest = docs[0].published if docs else None

    def column(_q: Query) -> Response:
        return chrome.html_response(portal, _column_page(portal, docs), newest)

    def dataproxy(query: Query) -> Response:
        """Display page ``page`` (1-based; page 1 repeats the inline batch) with a nextgroup link."""
        page = int(query.get("page", "1")) if query.get("page", "1").isdigit() else 0
        known = query.get("columnid") == COLUMN_ID and query.get("unitid") == UNIT_ID
        batch = docs[(page - 1) * PER_PAGE:page * PER_PAGE] if known and page >= 1 else []
        xml = _datastore(portal, batch, page + 1 if batch and page < pages else None)
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
