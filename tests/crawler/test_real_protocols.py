"""The list protocols real portals speak (cms-patterns.md §2.1, §3), on the real Dingxi answer and on pages in
the shapes public crawler code documents — not on answers shaped after our parser."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from scrapy import FormRequest, Request
from scrapy.http import TextResponse

from crawler.discovery import column_source
from crawler.lists import hanweb, protocol_for, trs_api
from tests.support import CORPUS
from tests.support.realshapes import pages

DINGXI = (CORPUS / "realpages" / "gs_dingxi_xxgk_hanweb_jpage_datastore_response.xml").read_text(encoding="utf-8")
PROXY = "http://zwgk.dingxi.gov.cn/module/web/jpage/dataproxy.jsp"
FORM = {"col": "1", "appid": "1", "webid": "110", "path": "/", "columnid": "12377", "sourceContentType": "1",
        "unitid": "38486", "webname": "定西市政府信息公开平台", "permissiontype": "0"}


def answer(url: str, body: str, form: dict[str, str] | None = None) -> TextResponse:
    request = FormRequest(url, formdata=form) if form is not None else Request(url)
    return TextResponse(url, body=body.encode("utf-8"), encoding="utf-8", request=request)


def records(n: int) -> str:
    return pages.hanweb_records([(f"/art/2023/1/{1 + i % 28}/art_12377_{1000 + i}.html", f"定西市通知第{i}号",
                                  "2023-01-01") for i in range(n)])


# --------------------------------------------------------------------------- Hanweb jpage

def test_hanweb_column_page_pages_by_post_with_the_jpage_parameter_object() -> None:
    """The column holds the first 45 records; the next 45 are a POST with the form of ``var param_<unit>``."""
    nextgroup = DINGXI.split("<recordset>")[0].split("<datastore>")[1]  # the real fixed template, page=1
    html = pages.hanweb_column(DINGXI.split("<recordset>")[1].split("</recordset>")[0], nextgroup, 110, 12377, 38486,
                               "定西市政府信息公开平台", 120, 15, 3)
    page = hanweb.parse(answer("http://zwgk.dingxi.gov.cn/col/col12377/index.html", html))
    assert len(page.links) == 45 and page.next_urls == ()
    ((url, form),) = page.next_posts
    assert url == f"{PROXY}?startrecord=46&endrecord=90&perpage=15"
    assert dict(form) == FORM


def test_hanweb_post_answers_page_on_until_totalrecord() -> None:
    url = f"{PROXY}?startrecord=46&endrecord=90&perpage=15"
    page = hanweb.parse(answer(url, pages.hanweb_answer(records(45), "", 120), FORM))
    ((nxt, form),) = page.next_posts
    assert (nxt, dict(form)) == (f"{PROXY}?startrecord=91&endrecord=135&perpage=15", FORM)
    last = hanweb.parse(answer(nxt, pages.hanweb_answer(records(30), "", 120), FORM))
    assert len(last.links) == 30 and last.next_posts == () and last.next_urls == ()  # 135 >= totalrecord 120


def test_hanweb_get_answers_count_pages_themselves_the_template_never_moves() -> None:
    """The real Dingxi answer's nextgroup says page=1; asked for page=1 it must lead to page=2, not to itself."""
    url = f"{PROXY}?page=1&appid=1&webid=110&path=/&columnid=12377&unitid=38486&webname=%25E5%25AE%259A"
    page = hanweb.parse(answer(url, DINGXI))
    assert len(page.links) == 45
    assert page.next_urls == (url.replace("page=1", "page=2"),)  # webname stays double-encoded
    empty = hanweb.parse(answer(url.replace("page=1", "page=9"), DINGXI.split("<recordset>")[0] + "<recordset>"
                                "</recordset></datastore>"))
    assert empty.links == () and empty.next_urls == ()
    capped = hanweb.parse(answer(url, DINGXI.replace("<recordset>", "<totalpage>1</totalpage><recordset>", 1)))
    assert capped.next_urls == ()


# --------------------------------------------------------------------------- TRS search API

def test_trs_api_data_rows_with_page_count() -> None:
    """``{"data": [{doctitle, docpuburl, docreltime}], "pageCount"}`` (Fujian 集约化, seen in public crawler code)."""
    sent = {"channelid": "229105", "sortfield": "-docorderpri,-docreltime", "classsql": "chnlid=3504",
            "classcol": "publishyear", "classnum": "100", "classsort": "0", "cache": "true", "page": "2",
            "prepage": "15"}
    rows = [{"doctitle": "福建省统计局2023年政府信息公开工作年度报告", "docreltime": "2024-01-19 10:22:11",
             "docpuburl": "https://tjj.fujian.gov.cn/zwgk/zfxxgkzl/zfxxgknb/202401/t20240119_6381234.htm"}]
    url = "https://www.fujian.gov.cn/fjdzapp/search"
    response = answer(url, json.dumps({"data": rows, "pageCount": 3}, ensure_ascii=False), sent)
    assert protocol_for(response).name == "trs_api"
    page = trs_api.parse(response)
    (link,) = page.links
    assert (link.url, link.date) == (rows[0]["docpuburl"], dt.date(2024, 1, 19))
    ((nxt, form),) = page.next_posts
    assert nxt == url and dict(form) == {**sent, "page": "3"}  # every field of the first request, page + 1
    last = trs_api.parse(answer(url, json.dumps({"data": rows, "pageCount": 3}), {**sent, "page": "3"}))
    assert last.next_posts == ()


