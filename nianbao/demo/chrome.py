"""Page chrome shared by the three CMS renderers, plus the response helpers they all use.

Everything here is what an extractor must *strip*: navigation, the 今天是 banner, the 当前位置 breadcrumb,
the metadata bar with a view counter that changes on every request, print/close/share tools, 上一篇/下一篇,
related links and the footer.  Class names are pinyin abbreviations (``dqwz``, ``bt_info``, ``bottom``) as
on real CMS templates.  The banner and counter are computed per request on purpose, so two fetches of the
same page differ only in chrome — a content hash taken from the page without stripping will break.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import format_datetime
from html import escape

from nianbao.demo.bodies import Block, Cell
from nianbao.demo.content import FAULT_CHROME_ONLY, FAULT_EMPTY, FAULT_GONE, FAULT_MALFORMED, DemoDocument, DemoPortal

COLUMN_NAME = "政府信息公开年报"
_WEEKDAYS = "一二三四五六日"
_PROVINCE_ABBR = {"21": "辽", "22": "吉"}


Query = dict[str, str]


@dataclass(frozen=True)
class Response:
    """A rendered HTTP answer; the server adds Content-Length and Date."""

    status: int
    content_type: str
    body: bytes
    last_modified: datetime.date | None = None


Route = Callable[[Query], Response]  # a page handler; gets the parsed query string


def error_page(status: int, message: str) -> Response:
    """Plain HTML error page (500 column, 502 unknown host…)."""
    html = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{status}</title></head>'
            f"<body><h1>{status}</h1><p>{t(message)}</p></body></html>")
    return Response(status, "text/html; charset=utf-8", html.encode("utf-8"))


def short_name(portal: DemoPortal) -> str:
    """大安市人民政府 -> 大安市 (used in nav labels such as 走进大安市)."""
    return portal.display_name.removesuffix("人民政府")


def office(portal: DemoPortal) -> str:
    return f"{portal.display_name}办公室"


def list_order(doc: DemoDocument) -> tuple[datetime.date, int]:
    """Sort key of every column list (used descending): publish date, then id."""
    return doc.published, int(doc.doc_id)


def newest_first(documents: Sequence[DemoDocument]) -> list[DemoDocument]:
    return sorted(documents, key=list_order, reverse=True)


def clip(title: str, limit: int) -> str:
    """List pages truncate long titles with ``...``; the full title stays in ``title=``."""
    return title if len(title) <= limit else title[:limit] + "..."


def t(text: str) -> str:
    """Escape text for an element body (quotes stay as they are, as CMS output does)."""
    return escape(text, quote=False)


def a(text: str) -> str:
    """Escape text for an attribute value."""
    return escape(text, quote=True)


# --------------------------------------------------------------------------- chrome pieces

def header(portal: DemoPortal) -> str:
    today = datetime.date.today()
    short = short_name(portal)
    return f"""<div class="top_bar"><div class="w1200">
  <span class="jt" id="today">今天是：{today.year}年{today.month}月{today.day}日 星期{_WEEKDAYS[today.weekday()]}</span>
  <span class="top_r"><a href="javascript:void(0)" id="wza">无障碍</a> |
  <a href="javascript:void(0)" id="zzb">长者版</a> |
  <a href="/admin/login.html">登录</a> | <a href="/admin/register.html">注册</a></span>
</div></div>
<div class="header"><div class="logo"><a href="/"><img src="/images/logo.png" alt="{a(portal.display_name)}"></a></div>
<div class="search"><input type="text" name="searchword" placeholder="请输入关键字"><button>搜索</button></div></div>
<div class="nav"><ul>
  <li><a href="/">首页</a></li><li class="on"><a href="{portal.column_paths[0]}">政务公开</a></li>
  <li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li>
  <li><a href="/zj/">走进{t(short)}</a></li><li><a href="/ztzl/">专题专栏</a></li>
