"""青禾县 (fictional): a second demo-like test portal, written from real page shapes and real texts, not from our
parsers, for the issue-10 measure "a crawl given only the homepage archives every annual report it links, once
each, and nothing else".

Where each part comes from (cms-patterns.md; tests/extraction_corpus/realpages, PROVENANCE.md):

* page shapes: see :mod:`tests.support.realshapes.pages` (Pingtan TRS detail and 动静结合 list, Handan xxgk
  detail and table list, Zhejiang jcms detail, the Dingxi ``<datastore>``);
* the real Pingtan 2023 report page and the real Pingtan 2014 函 (a non-report in the 年报 column) are served
  byte for byte;
* the 45 records of the Hanweb column's first group are the real Dingxi records (all non-reports);
* report texts are paragraphs of the real 淮安市人民政府 2024 report (``huaian_2024_report.txt``: poppler
  ``pdftotext`` of ``shared/realworld/pdf_js_huaian_city_2024_zfxxgk_annual_report_wps.pdf``, wrapped lines
  joined, page numbers dropped and PDF spacing around digits removed by hand; the statistics tables are left
  out). Each report takes a different selection, with its own organ in the opening sentence, so their texts
  differ; one adds the issue's 平台建设 sentence on 网站标识码 and ICP备案;
* protocol answers nobody saved (the TRS search API, a Hanweb POST answer, a 412 challenge) follow the shapes
  public crawler code reads (cms-patterns.md §2.1, §3, §10) and are marked so in ``pages``.

What a correct crawl meets: a 412 on two legacy paths of the main host (信息公开指南, /xxgk/) before anything
else, a 年报发布日历 that pages month by month forever, a TRS 动静结合 column whose second page comes from
``POST /fjdzapp/search`` in the ``docs``/``chnldocurl`` shape with millisecond timestamps, a 乡镇年报 xxgk
table whose links say only 查看 (one name cut short, one non-report cut short), a report that answers 500
once and one whose first answer is cut off mid-body, a second list page, a Hanweb column on the sibling
``xxgk`` host paged by POST, a report in two columns whose TRS copy is sprinkled with invisible characters,
and titles with "（含统计表）".
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from tests.support import CORPUS
from tests.support.realshapes import pages
from tests.support.sites import Answer, Handler, StaticSites

HOST = "www.qinghe.nianbao.test"
XXGK = "xxgk.qinghe.nianbao.test"
HOMEPAGE = f"http://{HOST}/"
PORTAL = "qinghe"
REAL = CORPUS / "realpages"
HUAIAN = (Path(__file__).with_name("huaian_2024_report.txt")).read_text(encoding="utf-8").splitlines()
TRS_COLUMN, TOWNS, CALENDAR = "/zwgk/zfxxgknb/", "/zwgk/zfxxgknb/xznb/", "/zwgk/nbrl/"
HANWEB_COLUMN = f"http://{XXGK}/col/col12377/index.html"
CHALLENGED = ("/zwgk/xxgkzn/", "/xxgk/")  # a WAF rule in front of the legacy 信息公开 app
CHANNEL, CHNL, PREPAGE = 300001, 2001, 4
WEBID, COLUMN_ID, UNIT_ID, WEBNAME, PER_PAGE, GROUP = 110, 12377, 38486, "青禾县政府信息公开平台", 15, 3
ICP_SENTENCE = "在网站底部规范展示网站标识码、ICP备案编号和公安机关备案编号，网站运行安全平稳。"
INVISIBLE = "\u200b\ufeff\u00ad\u2060\u200d"


@dataclass(frozen=True, slots=True)
class Doc:
    """A document the portal links: where, its full title, and whether it is an annual report."""

    url: str
    title: str
    report: bool
    published: str  # YYYY-MM-DD

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


def _text(organ: str, year: int, picks: tuple[int, ...]) -> list[str]:
    """Real 淮安 paragraphs ``picks``; the opening sentence names ``organ``, dates say ``year``."""
    out = [HUAIAN[i].replace("淮安市人民政府办公室", organ).replace("淮安市", "青禾县").replace("2024", str(year))
           for i in picks]
    return out


def _sprinkle(texts: list[str]) -> list[str]:
    """The same paragraphs with invisible characters where CMS editors leave them (BOM first, ZWSP and soft
    hyphens inside, a word joiner and a zero-width joiner)."""
    out = []
    for n, text in enumerate(texts):
        chars = [c + INVISIBLE[(i + n) % len(INVISIBLE)] if i % 37 == 5 else c for i, c in enumerate(text)]
        out.append(("\ufeff" if n == 0 else "") + "".join(chars))
    return out


def _trs(day: str, doc_id: int, base: str = TRS_COLUMN) -> str:
    return f"http://{HOST}{base}{day[:7].replace('-', '')}/t{day.replace('-', '')}_{doc_id}.htm"


def _art(day: str, art_id: int) -> str:
    y, m, d = (int(x) for x in day.split("-"))
    return f"http://{XXGK}/art/{y}/{m}/{d}/art_{COLUMN_ID}_{art_id}.html"


# --------------------------------------------------------------------------- documents

PINGTAN = Doc(_trs("2024-03-08", 87885), "平潭综合实验区2023年度政府信息公开工作年度报告", True, "2024-03-08")
LETTER = Doc(_trs("2014-12-10", 80787), "关于2014年政府信息公开工作要点落实情况的函", False, "2014-12-10")
COUNTY = Doc(_trs("2025-01-20", 91001), "青禾县2024年政府信息公开工作年度报告", True, "2025-01-20")
FGJ = Doc(_trs("2025-01-16", 90990), "青禾县发展和改革局2024年政府信息公开工作年度报告（含统计表）", True, "2025-01-16")
POINTS = Doc(_trs("2024-04-02", 88120), "青禾县2024年政务公开工作要点", False, "2024-04-02")
COUNTY_2022 = Doc(_trs("2023-01-19", 70011), "青禾县2022年政府信息公开工作年度报告（含统计表）", True, "2023-01-19")
HEALTH_TRS = Doc(_trs("2024-01-25", 80402), "青禾县卫生健康委员会2023年政府信息公开工作年度报告", True, "2024-01-25")
CHENGGUAN = Doc(_trs("2025-01-22", 91010, TOWNS), "青禾县城关镇2024年政府信息公开工作年度报告", True, "2025-01-22")
DONGLING = Doc(_trs("2025-01-23", 91013, TOWNS), "青禾县东岭乡2024年度政府信息公开工作年度报告", True, "2025-01-23")
NOTICE = Doc(_trs("2024-12-10", 90201, TOWNS), "关于做好2024年度政府信息公开工作年度报告编制发布工作的通知", False,
             "2024-12-10")
XIHE = Doc(_trs("2024-01-18", 80350, TOWNS), "青禾县西河镇2023年政府信息公开工作年度报告", True, "2024-01-18")
NANHU = Doc(_trs("2024-01-19", 80361, TOWNS), "青禾县南湖街道2023年政府信息公开工作年度报告", True, "2024-01-19")
HEALTH_ART = Doc(_art("2024-01-25", 2100007), HEALTH_TRS.title, True, "2024-01-25")
EDU = Doc(_art("2024-01-24", 2100003), "青禾县教育局2023年政府信息公开工作年度报告", True, "2024-01-24")
DATA = Doc(_art("2024-01-26", 2100011), "青禾县数据局2023年政府信息公开工作年度报告", True, "2024-01-26")
WEB_FORM = Doc(_art("2024-01-12", 2099870), "2023年度政府网站年度工作报表", False, "2024-01-12")
GRAPHIC = Doc(_art("2024-01-27", 2100013), "图解：青禾县2023年政府信息公开工作年度报告", False, "2024-01-27")

INDEX_NO = {CHENGGUAN: "11350999MB0000001X/2025-00011", DONGLING: "11350999MB0000002X/2025-00013",
            NOTICE: "11350999MB0000000X/2024-00201", XIHE: "11350999MB0000003X/2024-00350",
            NANHU: "11350999MB0000004X/2024-00361"}
ORGAN = {CHENGGUAN: "青禾县城关镇人民政府", DONGLING: "青禾县东岭乡人民政府", NOTICE: "青禾县人民政府办公室",
         XIHE: "青禾县西河镇人民政府", NANHU: "青禾县南湖街道办事处"}
REPORTS = (PINGTAN, COUNTY, FGJ, COUNTY_2022, HEALTH_TRS, CHENGGUAN, DONGLING, XIHE, NANHU, HEALTH_ART, EDU, DATA)
NON_REPORTS = (LETTER, POINTS, NOTICE, WEB_FORM, GRAPHIC)
SAME_TEXT = (HEALTH_TRS, HEALTH_ART)  # one report, two columns; the TRS copy carries invisible characters
AMBIGUOUS = (DONGLING, NOTICE)  # listed as 查看 beside a name cut short: only the page can tell
FLAKY = (CHENGGUAN, DONGLING)  # answer 500 once / a cut-off body once, then the page


def _bodies() -> dict[Doc, str]:
    health = _text("青禾县卫生健康委员会", 2023, (0, 5, 8, 9))
    return {
        COUNTY: pages.trs_detail(COUNTY.title, "2025-01-20 10:00", "青禾县人民政府办公室", _text(
            "青禾县人民政府办公室", 2024, tuple(range(len(HUAIAN))))),
        FGJ: pages.trs_detail(FGJ.title, "2025-01-16 09:30", "青禾县发展和改革局",
                              _text("青禾县发展和改革局", 2024, (0, 1, 2, 3, 8, 9))),
        POINTS: pages.trs_detail(POINTS.title, "2024-04-02 16:00", "青禾县人民政府办公室", [
            "为深入贯彻落实国务院办公厅、省政府办公厅关于政务公开工作的部署要求，现就2024年全县政务公开工作要点通知如下。",
            *_text("青禾县人民政府办公室", 2024, (5, 7))[:1]], column="政务公开"),
        COUNTY_2022: pages.trs_detail(COUNTY_2022.title, "2023-01-19 11:00", "青禾县人民政府办公室",
                                      _text("青禾县人民政府办公室", 2022, (0, 1, 2, 4, 10, 11))),
        HEALTH_TRS: pages.trs_detail(HEALTH_TRS.title, "2024-01-25 15:00", "青禾县卫生健康委员会", _sprinkle(health)),
        HEALTH_ART: pages.hanweb_detail(HEALTH_ART.title, "2024-01-25", "青禾县卫生健康委员会", health, HANWEB_COLUMN),
        EDU: pages.hanweb_detail(EDU.title, "2024-01-24", "青禾县教育局", _text("青禾县教育局", 2023, (0, 3, 4)),
                                 HANWEB_COLUMN),
        DATA: pages.hanweb_detail(DATA.title, "2024-01-26", "青禾县数据局", [
            *_text("青禾县数据局", 2023, (0, 1, 6)), ICP_SENTENCE, *_text("青禾县数据局", 2023, (8, 9))],
            HANWEB_COLUMN),
        WEB_FORM: pages.hanweb_detail(WEB_FORM.title, "2024-01-12", "青禾县数据局", [
            "网站名称\t青禾县人民政府", f"网站标识码\t{pages.SITE_CODE}", "ICP备案号\t闽ICP备09099999号"],
            HANWEB_COLUMN),
        GRAPHIC: pages.hanweb_detail(GRAPHIC.title, "2024-01-27", "青禾县人民政府办公室", [
            "一图读懂青禾县2023年政府信息公开工作年度报告。"], HANWEB_COLUMN),
        CHENGGUAN: pages.xxgk_detail(CHENGGUAN.title, "2025-01-22", ORGAN[CHENGGUAN], INDEX_NO[CHENGGUAN],
                                     _text("青禾县城关镇人民政府", 2024, (0, 1, 2, 7))),
        DONGLING: pages.xxgk_detail(DONGLING.title, "2025-01-23", ORGAN[DONGLING], INDEX_NO[DONGLING],
                                    _text("青禾县东岭乡人民政府", 2024, (0, 3, 10, 11))),
        NOTICE: pages.xxgk_detail(NOTICE.title, "2024-12-10", ORGAN[NOTICE], INDEX_NO[NOTICE], [
            "各乡镇人民政府、街道办事处：为做好2024年度政府信息公开工作年度报告编制发布工作，现将有关事项通知如下。",
            "请于2025年1月31日前向社会公布本机关2024年度政府信息公开工作年度报告。"]),
        XIHE: pages.xxgk_detail(XIHE.title, "2024-01-18", ORGAN[XIHE], INDEX_NO[XIHE],
                                _text("青禾县西河镇人民政府", 2023, (0, 4, 7))),
        NANHU: pages.xxgk_detail(NANHU.title, "2024-01-19", ORGAN[NANHU], INDEX_NO[NANHU],
                                 _text("青禾县南湖街道办事处", 2023, (0, 2, 5, 9))),
    }


# --------------------------------------------------------------------------- lists and navigation

def _homepage() -> str:
    return pages.layout('<meta name="ColumnName" content="首页"/>', pages.SITE, """<div class="nav">
