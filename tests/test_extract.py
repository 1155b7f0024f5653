"""Main-text extraction on real government pages, hand-built CMS-pattern pages and bad input."""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

import pytest

from pipelines.chrome import CHROME_MARKERS
from pipelines.encoding import decode_html
from pipelines.extract import Extraction, extract
from tests._metrics import ngram_f1

CORPUS = Path(__file__).parent / "extraction_corpus"
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


def test_list_page_has_no_body() -> None:
    got = _real("fj_pingtan_zfxxgknb_list_index_trs_dongjing.html")
    assert got.no_body and got.text == ""


# ---------------------------------------------------------------- built corpus

BUILT_EXPECT = {
    # name: (container, title, published, must-contain)
    "old_gbk_table_layout": ("density", "大安市慧阳街道办事处2014年度政府信息公开工作年度报告", "2015-03-18", "朱镕生"),
    "word_paste": (".TRS_UEDITOR", "关于报送2016年度政府信息公开工作年度报告的函", "2017-01-12", "县政府办公室："),
    "report_2021_tables": (
        "#ivs_content",
        "某县人民政府2022年政府信息公开工作年度报告",
        "2023-01-31",
        "（七）总计\t15\t2\t0\t0\t0\t1\t18",
    ),
    "content_farm_seed002": (".article-content", None, None, "一、完善工作制度"),
    "sidebars_related_lists": ("density", "站前街道2017年信息公开工作年度报告", "2018-03-23", "政务微博公开38条"),
    "gbk_no_charset": (
        "#zoom",
        "2011年宝泉山镇政府信息公开年度报告",
        "2012-03-17",
        "宝泉山镇2011年政府信息公开工作报告",
    ),
    "declared_utf8_actually_gbk": (".article-content", "长征街道政务公开年度报告", None, "高喆"),
    "hanweb_markers": ("hanweb-markers", "温州市某区2015年政府信息公开工作年度报告", "2016-03-28", "一、概述"),
}


def test_built_corpus_complete() -> None:
    assert {p.stem for p in BUILT.glob("*.html")} == set(BUILT_EXPECT)


@pytest.mark.parametrize("name", sorted(BUILT_EXPECT))
def test_built_page(name: str) -> None:
    container, title, published, needle = BUILT_EXPECT[name]
    got = extract(decode_html((BUILT / f"{name}.html").read_bytes()))
    gold = (BUILT / f"{name}.gold.txt").read_text(encoding="utf-8")
    assert ngram_f1(got.text, gold) >= 0.95
    assert not _markers(got.text)
    assert got.container == container
    if title:
        assert got.title == title
    assert got.published == (datetime.date.fromisoformat(published) if published else None)
    assert needle in got.text.split("\n") or needle in got.text


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


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   \n ",
        "\x00\x01\x02",
        '<?xml version="1.0" encoding="utf-8"?>',
        "<html><body><div class='TRS_Editor'><p>未闭合",
        "<table><tr><td><table>",
        "</div></p></body>",
    ],
)
def test_bad_input_never_raises(html: str) -> None:
    got = extract(html)
    assert isinstance(got, Extraction)
    assert got.text == got.text.strip()


def test_binary_junk() -> None:
    got = extract(decode_html(os.urandom(20_000)))
    assert got.no_body and got.text == ""


def test_truncated_html_keeps_what_arrived() -> None:
    html = (REAL / f"{PINGTAN_2023}.html").read_text(encoding="utf-8")
    got = extract(html[: html.index("五、存在的主要问题")])
    assert got.text.startswith("本报告根据") and got.container == ".TRS_Editor"


def test_navigation_only_page_has_no_body() -> None:
    links = "".join(f"<li><a href='/col/{i}/'>栏目导航第{i}项</a></li>" for i in range(60))
    got = extract(
        f"<html><body><div class='nav'><ul>{links}</ul></div><ul>{links}</ul>"
        "<div class='footer'>主办单位：某某市人民政府办公室 网站标识码：1304000009</div></body></html>"
    )
    assert got.no_body and got.text == "" and got.container is None


def test_five_megabyte_page_completes() -> None:
    para = "<p>" + "本机关持续推进政府信息公开工作，全年主动公开政府信息若干条。" * 4 + "</p>"
    nav = "<div class='nav'>" + "".join(f"<a href='/{i}'>导航{i}</a>" for i in range(20)) + "</div>"
    html = "<html><body>" + nav * 1000 + "<table><tr><td>" + para * 13000 + "</td></tr></table></body></html>"
    assert len(html.encode()) > 5_000_000
    got = extract(html)
    assert got.container == "density" and got.text.count("\n") == 12999


def test_deeply_nested_page() -> None:
    got = _body("<div>" * 600 + "<p>深层嵌套的正文内容，仍然需要被提取出来。</p>" + "</div>" * 600)
    assert got.text == "深层嵌套的正文内容，仍然需要被提取出来。"


def test_bytes_input_is_decoded() -> None:
    raw = "<html><body><div id='zoom'><p>字节输入的正文，镕。</p></div></body></html>".encode("gbk")
    assert extract(raw).text == "字节输入的正文，镕。"