</ul></div>"""


def breadcrumb(column_path: str) -> str:
    return (f'<div class="dqwz">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; '
            f'<a href="{column_path}">{COLUMN_NAME}</a></div>')


def meta_bar(portal: DemoPortal, doc: DemoDocument) -> str:
    return (f'<div class="bt_info"><span>发布日期：{doc.published:%Y-%m-%d}</span>　'
            f'<span>来源：{t(office(portal))}</span>　<span>点击数：<b id="hits">{random.randint(57, 98765)}</b></span>'
            f'　<span class="zh">字号：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> '
            f'<a href="javascript:doZoom(14)">小</a></span></div>')


def article_tools(prev: DemoDocument | None, nxt: DemoDocument | None) -> str:
    def link(label: str, doc: DemoDocument | None) -> str:
        if doc is None:
            return f"<p>{label}：没有了</p>"
        return f'<p>{label}：<a href="{doc.paths[0]}" title="{a(doc.title)}">{t(doc.title)}</a></p>'

    return f"""<div class="wzgn"><a href="javascript:window.print()">【打印本页】</a>
<a href="javascript:window.close()">【关闭窗口】</a>
<span class="fxd">分享到：<a class="wx" href="javascript:void(0)">微信</a>
<a class="wb" href="javascript:void(0)">微博</a></span></div>
<div class="sxp">{link("上一篇", prev)}{link("下一篇", nxt)}</div>"""


def related_links() -> str:
    return """<div class="xglj"><h3>相关链接</h3><ul>
  <li><a href="http://www.gov.cn/">中国政府网</a></li><li><a href="http://www.jl.gov.cn/">吉林省人民政府</a></li>
  <li><a href="http://www.ln.gov.cn/">辽宁省人民政府</a></li></ul></div>"""


def footer(portal: DemoPortal) -> str:
    abbr = _PROVINCE_ABBR.get(portal.region_code[:2], "示")
    return f"""<div class="bottom"><div class="w1200">
  <p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/sysm/">使用说明</a></p>
  <p>主办单位：{t(office(portal))}　承办单位：{t(short_name(portal))}政务服务和数字化建设管理局</p>
  <p>网站标识码：{portal.site_code}　<a href="https://beian.miit.gov.cn/">{abbr}ICP备05001234号</a>
  <a href="http://www.beian.gov.cn/">{abbr}公网安备 {portal.region_code}02000001号</a></p>
  <p>技术支持：{t(short_name(portal))}信息技术服务中心　版权所有：{t(portal.display_name)}</p>
</div></div>"""


def national_meta(portal: DemoPortal, doc: DemoDocument) -> str:
    """The meta tags of 国办发〔2017〕47号 (docs/reference/cms-patterns.md §6)."""
    return "\n".join(f'<meta name="{name}" content="{a(value)}">' for name, value in (
        ("SiteName", portal.display_name), ("SiteDomain", portal.host), ("SiteIDCode", portal.site_code),
        ("ColumnName", COLUMN_NAME), ("ColumnType", COLUMN_NAME), ("ArticleTitle", doc.title),
        ("PubDate", f"{doc.published:%Y-%m-%d} 09:30"), ("ContentSource", office(portal)),
        ("Url", doc.url_of(portal.host)),
    ))


def page(portal: DemoPortal, title: str, main: str, head_extra: str = "") -> str:
    """A full HTML document: charset meta, header chrome, ``main``, related links, footer."""
    charset = "gb2312" if portal.encoding == "gbk" else "utf-8"
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{t(title)}</title>
{head_extra}
<link rel="stylesheet" href="/images/style.css">
</head>
<body>
{header(portal)}
<div class="main w1200">
{main}
{related_links()}
</div>
{footer(portal)}
</body>
</html>
"""


# --------------------------------------------------------------------------- body markup

