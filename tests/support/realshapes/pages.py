"""Page templates of the 青禾县 test portal, each copied from the shape of a real saved page (not from our parsers).

* :func:`trs_detail` — the Fujian TRS detail page (``fj_pingtan_zfxxgknb_2023_annual_report_detail_trs.html``):
  national meta tags, ``<div class=TRS_Editor>`` of ``<p style="text-indent: 2em;">`` paragraphs, the
  footer's ``网站标识码``/``ICP备`` spans.
* :func:`xxgk_detail` — the Handan xxgk detail (``hebei_handan_xxgk_trs_detail_suoyinhao.jsp.html``): the
  ``top-l``/``top-r`` 索引号 block of ``<p><strong>label</strong>：value</p>`` (成文日期 commented out), then
  the body.
* :func:`hanweb_detail` — the Zhejiang jcms detail (``zj_fgw_hanweb_jcms_detail_deqing.html``): hidden
  ``hiddenLocation`` breadcrumb, ``#zoom`` wrapped in the ``<!--<$[信息内容]>begin-->`` markers.
* :func:`trs_dongjing_list` — the Pingtan 年报 list (``fj_pingtan_zfxxgknb_list_index_trs_dongjing.html``):
  ``<dl><dd><a title=…></dd><dd>date</dd></dl>`` rows and the ``list2.trsapi`` script.
* :func:`xxgk_table_list` — the Handan table list (名称/索引号/发布机构/发布日期 + ``var countPage``), here with
  the link on a separate 查看 cell as many xxgk platforms print it (cms-patterns.md §5).
* :func:`hanweb_column` — a jcms column: ``<div id=unitid><script type="text/xml"><datastore>`` with the real
  Dingxi records, the fixed ``page=1`` nextgroup template, and the jpage parameter object (cms-patterns.md §3).
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

SITE = "青禾县人民政府"
SITE_CODE = "9999990099"
FOOTER = f"""<div class="footer"><p class="copyright">
  <span>主办单位：{SITE}办公室</span><span>版权所有：{SITE}</span>
  <span>网站标识码：{SITE_CODE}</span>
  <span><a href="https://beian.miit.gov.cn" target="_blank" title="闽ICP备09099999号">闽ICP备09099999号</a></span>
  <span>闽公网安备 35012899099号</span></p>
  <p>技术支持：青禾县大数据服务中心</p></div>"""


def paragraphs(texts: list[str]) -> str:
    return "".join(f'<p style="text-indent: 2em;">{escape(t)}</p>' for t in texts)


def _meta(title: str, published: str, source: str, column: str) -> str:
    return (f'<meta name="SiteName" content="{SITE}"/>\n<meta name="SiteIDCode" content="{SITE_CODE}"/>\n'
            f'<meta name="ColumnName" content="{column}"/>\n<meta name="ArticleTitle" content="{escape(title)}"/>\n'
            f'<meta name="PubDate" content="{published}"/>\n<meta name="ContentSource" content="{source}"/>')


def layout(head: str, title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"/>\n{head}\n<title>{escape(title)}_{SITE}</title>'
            f'</head>\n<body>\n<div class="header"><a href="/">首页</a> <a href="/zwgk/">政务公开</a></div>\n{body}\n'
            f"{FOOTER}\n</body></html>")


def trs_detail(title: str, published: str, source: str, texts: list[str], column: str = "政府信息公开年报") -> str:
    body = f"""<div class="article"><div class="article_title"><h1>{escape(title)}</h1></div>
<div class="article_info">发布时间：{published}  来源：{source}  浏览次数：<span id="clicks">27</span></div>
<div class="article_content"><div class="article_content_txt">
<div class=TRS_Editor>{paragraphs(texts)}</div></div></div>
</div>"""
    return layout(_meta(title, published, source, column), title, body)


def xxgk_detail(title: str, published: str, organ: str, index_no: str, texts: list[str]) -> str:
    day = published[:10].replace("-", "年", 1).replace("-", "月") + "日"
    body = f"""<div class="container content" style=" margin-top:0px;">
    <div class="top cf">
        <div class="top-l fl">
            <p><strong>索引号</strong>：{index_no}</p>
            <p><strong>发布机构</strong>：{organ}</p>
            <p><strong>名称</strong>：{escape(title)}</p>
            <p><strong>文号</strong>：无</p>
        </div>
        <div class="top-r fr">
            <p><strong>主题分类</strong>：综合政务</p>
            <!--<p><strong>成文日期</strong>：{day}</p>-->
            <p><strong>发布日期</strong>：{day}</p>
            <p style="height: 40px;"></p>
        </div>
        <div style="clear: both;"></div>
    </div>
    <div class="xl_title"><h1>{escape(title)}</h1></div>
    <div class="xl_con"><div class="TRS_Editor">{paragraphs(texts)}</div></div>
