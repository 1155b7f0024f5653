"""The real saved pages (tests/extraction_corpus/realpages, PROVENANCE.md) served at their real hosts and
paths on a loopback proxy, crawled by the real commands: discovery, paging and report-or-not on each.

Pingtan is an https site; it is served here as http (a forward proxy cannot answer https without
TLS interception), everything else keeps its real URL.  Pages the fixtures do not hold answer 404.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from scrapy.http import TextResponse

from crawler.lists import protocol_for
from pipelines.text.classify import Kind, classify_title
from storage import Archive, PortalSpec
from tests.support import CORPUS
from tests.support.commands import run_cmd
from tests.support.crawls import NO_DELAY
from tests.support.sites import Answer, StaticSites

REAL = CORPUS / "realpages"
HANDAN, PINGTAN, DINGXI = "hdzfxxgk.hd.gov.cn", "www.pingtan.gov.cn", "zwgk.dingxi.gov.cn"
PINGTAN_COLUMN = f"http://{PINGTAN}/zwgk/zfxxgk/zfxxgknb/"
HANDAN_LIST = f"http://{HANDAN}/zfwj/jinqixxgk/"
DINGXI_LIST = f"http://{DINGXI}/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=110&path=/&columnid=12377"
LETTER = "201412/t20141210_80787.htm"


def page(name: str, content_type: str = "text/html; charset=utf-8") -> Answer:
    return Answer(body=(REAL / name).read_bytes(), content_type=content_type)


def _handan(path: str) -> Answer:
    """The 指南 page, the list page (also as every index_N page of its countPage pager), the detail page."""
    if path.startswith("/zfxxgkzn/"):
        return page("hebei_handan_xxgk_trs_gkzn_nav_nianbao.jsp.html")
    if path.startswith(("/zfwj/jinqixxgk/", "/zfxxgknb/")):
        return page("hebei_handan_xxgk_trs_list_suoyinhao_table.jsp.html")
    if path == "/gszbm/auto23716/202008/t20200802_1352104.html":
        return page("hebei_handan_xxgk_trs_detail_suoyinhao.jsp.html")
    return Answer(404)


def _pingtan_search(query: str) -> Answer:
    """``POST /fjdzapp/search`` page 2. No real answer was saved: this one has the shape public crawlers of
    Fujian sites read (``data`` rows of doctitle/docpuburl/docreltime, ``pageCount``; cms-patterns.md §2.1),
    and lists the real non-report 函 of the column."""
    assert "classsql=chnlid%3D1813" in query and "page=2" in query and "sortfield=-docorderpri" in query
    row = {"doctitle": "关于2014年政府信息公开工作要点落实情况的函", "docpuburl": PINGTAN_COLUMN + LETTER,
           "docreltime": "2014-12-10 10:00:00"}
    body = {"data": [row], "pageCount": 2}
    return Answer(body=json.dumps(body, ensure_ascii=False).encode(), content_type="application/json")


def real_sites() -> StaticSites:
    return StaticSites({
        (HANDAN, "*"): _handan,
        (PINGTAN, "/zwgk/zfxxgk/zfxxgknb/"): page("fj_pingtan_zfxxgknb_list_index_trs_dongjing.html"),
        (PINGTAN, "/zwgk/zfxxgk/zfxxgknb/202403/t20240308_87885.htm"):
            page("fj_pingtan_zfxxgknb_2023_annual_report_detail_trs.html"),
        (PINGTAN, "/zwgk/zfxxgk/zfxxgknb/" + LETTER):
            page("fj_pingtan_zfxxgknb_column_NONREPORT_2014_letter_detail_trs_msword.html"),
        (PINGTAN, "/fjdzapp/search"): _pingtan_search,
        (DINGXI, "/module/web/jpage/dataproxy.jsp"): page("gs_dingxi_xxgk_hanweb_jpage_datastore_response.xml",
                                                          "text/xml; charset=utf-8"),
    })


@pytest.fixture(scope="module")
def sites() -> StaticSites:
    with real_sites() as running:
        yield running


def proxied(sites: StaticSites, db: str) -> dict[str, str]:
    return {"http_proxy": sites.url, "HTTP_PROXY": sites.url, "no_proxy": "", "NO_PROXY": "", "NIANBAO_DB": db}


@pytest.mark.e2e
def test_discover_handan_column_from_its_guide_page(sites: StaticSites, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'handan.db'}"
    guide = f"http://{HANDAN}/zfxxgkzn/"
    result = run_cmd(["nianbao", "portals", "discover", guide, "--name", "handan", "--delay", "0", "--db", db],
                     env=proxied(sites, db))
    assert Archive(db).get_portal("handan").homepage == guide
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"http://{HANDAN}/zfxxgknb/  政府信息公开年报  (text+slug, depth 0)" in result.stdout
    assert Archive(db).portal_health("handan").discovered_urls == (f"http://{HANDAN}/zfxxgknb/",)


@pytest.mark.e2e
def test_crawl_real_columns_paging_and_report_or_not(sites: StaticSites, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'real.db'}"
    archive = Archive(db)
    for name, column in (("pingtan", PINGTAN_COLUMN), ("handan", HANDAN_LIST), ("dingxi", DINGXI_LIST)):
        archive.add_portal(PortalSpec(name=name, column_urls=(column,)))
    result = run_cmd(["nianbao", "crawl", *NO_DELAY, "-s", "NIANBAO_MAX_LIST_PAGES=60"], env=proxied(sites, db))
    assert result.returncode == 0, result.stdout + result.stderr
    stats = archive.list_runs()[0].stats

    def c(portal: str, name: str) -> int:
        return stats.get(f"nianbao/portal/{portal}/{name}", 0)

    # Pingtan: static first page (10 reports) + the search API page (the 函, skipped as not a report)
    assert stats["nianbao/list_protocol/trs_api"] == 2 and c("pingtan", "list_pages") == 2
    assert (c("pingtan", "links/report"), c("pingtan", "links/other")) == (10, 1)
    assert c("pingtan", "errors/report") == 9  # the nine reports the fixtures do not hold
    (report,) = archive.iter_reports()
    assert report.title == "平潭综合实验区2023年度政府信息公开工作年度报告"
    assert (report.report_year, report.published) == (2023, dt.date(2024, 3, 8))
    assert not any(LETTER in url for _, url in sites.requests)  # a non-report is never fetched
    # Handan: countPage = 56 names index_1 … index_55; the fixture has one page, served for all of them, so
    # index_1 repeats the column page and paging stops there; one 教育局 通知 (not a report)
    assert c("handan", "list_pages") == 2 and stats["nianbao/list_protocol/xxgk"] == 2
    assert c("handan", "list_pages_stopped_repeat") == 1
    assert c("handan", "links/other") == 1 and c("handan", "links/report") == 0
    # Dingxi: 45 <datastore> records, none a report; page=2 (the same answer here) adds nothing new: stop
    assert stats["nianbao/list_protocol/hanweb"] == 2 and c("dingxi", "list_pages_stopped_repeat") == 1
    assert c("dingxi", "links/other") + c("dingxi", "links/related") == 45
    health = archive.portal_healths()
    assert {n: h.status for n, h in health.items()} == {"pingtan": "ok", "handan": "ok", "dingxi": "ok"}


TITLE = re.compile(r'<meta name="ArticleTitle" content="([^"]+)"')


@pytest.mark.parametrize(("name", "protocol", "kind"), [
    ("fj_pingtan_zfxxgknb_2023_annual_report_detail_trs.html", None, Kind.REPORT),
    ("fj_pingtan_zfxxgknb_column_NONREPORT_2014_letter_detail_trs_msword.html", None, Kind.OTHER),
    ("fj_pingtan_zfxxgknb_list_index_trs_dongjing.html", "trs_api", None),
    ("hebei_handan_xxgk_trs_list_suoyinhao_table.jsp.html", "xxgk", None),
    ("hebei_handan_xxgk_trs_detail_suoyinhao.jsp.html", None, Kind.OTHER),
    ("gs_dingxi_xxgk_hanweb_jpage_datastore_response.xml", "hanweb", None),
    ("jx_wanzai_county_tjgb2015_detail_ucap.html", "ucap", Kind.OTHER),  # 统计公报: a report, not ours
    ("jx_wanzai_county_tjgb2022_xxgk_detail_ucap.html", "ucap", Kind.OTHER),
    ("jx_yichun_city_tjgb2022_detail_ucap.html", "ucap", Kind.OTHER),
    ("jx_yichun_city_province_tjgb2022_detail_ucap.html", "ucap", Kind.OTHER),
    ("shanxi_gov_trs_detail_createPageHTML.html", "trs", Kind.OTHER),
    ("zj_fgw_hanweb_jcms_detail_deqing.html", None, Kind.OTHER),
])
def test_each_real_page_protocol_and_report_or_not(name: str, protocol: str | None, kind: Kind | None) -> None:
    raw = (REAL / name).read_bytes()
    response = TextResponse("http://example.gov.cn/col/", body=raw, encoding="utf-8")
    if protocol:
        assert protocol_for(response).name == protocol
    if kind:
        m = TITLE.search(raw.decode("utf-8"))
        assert m and classify_title(m.group(1)) is kind
    page = protocol_for(response).parse(response)
    assert all(classify_title(link.title) is not Kind.REPORT for link in page.links) or "list_index" in name
