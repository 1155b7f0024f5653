"""Report year and publish date rules (docs/reference/report-format.md §10) on the seeds and on edge cases."""

from datetime import date

import pytest

from pipelines.text.dates import (
    FIRST,
    PERIOD,
    ReportYear,
    find_date,
    report_year,
    signature_date,
    url_date,
)
from pipelines.text.html.metadata import bar_date
from tests.support import DEMO_SEEDS

SEEDS = DEMO_SEEDS


def seed(n: int) -> str:
    (path,) = SEEDS.glob(f"{n:03d}_*.txt")
    return path.read_text(encoding="utf-8")


TITLES = {
    0: "大安市慧阳街道办事处2014年度政府信息公开工作年度报告",
    1: "新抚区站前街道2017年信息公开工作年度报告",
    2: None,
    3: "长征街道政务公开年度报告",
    4: "2011年宝泉山镇政府信息公开年度报告",
}


# --- seeds: the "Expected results" table of shared/seeds/README.md ---------------------------------------

# seed: (PERIOD year, FIRST year, PUB, SIGN)
EXPECTED = {
    0: (None, 2014, date(2015, 3, 18), date(2015, 3, 18)),
    1: (2017, None, date(2018, 3, 23), None),
    2: (None, None, None, None),
    3: (None, 2013, None, None),
    4: (None, None, date(2012, 3, 17), None),
}


@pytest.mark.parametrize("n", sorted(EXPECTED))
def test_seed_pub_and_sign(n):
    _, _, pub, sign = EXPECTED[n]
    text = seed(n)
    assert bar_date(text.splitlines()) == pub  # PUB: the metadata-bar field extraction reads
    assert signature_date(text) == sign


@pytest.mark.parametrize("n", sorted(EXPECTED))
def test_seed_report_year_without_title(n):
    """Without the title the body rules decide: PERIOD, then FIRST on the first paragraph only."""
    period, first, _, _ = EXPECTED[n]
    ry = report_year(None, seed(n), None)
    if period is not None:
        assert ry == ReportYear(period, "period")
    elif first is not None:
        assert ry == ReportYear(first, "first_paragraph")
    else:
        assert ry == ReportYear(None, "unknown")
    assert not ry.inferred


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, ReportYear(2014, "title")),
        (1, ReportYear(2017, "title")),
        (2, ReportYear(None, "unknown")),
        (3, ReportYear(2013, "first_paragraph")),
        (4, ReportYear(2011, "title")),
    ],
)
def test_seed_report_year_with_title(n, expected):
    pub = EXPECTED[n][2]
    ry = report_year(TITLES[n], seed(n), None)
    assert ry == expected
    # the report year precedes the publish year where both are known
    if pub and ry.year:
        assert ry.year == pub.year - 1


def test_seed_001_period_lost_year_month():
    m = PERIOD.search("本报告中所列数据的统计期限自201711日起至20171231日止。")
    assert m and m.group(1) == "2017"
    assert report_year(None, seed(1), date(2018, 3, 23)) == ReportYear(2017, "period")


def test_seed_001_ignores_crawl_date_banner():
    text = seed(1)
    assert "今天是:2024年4月23日" in text
    assert bar_date(text.splitlines()) == date(2018, 3, 23)
    assert bar_date(["今天是:2024年4月23日 星期二", "正文"]) is None


def test_seed_002_not_2009():
    """The only "YYYY年," line in seed 002 is the next-year plan; FIRST must not scan the body."""
    text = seed(2)
    assert "2009年," in text or "2009年，" in text
    ry = report_year(None, text, None)
    assert ry.year != 2009
    assert ry == ReportYear(None, "unknown")


def test_seed_000_signature_lost_year_char():
    assert "20153月18日" in seed(0)
    assert signature_date(seed(0)) == date(2015, 3, 18)


def test_seed_004_first_paragraph_has_no_leading_year():
    # first paragraph starts "为切实推进…"; the in-body subtitle is skipped, not mistaken for the body
    assert report_year(None, seed(4), date(2012, 3, 17)) == ReportYear(2011, "publish_year")


# --- report_year rules -------------------------------------------------------------------------------------


def test_report_year_order_title_first():
    text = "本报告统计期限自2016年1月1日起至2016年12月31日止。"
    assert report_year("某某局2017年政府信息公开工作年度报告", text, None) == ReportYear(2017, "title")
    assert report_year("某某局政府信息公开工作年度报告", text, None) == ReportYear(2016, "period")


def test_report_year_period_variants():
    for text in (
        "统计期限自2018年1月1日起至2018年12月31日止",
        "统计期限为2018年1月1日至12月31日",
        "数据统计期限：2018年01月01日－2018年12月31日",
        "统计期限自2018 年 1 月 1 日到 2018 年 12 月 31 日",
        "自2018年1月1日—2018年12月31日",
    ):
        assert report_year(None, text, None) == ReportYear(2018, "period"), text