def blocks_html(blocks: Sequence[Block], indent: str = "") -> str:
    """Paragraphs as ``<p>``, tables as bordered ``<table>`` like Word-pasted report tables."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, str):
            out.append(f'<p style="text-indent: 2em;">{indent}{t(block)}</p>')
            continue
        rows = []
        for row in block:
            cells = "".join(_cell(cell) for cell in row)
            rows.append(f'<tr style="height:38px">{cells}</tr>')
        out.append('<table style="border-collapse:collapse;border:none" cellspacing="0" align="center" border="1">'
                   f"<tbody>\n{chr(10).join(rows)}\n</tbody></table>")
    return "\n".join(out)


def _cell(cell: Cell) -> str:
    span = (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "") + (
        f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "")
    return f'<td{span} valign="center"><p style="text-indent: 0em;">{t(cell.text)}</p></td>'


def article_html(doc: DemoDocument, indent: str = "") -> str:
    """Body container content: leaked chrome lines (if any) around the article paragraphs."""
    parts = [f"<p>{t(line)}</p>" for line in doc.leaked_head]
    if doc.fault != FAULT_CHROME_ONLY:
        parts.append(blocks_html(doc.blocks, indent))
    parts += [f"<p>{t(line)}</p>" for line in doc.leaked_tail]
    return "\n".join(parts)


# --------------------------------------------------------------------------- responses

def html_response(portal: DemoPortal, html: str, modified: datetime.date | None = None,
                  status: int = 200) -> Response:
    charset = "GBK" if portal.encoding == "gbk" else "utf-8"
    body = html.encode(portal.encoding, errors="xmlcharrefreplace")
    return Response(status, f"text/html; charset={charset}", body, modified)


def detail_response(portal: DemoPortal, doc: DemoDocument, render: Callable[[], str]) -> Response:
    """Render a detail page, applying the document's injected fault (see content.FAULT_*)."""
    if doc.fault == FAULT_EMPTY:
        return Response(200, "text/html; charset=utf-8", b"", doc.published)
    if doc.fault == FAULT_GONE:  # deleted: what TRS sites leave behind (docs/reference/cms-patterns.md §10)
        html = (f'<html><head><meta http-equiv="refresh" content="0;url={portal.column_paths[0]}"></head>'
                "<body></body></html>")
        return Response(200, "text/html; charset=utf-8", html.encode())
    html = render()
    if doc.fault == FAULT_MALFORMED:
        # what a broken template plus a sloppy editor produce: unclosed <p>/<span>, stray </div>s, no </html>
        html = html.replace("</p>", "").replace("</span>", "").replace("</li>", "")
        html = html.replace('<div class="main w1200">', '</div></div><div class="main w1200"><div>', 1)
        html = html.replace("</body>\n</html>\n", "")
    return html_response(portal, html, doc.published)


def not_found() -> Response:
    return error_page(404, "您访问的页面不存在或已被删除。")


def homepage(portal: DemoPortal) -> Response:
    """Portal homepage: chrome plus a link to the report column (how discovery finds it)."""
    latest = newest_first(portal.documents)[:5]
    items = "\n".join(f'<li><a href="{d.paths[0]}" title="{a(d.title)}">{t(clip(d.title, 26))}</a>'
                      f"<span>{d.published:%Y-%m-%d}</span></li>" for d in latest)
    main = f"""<div class="zwgk_box"><h2>政务公开</h2><ul class="lm">
  <li><a href="/zwgk/zfxxgkzn/">政府信息公开指南</a></li><li><a href="/zwgk/zfxxgkzd/">政府信息公开制度</a></li>
  <li><a href="{portal.column_paths[0]}">{COLUMN_NAME}</a></li><li><a href="/zwgk/zfwj/">政府文件</a></li>
</ul><ul class="news">{items}</ul></div>"""
    modified = latest[0].published if latest else None
    return html_response(portal, page(portal, portal.display_name, main), modified)


def robots() -> Response:
    return Response(200, "text/plain; charset=utf-8", b"User-agent: *\nDisallow: /admin/\n")


def last_modified_header(day: datetime.date) -> str:
    return format_datetime(datetime.datetime(day.year, day.month, day.day, 9, 30, tzinfo=datetime.UTC),
                           usegmt=True)


# A 瑞数 (Ruishu) first answer as described in docs/reference/cms-patterns.md §10: HTTP 412, a tiny page whose inline
# $_ts script computes a cookie and reloads.  The script here only imitates its shape.
_CHALLENGE_412 = """<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Type"
content="text/html; charset=utf-8"><script type="text/javascript">$_ts=window['$_ts'];if(!$_ts)$_ts={};
$_ts.nsd=58712;$_ts.cd="qEcqrrAlqGxErqqqqGW9rGVlEsVDqq";</script>
<script type="text/javascript" r='m'>/* cookie computed here, then */ location.reload();</script>
</head><body></body></html>"""


def challenge_412() -> Response:
    return Response(412, "text/html; charset=utf-8", _CHALLENGE_412.encode())