<a href="/">首页</a> <a href="/zwgk/">政务公开</a> <a href="/zwgk/xxgkzn/">信息公开指南</a>
<a href="/xxgk/">政府信息公开</a> <a href="/hdjl/">互动交流</a>
<a href="/zwgk/nbrl/?month=2024-03">年报发布日历</a></div>
<div class="news"><ul><li><a href="/xwzx/202501/t20250110_90001.htm">青禾县召开2025年全县经济工作会议</a>
<span>2025-01-10</span></li>
</ul></div>""")


def _hub() -> str:
    return pages.layout('<meta name="ColumnName" content="政务公开"/>', "政务公开", f"""<div class="zwgk_nav"><ul>
<li><a href="{TRS_COLUMN}">政府信息公开年报</a></li><li><a href="{HANWEB_COLUMN}">部门年报</a></li>
<li><a href="/zwgk/nbrl/?month=2024-03">年报发布日历</a></li><li><a href="/zwgk/zcwj/">政策文件</a></li></ul></div>""")


def _row(doc: Doc) -> tuple[str, str, str]:
    return "./" + doc.url.split(TRS_COLUMN, 1)[1], doc.title, doc.published


def _trs_column() -> str:
    static = [COUNTY, FGJ, POINTS, PINGTAN]
    links = f'<div class="sub_columns"><a href="{TOWNS}">乡镇年报</a></div>'
    return pages.trs_dongjing_list([_row(d) for d in static], 7, PREPAGE, CHANNEL, CHNL, links)


def _search(target: str) -> Answer:
    """``POST /fjdzapp/search`` in the ``docs``/``chnldocurl`` shape (templet=docs.jsp sites; seen in public
    crawler code), ``docreltime`` in milliseconds; page 3 and on are empty."""
    form = dict(parse_qsl(urlsplit(target).query))
    if form.get("channelid") != str(CHANNEL) or form.get("classsql") != f"chnlid={CHNL}":
        return Answer(body=b'{"docs": []}', content_type="application/json;charset=UTF-8")
    stamps = {COUNTY_2022: 1674093600000, LETTER: 1418176800000, HEALTH_TRS: 1706166000000}
    rows = [{"chnldocurl": d.url, "doctitle": d.title, "docreltime": stamps[d]}
            for d in (HEALTH_TRS, COUNTY_2022, LETTER)] if form.get("page") == "2" else []
    return Answer(body=json.dumps({"docs": rows}, ensure_ascii=False).encode(), content_type="application/json")


def _towns(target: str) -> Answer:
    """The 乡镇年报 table: 查看 links, names as printed (two cut short); page 2 at ``index_1.html``."""
    page = 1 if urlsplit(target).path.endswith("index_1.html") else 0
    docs = ((CHENGGUAN, DONGLING, NOTICE), (XIHE, NANHU))[page]
    rows = [(d.title[:21] + "..." if d in AMBIGUOUS else d.title, INDEX_NO[d], ORGAN[d], d.published,
             d.url.removeprefix(f"http://{HOST}")) for d in docs]
    return Answer(body=pages.xxgk_table_list(rows, TOWNS, page, 2).encode())


def _dingxi_records() -> str:
    """The 45 real ``<record>`` items of the Dingxi answer, verbatim."""
    xml = (REAL / "gs_dingxi_xxgk_hanweb_jpage_datastore_response.xml").read_text(encoding="utf-8")
    return "\n".join(re.findall(r"<record>.*?</record>", xml, re.S))


def _hanweb_group_2() -> str:
    return pages.hanweb_records([(d.path, d.title, d.published) for d in (DATA, GRAPHIC, HEALTH_ART, EDU, WEB_FORM)])


def _dataproxy(target: str) -> Answer:
    """POST ``?startrecord=46&endrecord=90&perpage=15`` (the form from the column's parameter object) or GET
    ``?page=2``: the second group; the first group is the real Dingxi records; later groups are empty."""
    query = dict(parse_qsl(urlsplit(target).query))
    nextgroup = pages.hanweb_nextgroup(WEBID, COLUMN_ID, UNIT_ID, WEBNAME)
    ours = query.get("columnid") == str(COLUMN_ID) and query.get("unitid") == str(UNIT_ID)
    group = ((int(query["startrecord"]) - 1) // (PER_PAGE * GROUP) + 1 if query.get("startrecord", "").isdigit()
             else int(query["page"]) if query.get("page", "").isdigit() else 0)
    records = {1: _dingxi_records(), 2: _hanweb_group_2()}.get(group, "") if ours else ""
    return Answer(body=pages.hanweb_answer(records, nextgroup, 50).encode(), content_type="text/xml;charset=UTF-8")


# --------------------------------------------------------------------------- the site

def _once_then(first: Answer, then: Answer) -> Handler:
    """The first request gets ``first`` (a 500, a cut-off body), every later one ``then``."""
    lock, asked = threading.Lock(), []

    def answer(_target: str) -> Answer:
        with lock:
            asked.append(1)
            return first if len(asked) == 1 else then
    return answer


def _main_host(bodies: dict[Doc, str]) -> Handler:
    fixed: dict[str, Answer] = {d.path: Answer(body=html.encode()) for d, html in bodies.items() if HOST in d.url}
    fixed[PINGTAN.path] = Answer(body=(REAL / "fj_pingtan_zfxxgknb_2023_annual_report_detail_trs.html").read_bytes())
    fixed[LETTER.path] = Answer(
        body=(REAL / "fj_pingtan_zfxxgknb_column_NONREPORT_2014_letter_detail_trs_msword.html").read_bytes())
    fixed.update({"/": Answer(body=_homepage().encode()), "/zwgk/": Answer(body=_hub().encode()),
                  TRS_COLUMN: Answer(body=_trs_column().encode()),
                  "/robots.txt": Answer(body=b"User-agent: *\nDisallow: /admin/\n", content_type="text/plain")})
    flaky = {CHENGGUAN.path: _once_then(Answer(500, b"<html><body>500 Internal Server Error</body></html>"),
                                        fixed[CHENGGUAN.path]),
             DONGLING.path: _once_then(Answer(body=fixed[DONGLING.path].body[:1500], headers=(
                 ("Content-Length", str(len(fixed[DONGLING.path].body))), ("Connection", "close"))),
                 fixed[DONGLING.path])}

    def route(target: str) -> Answer:
        path = urlsplit(target).path
        if path.startswith(CHALLENGED):
            return Answer(412, pages.challenge_412())
        if path.startswith(CALENDAR):
            month = dict(parse_qsl(urlsplit(target).query)).get("month", "2024-03")
            return Answer(body=pages.calendar(month if re.fullmatch(r"\d{4}-\d{2}", month) else "2024-03").encode())
        if path == "/fjdzapp/search":
            return _search(target)
        if path in (TOWNS, f"{TOWNS}index.html", f"{TOWNS}index_1.html"):
            return _towns(target)
        if path in flaky:
            return flaky[path](target)
        return fixed.get(path) or Answer(404, b"<html><body>404</body></html>")
    return route


def _xxgk_host(bodies: dict[Doc, str]) -> Handler:
    fixed = {d.path: Answer(body=html.encode()) for d, html in bodies.items() if XXGK in d.url}
    column = pages.hanweb_column(_dingxi_records(), pages.hanweb_nextgroup(WEBID, COLUMN_ID, UNIT_ID, WEBNAME), WEBID,
                                 COLUMN_ID, UNIT_ID, WEBNAME, 50, PER_PAGE, GROUP)
    fixed[urlsplit(HANWEB_COLUMN).path] = Answer(body=column.encode())
    fixed["/robots.txt"] = Answer(body=b"User-agent: *\nDisallow:\n", content_type="text/plain")

    def route(target: str) -> Answer:
        path = urlsplit(target).path
        if path == "/module/web/jpage/dataproxy.jsp":
            return _dataproxy(target)
        return fixed.get(path) or Answer(404, b"<html><body>404</body></html>")
    return route


def qinghe_sites() -> StaticSites:
    """The portal's two hosts on a loopback proxy (use as a context manager); ``requests`` logs every ask."""
    bodies = _bodies()
    return StaticSites({(HOST, "*"): _main_host(bodies), (XXGK, "*"): _xxgk_host(bodies)})
