"""List protocols on real saved portal pages (tests/extraction_corpus/realpages, see PROVENANCE.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from scrapy.http import TextResponse

from crawler.lists import PROTOCOLS, protocol_for
from crawler.lists.base import script_pages
from pipelines.text.classify import Kind, classify_title
from tests.support import CORPUS

REAL = CORPUS / "realpages"


def response(name: str, url: str) -> TextResponse:
    return TextResponse(url, body=(REAL / name).read_bytes(), encoding="utf-8")


def test_trs_static_list_pingtan() -> None:
    r = response("fj_pingtan_zfxxgknb_list_index_trs_dongjing.html", "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/")
    proto = protocol_for(r)
    page = proto.parse(r)
    assert proto.name == "trs_api"  # 动静结合: page 1 static, then POST (docs/reference/cms-patterns.md §2.1)
    assert len(page.links) == 10
    # the fields public crawlers of Fujian sites send (cms-patterns.md §2.1); page 1 is this static page
    assert page.next_posts == (("https://www.pingtan.gov.cn/fjdzapp/search", (
        ("channelid", "200210"), ("sortfield", "-docorderpri,-docreltime"), ("classsql", "chnlid=1813"),
        ("classcol", "publishyear"), ("classnum", "100"), ("classsort", "0"), ("cache", "true"), ("page", "2"),
        ("prepage", "10"))),)
    first = page.links[0]
    assert first.url == "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202603/t20260313_105587.htm"
    assert first.title == "平潭综合实验区2025年度政府信息公开工作年度报告"
    assert first.date == dt.date(2026, 3, 10)
    assert all(classify_title(link.title) is Kind.REPORT for link in page.links)


def test_xxgk_table_list_handan_with_countpage_script() -> None:
    r = response("hebei_handan_xxgk_trs_list_suoyinhao_table.jsp.html", "http://hdzfxxgk.hd.gov.cn/zfwj/jinqixxgk/")
    proto = protocol_for(r)
    page = proto.parse(r)
    assert proto.name == "xxgk"
    (link,) = page.links
    assert link.extra == {"index_no": "000014348/2020-35428", "organ": "邯郸市教育局"}
    assert link.date == dt.date(2020, 8, 5)
    # countPage = 56 in a script: pages index_1 … index_55 besides the column page itself
    assert len(page.next_urls) == 55
    assert page.next_urls[0] == "http://hdzfxxgk.hd.gov.cn/zfwj/jinqixxgk/index_1.html"
    assert page.next_urls[-1] == "http://hdzfxxgk.hd.gov.cn/zfwj/jinqixxgk/index_55.html"


def test_hanweb_datastore_records_and_nextgroup() -> None:
    r = response("gs_dingxi_xxgk_hanweb_jpage_datastore_response.xml",
                 "http://zwgk.dingxi.gov.cn/module/web/jpage/dataproxy.jsp?page=1&columnid=12377")
    proto = protocol_for(r)
    page = proto.parse(r)
    assert proto.name == "hanweb"
    assert len(page.links) == 45
    assert page.links[0].url == "http://zwgk.dingxi.gov.cn/art/2022/1/20/art_12377_1486865.html"
    assert page.links[0].date == dt.date(2022, 1, 20)
    # truncated link text: the full title comes from title=
    assert all("..." not in link.title for link in page.links)
    assert "http://zwgk.dingxi.gov.cn/art/2021/11/4/art_12480_1461862.html" in {link.url for link in page.links}
    # <nextgroup> is a fixed template (page=1 on every answer): the next group is this request's page + 1
    (nxt,) = page.next_urls
    assert nxt == "http://zwgk.dingxi.gov.cn/module/web/jpage/dataproxy.jsp?page=2&columnid=12377"


def test_create_page_html_script_pager() -> None:
    html = '<script>createPageHTML(4, 0, "index", "shtml");</script>'
    assert script_pages(html, "http://x.gov.cn/col/") == [f"http://x.gov.cn/col/index_{i}.shtml" for i in (1, 2, 3)]
    assert script_pages("<p>no pager</p>", "http://x.gov.cn/") == []


@pytest.mark.parametrize("cms", [p.name for p in PROTOCOLS])
def test_cms_hint_wins_only_when_it_detects(cms: str) -> None:
    r = response("gs_dingxi_xxgk_hanweb_jpage_datastore_response.xml", "http://zwgk.dingxi.gov.cn/x")
    chosen = protocol_for(r, cms).name
    assert chosen == (cms if cms in ("hanweb", "generic") else "hanweb")