def test_trs_api_docs_rows_with_chnldocurl_and_millisecond_times() -> None:
    """``{"docs": [{chnldocurl, …}]}`` (``templet=docs.jsp`` sites); no page count: page on until empty."""
    sent = {"channelid": "516770", "templet": "docs.jsp", "sortfield": "-docorder", "classsql": "chnlid=54310",
            "prepage": "50", "page": "2"}
    row = {"chnldocurl": "https://www.fujian.gov.cn/zwgk/zfxxgkzl/zfxxgknb/202402/t20240205_6391234.htm",
           "doctitle": "福建省人民政府办公厅2023年政府信息公开工作年度报告", "docreltime": 1707100800000}
    url = "https://www.fujian.gov.cn/fjdzapp/search"
    page = trs_api.parse(answer(url, json.dumps({"docs": [row]}), sent))
    (link,) = page.links
    assert link.url == row["chnldocurl"] and link.date == dt.date(2024, 2, 5)  # 2024-02-05 10:40 in China
    assert dict(page.next_posts[0][1])["page"] == "3"
    assert trs_api.parse(answer(url, json.dumps({"docs": []}), {**sent, "page": "3"})).next_posts == ()


def test_trs_api_column_page_sends_the_real_request_fields() -> None:
    html = pages.trs_dongjing_list([("./202401/t20240119_1.htm", "某县2023年政府信息公开工作年度报告", "2024-01-19")],
                                   25, 10, 200210, 1813)
    page = protocol_for(answer("https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/", html)).parse(
        answer("https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/", html))
    ((url, form),) = page.next_posts
    assert url == "https://www.pingtan.gov.cn/fjdzapp/search"
    assert [k for k, _ in form] == ["channelid", "sortfield", "classsql", "classcol", "classnum", "classsort", "cache",
                                    "page", "prepage"]
    assert (dict(form)["page"], dict(form)["classsql"], dict(form)["channelid"]) == ("2", "chnlid=1813", "200210")


# --------------------------------------------------------------------------- list titles

XXGK_HEAD = ("<tr><th>名称</th><th>索引号</th><th>发布机构</th><th>发布日期</th><th>操作</th></tr>")


@pytest.mark.parametrize(("rows", "titles"), [
    # an xxgk table whose links say 查看 (cms-patterns.md §5 columns): the 名称 cell is the title
    (f"<table>{XXGK_HEAD}<tr><td>某县城关镇2023年政府信息公开工作年度报告</td><td>11350999MB0000001X/2024-00011</td>"
     "<td>某县城关镇人民政府</td><td>2024-01-22</td><td><a href='/a.htm'>查看</a></td></tr>"
     "<tr><td>某县东岭乡2023年度政府信息公开工作年...</td><td>11350999MB0000002X/2024-00013</td>"
     "<td>某县东岭乡人民政府</td><td>2024-01-23</td><td><a href='/b.htm'>查看</a></td></tr></table>",
     ["某县城关镇2023年政府信息公开工作年度报告", "某县东岭乡2023年度政府信息公开工作年..."]),
    # a plain list whose link says 查看 beside the title
    ("<ul><li><span>某县2023年政府信息公开工作年度报告（含统计表）</span><span>2024-01-20</span>"
     "<a href='/c.htm'>查看</a></li><li><span>某县2023年政务公开工作要点</span><span>2024-03-01</span>"
     "<a href='/d.htm'>查看</a></li></ul>",
     ["某县2023年政府信息公开工作年度报告（含统计表）", "某县2023年政务公开工作要点"]),
])
def test_list_titles_come_from_the_row_when_the_link_says_nothing(rows: str, titles: list[str]) -> None:
    response = answer("http://x.gov.cn/zfxxgknb/", f"<html><body>{rows}</body></html>")
    assert [link.title for link in protocol_for(response).parse(response).links] == titles


@pytest.mark.parametrize(("text", "url"), [
    ("年报发布日历", "http://x.gov.cn/zwgk/nbrl/"),
    ("年报发布日历", "http://x.gov.cn/zwgk/nbrl/?month=2024-03"),
    ("政府信息公开年报", "http://x.gov.cn/zwgk/zfxxgknb/?date=2024-03-08"),
    ("年报归档", "http://x.gov.cn/zfxxgknb/gd/"),
])
def test_calendar_and_archive_widgets_are_no_columns(text: str, url: str) -> None:
    assert column_source(text, url) is None