def test_report_year_period_cumulative_takes_end_year():
    text = "历年累计统计期限自2008年1月1日至2017年12月31日。"
    assert report_year(None, text, None) == ReportYear(2017, "period")


def test_report_year_first_paragraph_only():
    text = "某某街道\n本年度我街道认真落实条例要求，做好公开工作。\n2009年，我街道将继续努力。"
    assert report_year(None, text, None) == ReportYear(None, "unknown")
    assert report_year(None, "2014年度，慧阳街道按照部署，开展工作。", None) == ReportYear(
        2014, "first_paragraph"
    )
    assert FIRST.match("   2014年,慧阳街道")
    assert FIRST.match("2013年，长征街道")
    assert not FIRST.match("根据2013年，")


def test_report_year_first_skips_title_and_chrome():
    text = (
        "某某街道2015年政务公开年度报告\n发布日期:2016-02-01  点击数:\n"
        "2015年，某某街道在区委领导下，做好公开工作。"
    )
    assert report_year(None, text, None) == ReportYear(2015, "first_paragraph")


def test_report_year_ignores_years_after_publish_year():
    text = "2019年，我局将继续深化政务公开工作，加强平台建设。"
    assert report_year(None, text, date(2018, 2, 1)) == ReportYear(2017, "publish_year")


def test_report_year_inferred_from_publish_date():
    ry = report_year(None, "正文没有年份。", date(2020, 1, 20))
    assert ry == ReportYear(2019, "publish_year")
    assert ry.inferred
    assert not ReportYear(2019, "title").inferred
    assert report_year(None, "", None) == ReportYear(None, "unknown")
    assert not report_year(None, "", None).inferred


def test_report_year_frozen():
    ry = ReportYear(2019, "title")
    with pytest.raises(AttributeError):
        ry.year = 2020  # type: ignore[misc]


# --- URL dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202403/t20240308_87885.htm", date(2024, 3, 8)),
        ("https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202302/t20230220_80629.htm", date(2023, 2, 20)),
        ("http://www.example.gov.cn/art/2021/9/30/art_12377_1452512.html", date(2021, 9, 30)),
        ("http://www.example.gov.cn/art/2022/01/07/art_1_2.html", date(2022, 1, 7)),
        ("http://www.example.gov.cn/xxgk/20230331/abc.html", date(2023, 3, 31)),
        # month folder only: no day → None
        ("http://www.shuyang.gov.cn/sygfj/gknb/202401/2ecfb31a335f4d689220a3a23e24a986.shtml", None),
        ("http://www.example.gov.cn/zwgk/202403/", None),
        # invalid dates
        ("http://www.example.gov.cn/202413/t20241399_1.htm", None),
        ("http://www.example.gov.cn/art/2021/2/30/art_1_2.html", None),
        ("http://www.example.gov.cn/20230231/x.html", None),
        ("http://www.example.gov.cn/index.html", None),
        ("", None),
    ],
)
def test_url_date(url, expected):
    assert url_date(url) == expected


def test_url_date_invalid_trs_falls_through_to_next_pattern():
    assert url_date("http://x.gov.cn/20240301/t20241399_1.htm") == date(2024, 3, 1)


# --- find_date / SIGN -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("2015-03-18", date(2015, 3, 18)),
        ("2015-03-18 09:30", date(2015, 3, 18)),
        ("2020年08月02日", date(2020, 8, 2)),
        ("2018/3/23", date(2018, 3, 23)),
        ("2022-04-24 10:00:43", date(2022, 4, 24)),
        (" 2019.01.10 ", date(2019, 1, 10)),
        ("发布日期:2015-03-18", date(2015, 3, 18)),
        ("[2023 - 1 - 5]", date(2023, 1, 5)),
        ("2015-02-30", None),
        ("2015-02-30 更新于 2015-03-01", None),  # the first printed date decides
        ("2015-13-01", None),
        ("2015-03", None),
        ("", None),
        (None, None),
        ("abc", None),
    ],
)
def test_find_date(s, expected):
    assert find_date(s) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("正文\n\n某某街道办事处\n2015年3月18日\n\n", date(2015, 3, 18)),
        ("正文\n" + " " * 50 + "慧阳街道办事处" + " " * 80 + "20153月18日", date(2015, 3, 18)),
        ("正文\n某某局 2020年1月6日", date(2020, 1, 6)),
        ("正文\n二〇一五年三月十八日", date(2015, 3, 18)),
        ("正文\n二〇二〇年十二月三十一日", date(2020, 12, 31)),
        ("2015年3月18日\n长征街道办事处", None),  # only the last line counts
        ("正文\n网站标识码:2104020005 ICP备案:", None),
        ("正文\n2015年2月30日", None),
        ("", None),
    ],
)
def test_signature_date(text, expected):
    assert signature_date(text) == expected
