"""TRS WCM (拓尔思) renderer: script-only pager, ``./YYYYMM/tYYYYMMDD_<docid>.html`` details, ``.TRS_Editor``.

The list pages carry no plain ``index_N.html`` links: page count and names exist only in the
``createPageHTML(count, current, "index", "html")`` call, as on real TRS sites (docs/reference/cms-patterns.md §2), so a
crawler that only follows ``<a href>`` sees the first page alone.
"""

from __future__ import annotations

import datetime
import re
from math import ceil

from nianbao.demo import chrome
from nianbao.demo.chrome import Route, a, t
from nianbao.demo.content import DemoDocument, DemoPortal

PAGE_SIZE = 6
# Detail pages, and reports published only as a file (``P0….pdf``, nianbao/demo/attachments.py).
_DETAIL = re.compile(r"\d{6}/(?:t\d{8}_\d+\.html|P0\d+\.(?:pdf|docx))")

# In the style of www.shanxi.gov.cn's template (fixtures/realpages/shanxi_gov_trs_detail_createPageHTML.html)
CREATE_PAGE_HTML = """function createPageHTML(_nPageCount,_nCurrIndex,_sPageName,_sPageExt){
	if(_nPageCount == null || _nPageCount <=1){
		return;
	}
	var nCurrIndex = _nCurrIndex || 0;
	if(nCurrIndex != 0){
		document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\" class='page-button'>首页</a>&nbsp;");
		var sPrev = (nCurrIndex == 1 ? _sPageName : (_sPageName + "_" + (nCurrIndex - 1))) + "." + _sPageExt;
		document.write("<a href=\\"" + sPrev + "\\" class='page-button'>上一页</a>&nbsp;");
	}
	for(var i = 0; i < _nPageCount; i++){
		var sPageName = (i == 0 ? _sPageName : (_sPageName + "_" + i)) + "." + _sPageExt;
		if(nCurrIndex == i){
			document.write("<a href='javascript:void(0)' class='page-current'>"+(i+1)+"</a>" + "&nbsp;");
		}else{
			document.write("<a href='" + sPageName + "'>"+ (i+1) +"</a>&nbsp;");
		}
	}
	if(nCurrIndex != _nPageCount-1){
		var sNext = _sPageName + "_" + (nCurrIndex + 1) + "." + _sPageExt;
		var sLast = _sPageName + "_" + (_nPageCount - 1) + "." + _sPageExt;
		document.write("<a href=\\"" + sNext + "\\" class='page-button'>下一页</a>&nbsp;");
		document.write("<a href=\\"" + sLast + "\\" class='page-button'>尾页</a>");
	}
	document.write("<span class='page-form'>共"+_nPageCount+"页</span>");
}"""


def _pager(count: int, current: int, name: str) -> str:
    return (f'<div class="page"><script type="text/javascript">\n{CREATE_PAGE_HTML}\n'
            f'createPageHTML({count}, {current}, "{name}", "html");\n</script></div>')


def column_of(portal: DemoPortal, path: str) -> str | None:
    """The column a detail path sits directly under (``/zwgk/zfxxgknb/jdnb/`` beats its parent)."""
    for column in sorted(portal.column_paths, key=len, reverse=True):
        if path.startswith(column) and _DETAIL.fullmatch(path[len(column):]):
            return column
    return None


def _listing(portal: DemoPortal, column: str) -> list[tuple[str, DemoDocument]]:
    """(path, document) pairs listed on ``column``, newest first."""
    pairs = [(p, d) for d in portal.documents for p in d.paths if column_of(portal, p) == column]
    return sorted(pairs, key=lambda pair: chrome.list_order(pair[1]), reverse=True)


def _column_nav(portal: DemoPortal, column: str) -> str:
    labels = {portal.column_paths[0]: chrome.COLUMN_NAME, **{c: "街道年报" for c in portal.column_paths[1:]}}
    items = "".join(f'<li{" class=on" if c == column else ""}><a href="{c}">{labels[c]}</a></li>'
                    for c in portal.column_paths)
    return f'<div class="left_nav"><h2>政务公开</h2><ul>{items}</ul></div>'


def _list_page(portal: DemoPortal, column: str, listing: list[tuple[str, DemoDocument]], index: int) -> str:
    pages = max(1, ceil(len(listing) / PAGE_SIZE))
    chunk = listing[index * PAGE_SIZE:(index + 1) * PAGE_SIZE]
    items = "\n".join(
        f'<li><a href="./{path[len(column):]}" title="{a(doc.title)}" target="_blank">{t(chrome.clip(doc.title, 24))}'
        f"</a><span>{doc.published:%Y-%m-%d}</span></li>" for path, doc in chunk)
    main = f"""{chrome.breadcrumb(column)}
{_column_nav(portal, column)}
<div class="list_box"><div class="lm_title">{chrome.COLUMN_NAME}</div>
<ul class="list">
{items}
</ul>
{_pager(pages, index, "index")}
</div>"""
    return chrome.page(portal, f"{chrome.COLUMN_NAME}_{portal.display_name}", main)


def detail_page(portal: DemoPortal, path: str, doc: DemoDocument,
                 prev: DemoDocument | None, nxt: DemoDocument | None) -> str:
    column = column_of(portal, path) or portal.column_paths[0]
    stem = path.rsplit("/", 1)[1].removesuffix(".html")
    head = (f"{chrome.national_meta(portal, doc)}\n<script>var docId = \"{stem.split('_')[1]}\"; "
            f'var currChannelId = "{1813 + portal.column_paths.index(column)}";</script>')
    main = f"""{chrome.breadcrumb(column)}
<div class="detail">
<h1 class="bt">{t(doc.title)}</h1>
{chrome.meta_bar(portal, doc)}
<div class="content"><div class="TRS_Editor">
{chrome.article_html(doc)}
</div></div>
{_pager(1, 0, stem)}
{chrome.article_tools(prev, nxt)}
</div>"""
    return chrome.page(portal, f"{doc.title}_{portal.display_name}", main, head)


def routes(portal: DemoPortal) -> dict[str, Route]:
    """Every path of a TRS portal mapped to its page handler."""
    table: dict[str, Route] = {}
    for column in portal.column_paths:
        listing = _listing(portal, column)
        newest = listing[0][1].published if listing else None
        for index in range(max(1, ceil(len(listing) / PAGE_SIZE))):
            def route(_q: chrome.Query, index: int = index, column: str = column,
                      listing: list = listing, newest: datetime.date | None = newest) -> chrome.Response:
                return chrome.html_response(portal, _list_page(portal, column, listing, index), newest)
            names = [f"{column}index_{index}.html"] if index else [column, f"{column}index.html"]
            table.update(dict.fromkeys(names, route))
        for position, (path, doc) in enumerate(listing):
            prev = listing[position - 1][1] if position else None
            nxt = listing[position + 1][1] if position + 1 < len(listing) else None

            def detail(_q: chrome.Query, path: str = path, doc: DemoDocument = doc,
                       prev: DemoDocument | None = prev, nxt: DemoDocument | None = nxt) -> chrome.Response:
                return chrome.detail_response(portal, doc, lambda: detail_page(portal, path, doc, prev, nxt))
            table[path] = detail
    return table
