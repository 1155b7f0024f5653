"""Main-text extraction on real government pages, hand-built CMS-pattern pages and bad input."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest

from nianbao.demo import DemoServer
from pipelines.extract import Extraction, extract, report_fields
from pipelines.text.chrome import CHROME_MARKERS
from pipelines.text.encoding import decode_html
from tests.support import CORPUS
from tests.support.commands import run_cmd
from tests.support.metrics import ngram_f1

CORPUS = CORPUS
REAL = CORPUS / "realpages"
BUILT = CORPUS / "built"
PINGTAN_2023 = "fj_pingtan_zfxxgknb_2023_annual_report_detail_trs"
PINGTAN_URL = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202403/t20240308_87885.htm"


def _real(name: str, url: str | None = None) -> Extraction:
    return extract((REAL / name).read_text(encoding="utf-8"), url)


def _markers(text: str) -> list[str]:
    return [m for m in CHROME_MARKERS if m in text]


# ---------------------------------------------------------------- real pages


@pytest.fixture(scope="module")
def pingtan() -> Extraction:
    return _real(f"{PINGTAN_2023}.html", PINGTAN_URL)


def test_pingtan_report_metadata(pingtan: Extraction) -> None:
    assert pingtan.title == "平潭综合实验区2023年度政府信息公开工作年度报告"
    assert pingtan.published == datetime.date(2024, 3, 8)
    assert pingtan.organ == "平潭综合实验区管委会办公室"
    assert pingtan.container == ".TRS_Editor"
    assert pingtan.meta["site_id_code"] == "3590000001"
    assert pingtan.meta["column"] == "政府信息公开年报"
    assert pingtan.meta["canonical_url"] == PINGTAN_URL
    assert pingtan.meta["source_published"] == "2024-03-08 15:34"


def test_pingtan_report_body_matches_gold(pingtan: Extraction) -> None:
    gold = (REAL / f"{PINGTAN_2023}.gold.txt").read_text(encoding="utf-8")
    gold_body = gold.split("==================== 正文 ====================", 1)[1]
    assert ngram_f1(pingtan.text, gold_body) >= 0.95
    assert not pingtan.text.startswith(pingtan.title or "?")
    assert not _markers(pingtan.text)


def test_pingtan_report_tables_are_tab_rows(pingtan: Extraction) -> None:
    lines = pingtan.text.split("\n")
    for row in (
        "行政规范性文件\t77\t132\t470",  # 二、主动公开
        "一、本年新收政府信息公开申请数量\t80\t1\t0\t0\t0\t0\t81",  # 三、依申请
        "（七）总计\t80\t1\t0\t0\t0\t0\t81",
        "商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他",  # "商业<p>企业" joined
        "1\t1\t0\t0\t2\t4\t0\t0\t1\t5\t1\t0\t1\t0\t2",  # 四、复议诉讼: 15 cells
    ):
        assert row in lines
    assert lines.index("二、主动公开政府信息情况") < lines.index("行政规范性文件\t77\t132\t470")


def test_handan_xxgk_block_goes_to_meta() -> None:
    got = _real("hebei_handan_xxgk_trs_detail_suoyinhao.jsp.html")
    assert got.meta["index_no"] == "000014348/2020-35147"
    assert got.organ == "邯郸市教育局"
    assert got.meta["written"] == "2020-08-02"  # from a commented-out 成文日期 row
    assert got.published == datetime.date(2020, 8, 2)
    for label in ("索引号", "000014348", "发布机构", "主题分类"):
        assert label not in got.text
    assert got.no_body  # the saved view has no body text at all


def test_wanzai_spaced_index_label() -> None:
    got = _real("jx_wanzai_county_tjgb2022_xxgk_detail_ucap.html")
    assert got.meta["index_no"] == "014742224A/2023-0043406"
    assert "索" not in got.text.split("\n")[0]
    assert got.title == "万载县2022年国民经济和社会发展统计公报"


def test_pingtan_word_paste_is_clean() -> None:
    got = _real("fj_pingtan_zfxxgknb_column_NONREPORT_2014_letter_detail_trs_msword.html")
    assert got.title == "关于2014年政府信息公开工作要点落实情况的函"
    assert got.container == ".article_content"
    assert got.organ == "平潭县人民政府"  # ContentSource empty → 来源： in the metadata bar
    assert "mso" not in got.text and "o:p" not in got.text and "xml" not in got.text
    lines = got.text.split("\n")
    assert lines[0] == "省政府办公厅："
    assert "一、2014年政府信息公开工作情况" in lines
    assert lines[-2:] == ["平潭综合实验区管委会办公室", "2014年12月10日"]
    assert all(line == line.strip() and line for line in lines)


@pytest.mark.parametrize(
    ("name", "container", "title", "published"),
    [
        ("zj_fgw_hanweb_jcms_detail_deqing.html", "#zoom", "1-10月德清县固定资产投资结构趋稳趋优", "2016-11-22"),
        ("shanxi_gov_trs_detail_createPageHTML.html", ".TRS_Editor", "山西品牌丝路行（南美站）正式启动", "2019-09-18"),
        (
            "govcn_gongbao_detail.html",
            "#UCAP-CONTENT",
            "全国人民代表大会常务委员会关于批准财政部发行特别国债购买外汇及",
            "2007-08-20",
        ),
        (
            "jx_wanzai_county_tjgb2015_detail_ucap.html",
            "#zoomcon",
            "万载县2015年国民经济和社会发展统计公报",
            "2022-04-24",
        ),
        (
            "jx_yichun_city_tjgb2022_detail_ucap.html",
            "#zoomcon",
            "宜春市2022年国民经济和社会发展统计公报",
            "2023-05-16",
        ),
        (
            "cmse_gov_trs_detail_t20120624_inline_images.html",
            ".TRS_Editor",
            "天宫一号与神舟九号载人交会对接任务第二场新闻发布会",
            "2012-06-24",
        ),
    ],
)
def test_real_cms_containers(name: str, container: str, title: str, published: str) -> None:
    url = "http://www.cmse.gov.cn/ztbd/xwfbh/201206/t20120624_43188.html" if name.startswith("cmse") else None
    got = _real(name, url)
    assert got.container == container
    assert got.title is not None and got.title.startswith(title)
    assert got.published == datetime.date.fromisoformat(published)
    assert len(got.text) > 200
    assert not _markers(got.text)
    assert "data:image" not in got.text


def test_ucap_title_tag_without_article_title_meta() -> None:
    html = (REAL / "jx_wanzai_county_tjgb2022_xxgk_detail_ucap.html").read_text(encoding="utf-8")
    html = re.sub(r'<meta name="ArticleTitle"[^>]*>', "", html)
    assert extract(html).title == "万载县2022年国民经济和社会发展统计公报"


_CONTAINER_NAMES = re.compile(r"TRS_Editor|article[_-]content|main-content|zoomcon|UCAP-CONTENT|\"zoom\"|信息内容")


@pytest.mark.parametrize(
    "name",
    [
        f"{PINGTAN_2023}.html",
        "fj_pingtan_zfxxgknb_column_NONREPORT_2014_letter_detail_trs_msword.html",
        "zj_fgw_hanweb_jcms_detail_deqing.html",
        "jx_wanzai_county_tjgb2015_detail_ucap.html",
        "govcn_gongbao_detail.html",
        "cmse_gov_trs_detail_t20120624_inline_images.html",
    ],
)
def test_density_fallback_on_real_layouts(name: str) -> None:
    """With the known container names hidden, the density fallback must find the same body."""
    html = (REAL / name).read_text(encoding="utf-8")
    fallback = extract(_CONTAINER_NAMES.sub("renamed", html))
    assert fallback.container == "density"
    assert ngram_f1(fallback.text, extract(html).text) >= 0.95
    assert not _markers(fallback.text)


@pytest.mark.parametrize(
    "name",
    [
        "fj_pingtan_zfxxgknb_list_index_trs_dongjing.html",
        "hebei_handan_xxgk_trs_list_suoyinhao_table.jsp.html",  # one list row would win the density score
        "hebei_handan_xxgk_trs_gkzn_nav_nianbao.jsp.html",
    ],
)
def test_list_and_nav_pages_have_no_body(name: str) -> None:
    got = _real(name)
    assert got.no_body and got.text == ""


def test_short_attachment_page_keeps_its_prose() -> None:
    """The prose rule that rejects list rows must keep a one-sentence 详见附件 body."""
    sentence = "根据《条例》规定，现将本单位2023年度政府信息公开工作年度报告予以公布，详见附件。"
    got = extract(
        f"<html><body><div class='nav'><a href='/'>首页</a></div><div class='c'><p>{sentence}</p>"
        "<p>附件：<a href='/nb2023.pdf'>2023年度报告.pdf</a></p></div></body></html>"
    )
    assert got.container == "density"
    assert got.text == f"{sentence}\n附件：2023年度报告.pdf"


# ---------------------------------------------------------------- built corpus
# Per-page F1 floors, containers, titles and dates of every built page: tests/pipelines/test_extraction_snapshots.py.


def test_built_gbk_page_is_really_gbk() -> None:
    raw = (BUILT / "old_gbk_table_layout.html").read_bytes()
    assert b"charset=gb2312" in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb2312")  # 镕 and 喆 exist only in GBK
    assert "王喆" in extract(decode_html(raw)).text


def test_built_sidebars_dropped() -> None:
    got = extract(decode_html((BUILT / "sidebars_related_lists.html").read_bytes()))
    assert "xgwz" not in got.text and "rdxw" not in got.text and "相关文章" not in got.text


def test_built_content_farm_advert_dropped() -> None:
    got = extract(decode_html((BUILT / "content_farm_seed002.html").read_bytes()))
    assert got.text.startswith("一、完善工作制度")
    assert "本站" not in got.text and "下載本文檔" not in got.text


# ---------------------------------------------------------------- structure rules


def _body(inner: str, head: str = "") -> Extraction:
    return extract(f"<html><head>{head}</head><body><div class='TRS_Editor'>{inner}</div></body></html>")


def test_br_and_blocks_break_lines_inline_does_not() -> None:
    got = _body("<p>第一行<br>第二<b>行</b>内容<span>继续</span></p><div>第三行</div><ul><li>列表项</li></ul>")
    assert got.text == "第一行\n第二行内容继续\n第三行\n列表项"


def test_table_rows_keep_empty_cell_positions() -> None:
    got = _body(
        "<table><tr><th>项目</th><th>数量</th><th>备注</th></tr>"
        "<tr><td>规章</td><td></td><td>无</td></tr><tr><td> </td><td> </td></tr></table>"
    )
    assert got.text.split("\n") == ["项目\t数量\t备注", "规章\t\t无"]


def test_layout_table_cells_become_blocks() -> None:
    long_text = "政府信息公开工作稳步推进，" * 30
    got = _body(f"<table><tr><td><table><tr><td>甲</td><td>1</td></tr></table></td><td>{long_text}</td></tr></table>")
    assert got.text.split("\n") == ["甲\t1", long_text]


def test_hidden_and_script_content_removed() -> None:
    got = _body(
        "<p>正文内容</p><div style='display: none'>隐藏内容</div><script>var a='脚本';</script>"
        "<style>.x{}</style><p hidden>不可见</p>"
    )
    assert got.text == "正文内容"


def test_title_first_line_stripped_and_blank_runs_removed() -> None:
    got = _body(
        "<h2> 某某年度报告 </h2><p>&nbsp;</p><p></p><p>　　正文第一段。</p>",
        head='<meta name="ArticleTitle" content="某某年度报告">',
    )
    assert got.text == "正文第一段。"


def test_title_from_title_tag_strips_site_suffix() -> None:
    head = (
        '<meta name="SiteName" content="某某市人民政府">'
        "<title>某某局2023年政府信息公开工作年度报告_年报_某某市人民政府</title>"
    )
    assert _body("<p>正文内容足够。</p>", head).title == "某某局2023年政府信息公开工作年度报告"
    head = "<title>某某市人民政府 | 某某局2023年政府信息公开工作年度报告</title>"
    assert _body("<p>正文内容足够。</p>", head).title == "某某局2023年政府信息公开工作年度报告"


def test_meta_names_case_insensitive_and_url_dates() -> None:
    head = '<meta name="contentSource" content="某某局"><meta name="siteidcode" content="1304000009">'
    got = extract(
        f"<html><head>{head}</head><body><div id='zoom'><p>正文。</p></div></body></html>",
        "http://fgw.zj.gov.cn/art/2016/11/2/art_1621004_30332664.html",
    )
    assert got.organ == "某某局"
    assert got.meta["site_id_code"] == "1304000009"
    assert got.published == datetime.date(2016, 11, 2)
    assert _body("<p>正文。</p>").published is None


def test_xxgk_table_block_in_table_layout() -> None:
    html = """<html><body><table class="xxgk"><tr><td>索引号：</td><td>11410100005184/2023-00012</td>
    <td>分类：</td><td>综合政务</td></tr><tr><td>发文机关：</td><td>某某市人民政府办公室</td><td>成文日期：</td>
    <td>2023年01月20日</td></tr><tr><td>文号：</td><td>某政办〔2023〕3号</td><td>发布日期：</td><td>2023-01-28</td></tr>
    </table><div class="xxgk_content"><p>某某市2022年政府信息公开工作年度报告正文内容。</p></div></body></html>"""
    got = extract(html)
    assert got.meta["index_no"] == "11410100005184/2023-00012"
    assert got.meta["doc_no"] == "某政办〔2023〕3号"
    assert got.meta["written"] == "2023-01-20"
    assert got.organ == "某某市人民政府办公室"
    assert got.published == datetime.date(2023, 1, 28)
    assert got.text == "某某市2022年政府信息公开工作年度报告正文内容。"


# ---------------------------------------------------------------- encoding


@pytest.mark.parametrize(
    ("raw", "declared", "expected"),
    [
        ("朱镕基 王喆".encode("gbk"), "gb2312", "朱镕基 王喆"),
        ("朱镕基".encode("gbk"), "utf-8", "朱镕基"),  # wrong declaration
        ("朱镕基".encode("gbk"), None, "朱镕基"),  # none declared
        ("—·".encode("gbk"), "GB2312", "—·"),  # gb2312 codec would differ
        ("\ufeff政府".encode(), "gbk", "政府"),  # BOM wins
        ("政府信息公开".encode(), "gb2312", "政府信息公开"),  # GB declared, bytes UTF-8
        ('<meta charset="gbk"><p>政府</p>'.encode("gbk"), None, '<meta charset="gbk"><p>政府</p>'),
        (
            '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">镕'.encode("gbk"),
            "iso-8859-1",
            '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">镕',
        ),
    ],
)
def test_decode_html(raw: bytes, declared: str | None, expected: str) -> None:
    assert decode_html(raw, declared) == expected


def test_decode_html_never_raises() -> None:
    assert isinstance(decode_html(bytes(range(256)) * 10, "no-such-codec"), str)
    assert decode_html(b"") == ""


# ---------------------------------------------------------------- bad input


def test_navigation_only_page_has_no_body() -> None:
    links = "".join(f"<li><a href='/col/{i}/'>栏目导航第{i}项</a></li>" for i in range(60))
    got = extract(
        f"<html><body><div class='nav'><ul>{links}</ul></div><ul>{links}</ul>"
        "<div class='footer'>主办单位：某某市人民政府办公室 网站标识码：1304000009</div></body></html>"
    )
    assert got.no_body and got.text == "" and got.container is None


def test_deeply_nested_page() -> None:
    got = _body("<div>" * 600 + "<p>深层嵌套的正文内容，仍然需要被提取出来。</p>" + "</div>" * 600)
    assert got.text == "深层嵌套的正文内容，仍然需要被提取出来。"


# ---------------------------------------------------------------- nianbao extract


@pytest.mark.e2e
def test_cli_extract_file_json_matches_the_pipeline_fields() -> None:
    path = REAL / f"{PINGTAN_2023}.html"
    result = run_cmd(["nianbao", "extract", str(path), "--url", PINGTAN_URL, "--json"])
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    page = extract(path.read_bytes(), PINGTAN_URL)
    fields = report_fields(page, PINGTAN_URL)
    assert got["text"] == page.text and not got["no_body"]
    assert got["title"] == "平潭综合实验区2023年度政府信息公开工作年度报告"
    assert (got["published"], got["organ"], got["report_year"], got["is_report"]) == (
        "2024-03-08", fields.organ, 2023, True)
    assert got["meta"] == fields.meta and got["meta"]["site_id_code"] == "3590000001"
    assert got["meta"]["is_aggregate"] is True  # the 综合实验区's own report sums its units
    plain = run_cmd(["nianbao", "extract", str(BUILT / "gb18030_four_byte_chars.html")])
    assert plain.returncode == 0 and "龚䶮、金𠮷" in plain.stdout.split("\n")[1]


@pytest.mark.e2e
def test_cli_extract_url_through_the_demo_proxy(demo: DemoServer) -> None:
    portal = next(p for p in demo.portals.values() if p.cms == "xxgk")  # served as GBK
    doc = next(d for d in portal.documents if d.kind == "report")
    result = run_cmd(["nianbao", "extract", doc.url_of(portal.host), "--json"],
                     env={"NIANBAO_DEMO_PROXY": demo.proxy_url})
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert (got["title"], got["published"], got["report_year"], got["is_report"]) == (
        doc.title, doc.published.isoformat(), doc.report_year, True)
    assert ngram_f1(got["text"], doc.body) >= 0.95
    assert got["meta"]["is_aggregate"] is False  # a 乡镇/街道 report, not the county's own


@pytest.mark.e2e
def test_cli_extract_no_body_and_bad_paths(tmp_path: Path) -> None:
    listing = run_cmd(["nianbao", "extract", str(REAL / "fj_pingtan_zfxxgknb_list_index_trs_dongjing.html")])
    assert listing.returncode == 1 and listing.stdout == "" and "no body found" in listing.stderr
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    as_json = run_cmd(["nianbao", "extract", str(empty), "--json"])
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["no_body"] is True
    missing = run_cmd(["nianbao", "extract", str(tmp_path / "missing.html")])
    assert missing.returncode != 0 and "cannot read" in missing.stderr
    unproxied = run_cmd(["nianbao", "extract", "http://www.daan.nianbao.test/"], env={"NIANBAO_DEMO_PROXY": ""})
    assert unproxied.returncode != 0 and "NIANBAO_DEMO_PROXY" in unproxied.stderr