</div>"""
    return layout(_meta(title, published, organ, "乡镇年报"), title, body)


def hanweb_detail(title: str, published: str, source: str, texts: list[str], column_url: str) -> str:
    body = f"""<div id="hiddenLocation" style="display:none"><span id="ss_webid">110</span>
<span id="col1_name">政务公开</span><span id="col3_name">部门年报</span><span id="col3_url">{column_url}</span></div>
<table width="100%" class="article"><tr><td class="title">{escape(title)}</td></tr>
<tr><td class="info">发布日期：{published}  信息来源：{source}</td></tr>
<tr><td><div id="zoom"><!--<$[信息内容]>begin--><!--ZJEG_RSS.content.begin--><META name=ContentStart>
{paragraphs(texts)}
<META name=ContentEnd><!--ZJEG_RSS.content.end--><!--<$[信息内容]>end--></div></td></tr></table>"""
    return layout(_meta(title, published, source, "部门年报"), title, body)


def trs_dongjing_list(rows: list[tuple[str, str, str]], record_count: int, prepage: int, channel: int,
                      chnl: int, links: str = "") -> str:
    """The 年报 column: static rows ``(href, title, date)``, then the list2.trsapi configuration."""
    items = "\n".join(f"""<dl><dd class="trt-col-sm-24 text_align_left">
<a href="{href}" target="_blank" title="{escape(title)}">{escape(title)}</a></dd>
<dd class="trt-col-4 text_align_left">{day}</dd></dl>""" for href, title, day in rows)
    body = f"""<div class="content_bg_02"><div class="column_title">政府信息公开年报</div>{links}
<div class="rules_tabs_01 rules_tabs_no_bg" ms-visible="showStatic">
{items}
</div></div>
<script>var SiteInfo = {{ searchId: {channel}, //默认的文档检索频道的ID
}};</script>
<script>
    require(["list2.trsapi", "tools"], function(listModel, tools) {{
        listModel({{
            quickMode: "动静结合",
            maxStaticIndex: 1,
            listArgs: {{
                channelid: SiteInfo.searchId,
                classsql: "" || "chnlid={chnl}",
                sortfield: "-docorderpri,-docreltime"
            }},
            pagebar: {{
                prepage: {prepage},
                recordCount: '{record_count}',
                pgTemp: "pgBar_xxgk.html",
                pgCountMode: "recordCount",
                displayNum: 2
            }}
        }});
    }});
</script>"""
    return layout('<meta name="ColumnName" content="政府信息公开年报"/>', "政府信息公开年报", body)


def xxgk_table_list(rows: list[tuple[str, str, str, str, str]], base: str, number: int, pages: int) -> str:
    """Rows ``(name as printed, index_no, organ, date, href)``; the pager as Handan writes it."""
    trs = "\n".join(f"""<tr><td height="35">{escape(name)}</td><td height="35">{index_no}</td>
<td height="35">{organ}</td><td height="35">{day}</td>
<td height="35"><a href="{href}" target="_blank">查看</a></td></tr>"""
                    for name, index_no, organ, day, href in rows)
    nxt = f'<a href="{base}index_{number + 1}.html" target="_self">下一页</a>' if number + 1 < pages else ""
    body = f"""<div class="list"><table><tbody><tr>
