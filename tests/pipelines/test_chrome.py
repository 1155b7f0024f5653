"""Chrome-line filter: drop the chrome the seed texts really carry, keep real report sentences."""

from __future__ import annotations

import re

import pytest

from pipelines.text.chrome import _CASED, CHROME_MARKERS, drop_chrome_lines, is_chrome_line
from tests.support import CORPUS

SEEDS = CORPUS / "seeds"

# 1-based chrome line numbers per seeds/README.md.  Seed 001 L4 (重点民生和社会公益事业建设, a column
# name) is not listed: on its own it is indistinguishable from a body heading.
SEED_CHROME = {
    "000_30bb505db5fab203.txt": {3},
    "001_cfd0de9263bd219b.txt": {1, 2, 6, 64, 65},
    "002_04fc4cc63b3f6a03.txt": {1},
    "003_82bf83c2b99a23ec.txt": set(),
    "004_bafe864573e3aa29.txt": {1, 5},
}


@pytest.mark.parametrize("name", sorted(SEED_CHROME))
def test_seed_chrome_lines_exactly(name: str) -> None:
    lines = (SEEDS / name).read_text(encoding="utf-8").split("\n")
    dropped = {i for i, line in enumerate(lines, 1) if is_chrome_line(line)}
    assert dropped == SEED_CHROME[name]


@pytest.mark.parametrize("name", sorted(SEED_CHROME))
def test_seed_text_has_no_markers_after_filter(name: str) -> None:
    text = drop_chrome_lines((SEEDS / name).read_text(encoding="utf-8"))
    assert not [m for m in CHROME_MARKERS if m in text]


def test_required_markers_present() -> None:
    required = {
        "当前位置",
        "您现在的位置",
        "点击数",
        "浏览次数",
        "打印本页",
        "关闭窗口",
        "上一篇",
        "下一篇",
        "主办单位",
        "承办单位",
        "网站标识码",
        "ICP备",
        "公网安备",
        "技术支持",
        "版权所有",
        "分享到",
        "字号",
        "今天是",
    }
    assert required <= set(CHROME_MARKERS)


@pytest.mark.parametrize(
    "line",
    [
        "发布日期:2015-03-18    点击数:",
        "浏览:24950次'时间:2018年3月23日",
        "今天是:2024年4月23日 星期二",
        "今天是 2024年4月23日",
        "当前位置：首页 > 政府信息公开 > 年报",
        "您现在的位置：首页 » 政务公开",
        "首页->政府文件->近期信息公开",
        "新抚首页",
        "登录 |  注册",
        "字号：大 中 小",
        "【字体：大 中 小】【打印本页】【关闭窗口】",
        "【打印本页】【关闭窗口】【我要纠错】",
        "分享到：微信 微博 QQ空间",
        "扫一扫在手机打开当前页",
        "上一篇：某县2021年政府信息公开工作年度报告",
        "下一篇：无",
        "相关链接：",
        "相关文章",
        "主办单位：某县人民政府办公室 承办单位：某县大数据中心",
        "网站标识码:2104020005 ICP备案:   技术支持:经纬网络",
        "湘ICP备12345678号",
        "湘公网安备 43012102000123号",
        "Copyright © 2014 长征街道办事处 版权所有",
        # real footers (tests/extraction_corpus/realpages: Pingtan, gov.cn, Handan, 万载, 宜春)
        "网站标识码：3590000001",
        "闽ICP备09032658号",
        "版权所有：平潭综合实验区党工委管委会网站",
        "网站标识码bm01000001",
        "京ICP备05070218号　京公网安备11010202000001号",
        "网站标识码 1304000009",
        "技术支持：宜春市大数据发展管理局　版权所有：宜春市人民政府",
        "赣ICP备11002306号-1  网站标识码：3609220011  赣公网安备 36092202000105号 中文域名:万载政府网.政务  "
        "技术支持：万载县信息中心(0795-88919792)  版权所有：万载县人民政府门户网",
        "网站地图 | 联系我们 | 网站声明",
        "发布时间：2023-01-31 10:00 来源：某县人民政府办公室 字号：大 中 小",
        "发布时间：2023-01-31",
        "点击数：1234",
        "前言:本站為你精心整理了街道黨工委信息公開報(bào)告范文,希望能為你的創(chuàng)作提供參考價(jià)值。",
        "前言：本站为你精心整理了政府信息公开工作年度报告范文，希望能为你的创作提供参考价值。",
        "下载本文档",
        "下載本文檔",
        "免责声明：本站所有文章均来自网络",
        "免責聲明：本站所有文章均來自網絡",
        "（责任编辑：系统管理员）",
    ],
)
def test_chrome_lines_dropped(line: str) -> None:
    assert is_chrome_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "通过政府网站发布信息1234条",
        "本机关主办的政务新媒体发布信息86条。",
        "网站首页设置了政府信息公开专栏",
        "全年政府网站总访问量达12万次，点击量较上年增长20%。",
        "政务微博累计浏览量15万次，发布信息38条。",
        "及时在门户网站发布政策解读117篇。",
        "加强本街道门户网站内容的建设和管理，认真及时做好政府信息公开工作。",
        "由区大数据中心提供技术支持，网站运行平稳。",
        "主办“政府开放日”活动12场，邀请群众代表参与。",
        "按照“谁发布、谁负责”的原则，严格落实发布前审核制度。",
        "发布时间节点限制等方面具体要求定期进行抽查。",
        "政府信息公开网站首页改版后，信息检索更加便捷。",
        "在较为显眼的位置设置相关链接，方便查找政府信息。",
        "共办理上一年度结转申请1件。",
        "通过扫码、在线访谈等方式回应社会关切。",
        "2023年，无收取信息处理费情况。",
        "来源：国家统计局",
        "一、总体情况",
        "中华人民共和国政府信息公开条例",
        "（一）主动公开方面",
        "行政许可\t2629",
        "宝泉山镇2011年政府信息公开工作报告",
        "编辑印发政务公开工作简报12期。",
        # 平台建设 sections name the footer's own items (issue 10); a sentence is never a footer
        "规范展示网站标识码、ICP备案编号和公安机关备案标识。",
        "在网站底部规范展示网站标识码、ICP备案编号和公安机关备案编号，网站运行安全平稳。",
        "（二）规范展示网站标识码、ICP备案编号",
        "我区门户网站标识码为3590000001，ICP备案号为闽ICP备09032658号，均在网站底部规范展示",
        "由区大数据中心提供技术支持：统一部署、集约建设，保障版权所有人合法权益。",
    ],
)
def test_body_sentences_kept(line: str) -> None:
    assert not is_chrome_line(line)


def test_drop_keeps_order_and_blank_lines() -> None:
    text = "当前位置：首页\n\n一、总体情况\n正文第一段。\n【打印本页】【关闭窗口】\n"
    assert drop_chrome_lines(text) == "\n一、总体情况\n正文第一段。\n"


def test_footer_needs_re_i_only_on_lines_with_a_character_it_folds_to_an_ascii_letter() -> None:
    """The footer shapes run without re.I on lines _CASED finds nothing in: it must hold every character re.I
    equates with an ASCII letter (Python's case folding, not ours, decides which)."""
    folds = re.compile("[a-z]", re.I)
    assert {c for c in map(chr, range(0x110000)) if folds.fullmatch(c)} == {
        c for c in map(chr, range(0x110000)) if _CASED.fullmatch(c)}
    for line in ("ICP备12345678号", "ıcp备12345678号", "copyrİght 2024", "All RIGHTS reſerved"):
        assert is_chrome_line(line)
