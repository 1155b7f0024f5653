"""The bundled demo portals, fetched over real HTTP through the demo proxy (no internet needed)."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from urllib.parse import urljoin

import pytest

import nianbao.demo as demo
from nianbao.demo import DemoPortal, DemoServer, broken_portals, demo_portals

pytestmark = pytest.mark.e2e  # slow end-to-end crawls: `pytest -m "not e2e"` skips them

CHROME_STRINGS = ("当前位置", "点击数", "打印本页", "关闭窗口", "上一篇", "下一篇", "主办单位", "网站标识码",
                  "ICP备", "技术支持", "发布日期", "浏览", "今天是", "登录", "前言")
SIX_HEADINGS = ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项")


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer(demo_portals() + broken_portals()) as running:
        yield running


@pytest.fixture(scope="module")
def opener(server: DemoServer) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({"http": server.proxy_url}))


def fetch(opener: urllib.request.OpenerDirector, url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def text_of(portal: DemoPortal, body: bytes) -> str:
    return html.unescape(body.decode("gb18030" if portal.encoding == "gbk" else "utf-8"))


def portal_named(name: str) -> DemoPortal:
    return next(p for p in demo_portals() + broken_portals() if p.name == name)


# --------------------------------------------------------------------------- model

def test_public_api_is_exported() -> None:
    for name in ("DEMO_DOMAIN", "DemoDocument", "DemoPortal", "DemoServer", "demo_portals", "broken_portals",
                 "main"):
        assert name in demo.__all__ and hasattr(demo, name)
    assert demo.DEMO_DOMAIN == "nianbao.test"


def test_portals_have_enough_reports_and_non_reports() -> None:
    portals = {p.name: p for p in demo_portals()}
    assert {p.cms for p in portals.values()} == {"trs", "hanweb", "xxgk"}
    for portal in portals.values():
        kinds = [d.kind for d in portal.documents]
        assert kinds.count("report") >= 8 and len(kinds) - kinds.count("report") >= 4
        assert len({d.doc_id for d in portal.documents}) == len(portal.documents)
        assert len({d.report_year for d in portal.documents if d.kind == "report"}) >= 6
        assert portal.host.endswith("." + demo.DEMO_DOMAIN)
    assert portals["daan"].site_code == "2208820001" and portals["changbai"].encoding == "gbk"


def test_copies_clone_portals_deterministically() -> None:
    portals = demo_portals(3)
    assert len({p.host for p in portals}) == len({p.name for p in portals}) == 9
    assert "daan-2" in {p.name for p in portals} and "www.daan-3.nianbao.test" in {p.host for p in portals}
    assert portals == demo_portals(3)


def test_two_url_and_repost_cases() -> None:
    daan, changbai = portal_named("daan"), portal_named("changbai")
    seed000 = next(d for d in daan.documents if d.seed and d.seed.startswith("000_"))
    assert len(seed000.paths) == 2 and seed000.paths[1].startswith("/zwgk/zfxxgknb/jdnb/")
    shared = {d.content_key for d in daan.documents} & {d.content_key for d in changbai.documents}
    assert len(shared) == 1
    keys = [d.content_key for p in demo_portals() for d in p.documents]
    assert len(set(keys)) == len(keys) - 1


def test_seed_bodies_drop_title_and_chrome() -> None:
    seeds = {d.seed[:3]: d for p in demo_portals() for d in p.documents if d.seed}
    assert set(seeds) == {"000", "001", "002", "003", "004"}
    assert seeds["000"].body.startswith("2014年,慧阳街道") and seeds["000"].body.endswith("20153月18日")
    assert seeds["001"].body.startswith("本年度报告是根据") and seeds["001"].body.endswith("无其他应报告的情况")
    assert seeds["001"].leaked_head[0] == "新抚首页" and seeds["001"].leaked_tail[-1].startswith("网站标识码")
    assert seeds["002"].body.startswith("一、完善工作制度") and seeds["002"].leaked_head[0].startswith("前言")
    assert seeds["003"].report_year == 2013 and seeds["004"].body.startswith("宝泉山镇2011年政府信息公开工作报告")
    for doc in seeds.values():
        assert doc.title not in doc.body and "" not in doc.body.split("\n")


def test_expected_bodies_contain_no_chrome() -> None:
    for portal in demo_portals() + broken_portals():
        for doc in portal.documents:
            assert doc.body.strip(), doc.title
            for line in doc.body.split("\n"):
                assert line == line.strip() and line
            found = [s for s in CHROME_STRINGS if s in doc.body]
            assert not found, (doc.title, found)


def test_2021_reports_have_six_headings_and_consistent_tables() -> None:
    checked = 0
    for portal in demo_portals():
        for doc in portal.documents:
            if doc.kind != "report" or doc.seed or (doc.report_year or 0) < 2019:
                continue
            lines = doc.body.split("\n")
            assert [h for h in SIX_HEADINGS if h in lines] == list(SIX_HEADINGS)
            rows = {line.split("\t")[0]: [int(n) for n in line.split("\t")[-7:]] for line in lines
                    if line.startswith(("一、本年新收", "二、上年结转", "四、结转下年度"))}
            total = next(line for line in lines if line.startswith("（七）总计")).split("\t")[1:]
            new, carried, forward = rows.values()
            for column in range(7):
                assert new[column] + carried[column] == int(total[column]) + forward[column]
            assert all(sum(r[:6]) == r[6] for r in rows.values())
            review = [int(n) for n in lines[lines.index(SIX_HEADINGS[3]) + 4].split("\t")]
            assert len(review) == 15 and all(sum(review[i:i + 4]) == review[i + 4] for i in (0, 5, 10))
            sub_rows = sum(line.count("3.其他") for line in lines)
            assert sub_rows == (1 if doc.report_year >= 2021 else 0)
            checked += 1
    assert checked >= 8


# --------------------------------------------------------------------------- HTTP

def test_every_document_answers_with_its_title_and_body(opener: urllib.request.OpenerDirector) -> None:
    for portal in demo_portals():
        for doc in portal.documents:
            for path in doc.paths:
                status, headers, body = fetch(opener, f"http://{portal.host}{path}")
                assert status == 200, path
                assert headers["Content-Length"] == str(len(body)) and "Last-Modified" in headers
                page = text_of(portal, body)
                assert doc.title in page
                for line in doc.body.split("\n"):
                    for cell in line.split("\t"):
                        assert cell in page, (path, cell)


def test_leaked_chrome_stays_inside_the_seed_001_body(opener: urllib.request.OpenerDirector) -> None:
    portal = portal_named("xinfu")
    doc = next(d for d in portal.documents if d.seed and d.seed.startswith("001_"))
    page = text_of(portal, fetch(opener, doc.url_of(portal.host))[2])
    zoom = page[page.index('<div id="zoom">'):page.index("<!--<$[信息内容]>end-->")]
    assert "新抚首页" in zoom and "浏览:24950次" in zoom and "技术支持:经纬网络" in zoom


def _trs_listing(opener: urllib.request.OpenerDirector, portal: DemoPortal, column: str) -> set[str]:
    first = text_of(portal, fetch(opener, f"http://{portal.host}{column}")[2])
    count, current, name, ext = re.search(r'createPageHTML\((\d+), (\d+), "(\w+)", "(\w+)"\);', first).groups()
    assert (current, name, ext) == ("0", "index", "html")
    assert not re.search(r'<a href="index_\d+\.html"', first)  # pager only in script
    paths: set[str] = set()
    for index in range(int(count)):
        url = f"http://{portal.host}{column}index_{index}.html"
        page = first if index == 0 else text_of(portal, fetch(opener, url)[2])
        items = page[page.index('<ul class="list">'):page.index("</ul>", page.index('<ul class="list">'))]
        paths |= {urljoin(column, href) for href in re.findall(r'href="(\./[^"]+)"', items)}
    return paths


def test_trs_lists_link_every_document(opener: urllib.request.OpenerDirector) -> None:
    portal = portal_named("daan")
    found = set().union(*(_trs_listing(opener, portal, c) for c in portal.column_paths))
    assert found == {p for d in portal.documents for p in d.paths}
    first = fetch(opener, portal.column_urls[0])[2].decode()
    assert 'createPageHTML(3, 0, "index", "html");' in first
    assert fetch(opener, portal.column_urls[0] + "index_2.html")[0] == 200


def test_hanweb_datastore_and_dataproxy_link_every_document(opener: urllib.request.OpenerDirector) -> None:
    """The real jcms shapes (cms-patterns.md §3): a fixed page=1 nextgroup template, a jpage parameter object,
    POST groups by startrecord/endrecord and GET groups by page."""
    portal = portal_named("xinfu")
    page = text_of(portal, fetch(opener, portal.column_urls[0])[2])
    assert '<div id="16888">' in page and "var param_16888 = {col:1,appid:1,webid:21,path:'/',columnid:4512" in page
    store = re.search(r'<script type="text/xml">(.*?)</script>', page, re.S).group(1)
    assert not re.search(r"<a [^>]*/art/", re.sub(r'<script type="text/xml">.*?</script>', "", page, flags=re.S))
    inline = re.findall(r'href="(/art/[^"]+)"', store)
    template = re.search(r'<nextgroup><!\[CDATA\[<a href="([^"]+)"', store).group(1)
    assert len(inline) == 6 and "page=1&" in template and "%25E6" in template  # webname double URL-encoded
    proxy = f"{portal.homepage}module/web/jpage/dataproxy.jsp"
    form = urllib.parse.urlencode({"col": 1, "appid": 1, "webid": 21, "path": "/", "columnid": 4512,
                                   "sourceContentType": 1, "unitid": 16888, "webname": portal.display_name,
                                   "permissiontype": 0}).encode()
    posted, gotten = set(inline), set()
    for start in (7, 13):
        with opener.open(f"{proxy}?startrecord={start}&endrecord={start + 5}&perpage=2", data=form) as answer:
            assert answer.headers["Content-Type"].startswith("text/xml")
            body = answer.read().decode("utf-8")
        assert "<totalrecord>16</totalrecord>" in body and "page=1&" in body  # the template never moves on
        posted |= set(re.findall(r'href="(/art/[^"]+)"', body))
    for number in range(1, 5):
        body = fetch(opener, urljoin(portal.homepage, template.replace("page=1&", f"page={number}&")))[2].decode()
        gotten |= set(re.findall(r'href="(/art/[^"]+)"', body))
    assert posted == gotten == {d.paths[0] for d in portal.documents}
    status, _, body = fetch(opener, f"{proxy}?page=1&columnid=1&unitid=1")
    assert status == 200 and b"<record>" not in body


def test_xxgk_pager_links_every_document(opener: urllib.request.OpenerDirector) -> None:
    portal = portal_named("changbai")
    url, found, pages = portal.column_urls[0], set(), 0
    while url:
        page = text_of(portal, fetch(opener, url)[2])
        assert "<th>索引号</th>" in page and re.search(r"共\d+页", page)
        found |= {urljoin(url, h) for h in re.findall(r'href="(content_\d+\.html)"', page)}
        following = re.search(r'<a href="(index_\d+\.html)">下一页</a>', page)
        url, pages = (urljoin(url, following.group(1)) if following else ""), pages + 1
    assert pages >= 2 and found == {d.url_of(portal.host) for d in portal.documents}


def test_xxgk_pages_are_gbk(opener: urllib.request.OpenerDirector) -> None:
    portal = portal_named("changbai")
    doc = next(d for d in portal.documents if d.seed and d.seed.startswith("002_"))
    status, headers, body = fetch(opener, doc.url_of(portal.host))
    assert status == 200 and headers["Content-Type"] == "text/html; charset=GBK"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    page = body.decode("gb18030")
    assert 'charset=gb2312"' in page and doc.title in page and "本站為你精心整理" in page
    assert "11220623MB0123456X/2009-" in page


def test_chrome_is_present_and_view_counter_changes(opener: urllib.request.OpenerDirector) -> None:
    portal = portal_named("daan")
    url = portal.documents[0].url_of(portal.host)
    pages = [text_of(portal, fetch(opener, url)[2]) for _ in range(3)]
    counters = {re.search(r"点击数：<b[^>]*>(\d+)", p).group(1) for p in pages}
    assert len(counters) > 1
    for needle in ("今天是：", '<div class="dqwz">当前位置：', "【打印本页】", "【关闭窗口】", "分享到", "上一篇",
                   "主办单位：", "网站标识码：2208820001", "吉ICP备", "技术支持：", "无障碍", "长者版",
                   '<meta name="SiteIDCode" content="2208820001">', '<div class="TRS_Editor">'):
        assert needle in pages[0], needle


def test_homepage_robots_404_and_proxy_index(server: DemoServer, opener: urllib.request.OpenerDirector) -> None:
    for portal in demo_portals():
        status, _, body = fetch(opener, portal.homepage)
        assert status == 200 and f'href="{portal.column_paths[0]}"' in text_of(portal, body)
        status, headers, body = fetch(opener, f"{portal.homepage}robots.txt")
        assert (status, body) == (200, b"User-agent: *\nDisallow: /admin/\n")
        assert headers["Content-Type"].startswith("text/plain")
        assert fetch(opener, f"{portal.homepage}no/such/page.html")[0] == 404
    status, _, body = fetch(opener, "http://www.nowhere.nianbao.test/")
    assert status == 502
    status, _, body = fetch(urllib.request.build_opener(), server.proxy_url + "/")
    assert status == 200 and b"www.xinfu.nianbao.test" in body
    assert ("www.nowhere.nianbao.test", "/", 502) in server.requests


def test_origin_form_request_with_host_header(server: DemoServer) -> None:
    request = urllib.request.Request(server.proxy_url + "/robots.txt", headers={"Host": "www.daan.nianbao.test"})
    with urllib.request.build_opener().open(request, timeout=10) as response:
        assert response.read() == b"User-agent: *\nDisallow: /admin/\n"


def test_broken_portals(opener: urllib.request.OpenerDirector) -> None:
    assert not {p.name for p in broken_portals()} & {p.name for p in demo_portals()}
    assert fetch(opener, portal_named("broken-500").column_urls[0])[0] == 500
    assert fetch(opener, portal_named("broken-404").column_urls[0])[0] == 404
    flaky = portal_named("flaky")
    assert _trs_listing(opener, flaky, flaky.column_paths[0]) == {d.paths[0] for d in flaky.documents}
    by_fault = {d.fault: d for d in flaky.documents}
    assert sum(d.expect_archived for d in flaky.documents) == 3
    status, _, body = fetch(opener, by_fault[demo.FAULT_EMPTY].url_of(flaky.host))
    assert (status, body) == (200, b"")
    page = text_of(flaky, fetch(opener, by_fault[demo.FAULT_CHROME_ONLY].url_of(flaky.host))[2])
    assert "当前位置" in page and by_fault[demo.FAULT_CHROME_ONLY].body.split("\n")[0] not in page
    doc = by_fault[demo.FAULT_MALFORMED]
    page = text_of(flaky, fetch(opener, doc.url_of(flaky.host))[2])
    assert "</html>" not in page and "</p>" not in page and doc.body.split("\n")[0] in page