<th width="40%" height="35">名称</th><th width="21%" height="35">索引号</th><th width="19%" height="35">发布机构</th>
<th width="12%" height="35">发布日期</th><th width="8%" height="35">操作</th></tr>
{trs}
</tbody></table>
<div class="page"><script type="text/javascript">
var countPage={pages}
var currentPage={number}
</script>{nxt}</div></div>"""
    return layout('<meta name="ColumnName" content="乡镇年报"/>', "乡镇年报", body)


def hanweb_records(rows: list[tuple[str, str, str]]) -> str:
    """``<record>`` CDATA items in the real Dingxi shape: text cut to 34 characters + ``...``, full title=."""
    def shown(title: str) -> str:
        return title if len(title) <= 36 else title[:34] + "..."
    return "\n".join(f"""<record><![CDATA[
<li class="clearfix">    <a target="_blank" href="{href}" title="{escape(title)}">{escape(shown(title))}</a>    \
<b>{day}</b></li>]]></record>"""
                     for href, title, day in rows)


def hanweb_nextgroup(webid: int, column: int, unit: int, webname: str) -> str:
    """The fixed template: page=1, ``appid`` twice and ``webname`` double URL-encoded, as in the Dingxi answer."""
    name = quote(quote(webname, safe=""), safe="")
    return (f'<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&appid=1&webid={webid}'
            f'&path=/&columnid={column}&unitid={unit}&webname={name}&permissiontype=0"></a>]]></nextgroup>')


def hanweb_column(records: str, nextgroup: str, webid: int, column: int, unit: int, webname: str, total: int,
                  per_page: int, group: int) -> str:
    body = f"""<div class="lm_list"><div class="lm_title">部门年报</div>
<div id="{unit}"><script type="text/xml"><datastore>
{nextgroup}
<recordset>
{records}
</recordset>
</datastore></script></div>
<script language="javascript" src="/module/jslib/jquery/jpage/jpage.js"></script>
<script>
var param_{unit} = {{col:1,appid:1,webid:{webid},path:'/',columnid:{column},sourceContentType:1,unitid:'{unit}',
  webname:'{webname}',permissiontype:0}};
$(document).ready(function(){{ $('#{unit}').jpage({{ dataStore: dataStore, perPage: {per_page},
  totalRecord: {total}, groupSize: {group}, barPosition: 'bottom', proxyUrl: '/module/web/jpage/dataproxy.jsp',
  ajaxParam: param_{unit} }}); }});
</script></div>"""
    return layout('<meta name="ColumnName" content="部门年报"/>', "部门年报", body)


def hanweb_answer(records: str, nextgroup: str, total: int) -> str:
    """A POST ``dataproxy.jsp`` answer: ``<totalrecord>`` as public crawlers read it, then the recordset."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n{nextgroup}\n<totalrecord>{total}</totalrecord>\n'
            f"<recordset>\n{records}\n</recordset>\n</datastore>")


def calendar(month: str) -> str:
    """A 年报发布日历: a month grid whose day cells link ``?date=…``, paged month by month forever."""
    year, mon = (int(x) for x in month.split("-"))
    prev_m = f"{year - (mon == 1)}-{(mon - 2) % 12 + 1:02d}"
    next_m = f"{year + (mon == 12)}-{mon % 12 + 1:02d}"
    days = "".join(f'<td><a href="/zwgk/nbrl/?date={month}-{d:02d}">{d}</a></td>' + ("</tr><tr>" if d % 7 == 0 else "")
                   for d in range(1, 29))
    body = f"""<div class="calendar"><h2>年报发布日历 {year}年{mon}月</h2>
<table class="rl"><tr><th>日</th><th>一</th><th>二</th><th>三</th><th>四</th><th>五</th><th>六</th></tr><tr>{days}</tr>
</table><div class="page"><a href="/zwgk/nbrl/?month={prev_m}">上一页</a>
<a href="/zwgk/nbrl/?month={next_m}">下一页</a>
</div></div>"""
    return layout('<meta name="ColumnName" content="年报发布日历"/>', "年报发布日历", body)


def challenge_412() -> bytes:
    """A 瑞数-style answer (cms-patterns.md §10: HTTP 412, small page, inline ``$_ts`` cookie script); no real
    challenge page was saved, so this follows the detection rule's description."""
    return (b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            b'<script type="text/javascript">$_ts=window[\'$_ts\'];if(!$_ts)$_ts={};$_ts.nsd=81224;'
            b"$_ts.cd=\"qEqmrrAlDGqqcaLlq\";</script><script type=\"text/javascript\" charset=\"utf-8\" "
            b'src="/4QbVtADbnLVIc/c.FxJzG50F.f7fa2b4.js"></script></head><body></body></html>')
