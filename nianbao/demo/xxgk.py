"""政府信息公开平台 ("xxgk") renderer: table lists with plain pager links, 索引号 metadata tables, GBK.

Details open with the 索引号 / 分类 / 发布机构 / 成文日期 / 名称 / 文号 / 发布日期 table (metadata, not body:
docs/reference/cms-patterns.md §5, §12), then the article in ``div.xxgk_content``.  The portal's ``encoding`` is "gbk",
so pages are GBK bytes declared as gb2312 in the page and GBK in the HTTP header.
"""

from __future__ import annotations

import datetime
from math import ceil

from nianbao.demo import chrome
from nianbao.demo.chrome import Query, Response, Route, a, t
from nianbao.demo.content import DemoDocument, DemoPortal

PAGE_SIZE = 6


def index_number(portal: DemoPortal, doc: DemoDocument) -> str:
    """索引号: 统一社会信用代码 of the county government, publish year, serial."""
    return f"11{portal.region_code}MB0123456X/{doc.published.year}-{int(doc.doc_id) % 100000:05d}"


def _cn_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def _pager(pages: int, index: int) -> str:
    def name(i: int) -> str:
        return "index.html" if i == 0 else f"index_{i}.html"

    parts = [f'<a href="{name(0)}">首页</a>']
    parts.append(f'<a href="{name(index - 1)}">上一页</a>' if index else "<span>上一页</span>")
    parts.append(f'<a href="{name(index + 1)}">下一页</a>' if index + 1 < pages else "<span>下一页</span>")
    parts.append(f'<a href="{name(pages - 1)}">尾页</a>')
    return f'<div class="fy">{" ".join(parts)} <span>共{pages}页</span> <span>当前第{index + 1}页</span></div>'


def _list_page(portal: DemoPortal, docs: list[DemoDocument], index: int, pages: int) -> str:
    chunk = docs[index * PAGE_SIZE:(index + 1) * PAGE_SIZE]
    rows = "\n".join(
        f'<tr><td>{index * PAGE_SIZE + n + 1}</td><td class="mc"><a href="{d.paths[0].rsplit("/", 1)[1]}" '
        f'title="{a(d.title)}" target="_blank">{t(chrome.clip(d.title, 28))}</a></td>'
        f"<td>{index_number(portal, d)}</td><td>{t(d.organ)}</td><td>{d.published:%Y-%m-%d}</td></tr>"
        for n, d in enumerate(chunk))
    main = f"""{chrome.breadcrumb(portal.column_paths[0])}
<div class="xxgk_list"><table class="xxgk_table" width="100%">
<tr class="th"><th>序号</th><th>名称</th><th>索引号</th><th>发布机构</th><th>发布日期</th></tr>
{rows}
</table>
{_pager(pages, index)}
</div>"""
    return chrome.page(portal, f"{chrome.COLUMN_NAME}_{portal.display_name}", main)


def _detail_page(portal: DemoPortal, doc: DemoDocument,
                 prev: DemoDocument | None, nxt: DemoDocument | None) -> str:
    main = f"""{chrome.breadcrumb(portal.column_paths[0])}
<div class="xxgk_detail">
<div class="xxgk_info"><table width="100%" border="1" cellspacing="0">
<tr><th>索引号：</th><td>{index_number(portal, doc)}</td><th>分类：</th><td>{chrome.COLUMN_NAME}</td></tr>
<tr><th>发布机构：</th><td>{t(doc.organ)}</td><th>成文日期：</th><td>{_cn_date(doc.published)}</td></tr>
<tr><th>名称：</th><td colspan="3">{t(doc.title)}</td></tr>
<tr><th>文号：</th><td>{t(doc.doc_number)}</td><th>发布日期：</th><td>{_cn_date(doc.published)}</td></tr>
</table></div>
<div class="xxgk_article">
<h1 class="xxgk_title">{t(doc.title)}</h1>
{chrome.meta_bar(portal, doc)}
<div class="xxgk_content">
{chrome.article_html(doc)}
</div>
{chrome.article_tools(prev, nxt)}
</div>
</div>"""
    return chrome.page(portal, doc.title, main, chrome.national_meta(portal, doc))


def routes(portal: DemoPortal) -> dict[str, Route]:
    """List pages and detail pages of an xxgk portal."""
    docs = chrome.newest_first(portal.documents)
    pages = max(1, ceil(len(docs) / PAGE_SIZE))
    newest = docs[0].published if docs else None
    folder = portal.column_paths[0].rsplit("/", 1)[0]
    table: dict[str, Route] = {}
    for index in range(pages):
        def listing(_q: Query, index: int = index) -> Response:
            return chrome.html_response(portal, _list_page(portal, docs, index, pages), newest)
        names = [f"{folder}/index_{index}.html"] if index else [portal.column_paths[0], f"{folder}/"]
        table.update(dict.fromkeys(names, listing))
    for position, doc in enumerate(docs):
        prev = docs[position - 1] if position else None
        nxt = docs[position + 1] if position + 1 < len(docs) else None

        def detail(_q: Query, doc: DemoDocument = doc, prev: DemoDocument | None = prev,
                   nxt: DemoDocument | None = nxt) -> Response:
            return chrome.detail_response(portal, doc, lambda: _detail_page(portal, doc, prev, nxt))
        table[doc.paths[0]] = detail
    return table
