"""The statistics-table reader and the form's identities, on real reports with hand-typed golds."""

from __future__ import annotations

import random

import pytest

from nianbao.demo import bodies
from pipelines.text.documents import extract_document
from pipelines.text.fingerprint import tidy
from pipelines.text.statistics import read_statistics
from tests.support.realworld import REALWORLD, needs_realworld
from tests.support.statistics import (
    HUAIAN_GOLD,
    PINGTAN_GOLD,
    SHUYANG_GOLD,
    STATISTICS_CORPUS,
    cell_diff,
    huaian_text,
    load_gold,
    pingtan_text,
    shuyang_text,
)


def test_pingtan_real_page_equals_hand_typed_gold() -> None:
    stats, findings = read_statistics(pingtan_text())
    cells, wrong = cell_diff(load_gold(PINGTAN_GOLD), stats)
    assert cells > 200
    assert wrong == []
    assert findings == []
    assert stats is not None and stats["format"] == "2021"


def test_word_pasted_table_with_blank_legal_person_cells_equals_gold() -> None:
    """Shuyang 2023: blank cells stay null, the old label 规范性文件 in a 2021 table, headers split in spans."""
    stats, findings = read_statistics(shuyang_text())
    assert cell_diff(load_gold(SHUYANG_GOLD), stats)[1] == []
    assert stats is not None and stats["applications"]["new"]["commercial"] is None
    assert findings == []


def test_huaian_pdf_tables_equal_the_given_gold_cell_for_cell() -> None:
    """Input: poppler's layout text of the real PDF as tab rows (wrapped labels, split group heads)."""
    stats, findings = read_statistics(huaian_text())
    cells, wrong = cell_diff(load_gold(HUAIAN_GOLD), stats)
    assert cells == 207
    assert wrong == []
    assert findings == []


@needs_realworld
def test_huaian_real_pdf_through_our_reader_equals_the_given_gold() -> None:
    """End to end as a crawl stores it: the real WPS PDF read by pipelines.text.documents, tidied, then read."""
    pdf = REALWORLD / "pdf_js_huaian_city_2024_zfxxgk_annual_report_wps.pdf"
    document = extract_document(pdf.read_bytes(), name=pdf.name, mime="application/pdf")
    stats, findings = read_statistics(tidy(document.text))
    cells, wrong = cell_diff(load_gold(REALWORLD / (pdf.stem + ".statistics.json")), stats)
    assert cells == 207
    assert wrong == []
    assert findings == []


def test_huaian_raw_layout_text_reads_the_same() -> None:
    raw = (STATISTICS_CORPUS / "pdf_js_huaian_city_2024.pdftotext-layout.txt").read_text()
    stats, _ = read_statistics(raw)
    assert cell_diff(load_gold(HUAIAN_GOLD), stats)[1] == []


def _replace_appeals(text: str, row: str) -> str:
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("1\t1\t0\t0\t2\t"))
    lines[index] = row
    return "\n".join(lines)


def test_as_printed_inconsistency_is_a_finding_and_numbers_stay_as_printed() -> None:
    """The county case of the issue: review total printed 0 under 10 upheld and 1 corrected."""
    text = _replace_appeals(pingtan_text(), "\t".join(["10", "1", "0", "0", "0"] + ["0"] * 10))
    stats, findings = read_statistics(text)
    assert stats is not None
    assert stats["appeals"]["review"] == {"upheld": 10, "corrected": 1, "other": 0, "pending": 0, "total": 0}
    assert findings == [{
        "check": "appeal_total", "cell": "appeals.review.total", "printed": 0, "computed": 11,
        "cells": {"appeals.review.total": 0, "appeals.review.upheld": 10, "appeals.review.corrected": 1,
                  "appeals.review.other": 0, "appeals.review.pending": 0},
    }]


def test_row_total_results_total_and_balance_findings() -> None:
    text = pingtan_text().replace("（一）予以公开\t22\t0\t0\t0\t0\t0\t22", "（一）予以公开\t22\t0\t0\t0\t0\t0\t23")
    text = text.replace("四、结转下年度继续办理\t0\t0\t0\t0\t0\t0\t0", "四、结转下年度继续办理\t2\t0\t0\t0\t0\t0\t2")
    _, findings = read_statistics(text)
    got = {(f["check"], f["cell"], f["printed"], f["computed"]) for f in findings}
    assert got == {
        ("row_total", "applications.results.public.total", 23, 22),
        ("results_total", "applications.results.total.total", 81, 82),
        ("balance", "applications.results.total.natural_person", 80 + 2, 80),  # 总计 + 结转 vs 新收 + 上年结转
        ("balance", "applications.results.total.total", 81 + 2, 81),
    }


_TABLE_2019 = """三、收到和处理政府信息公开申请情况
（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t申请人情况
个人\t法人或其他组织\t总计
商业 企业\t科研 机构\t社会公益组织\t法律服务机构
一、本年新收政府信息公开申请数量\t５\t1\t\t\t\t6
二、上年结转政府信息公开申请数量\t0\t0\t\t\t\t0
三、本年度办理结果\t（一）予以公开\t3\t1\t\t\t\t4
（二）部分公开（区分处理的, 只计这一情形, 不计其他情形）\t0\t0\t\t\t\t0
（三）不予公开\t1. 属于国家秘密\t0\t0\t\t\t\t0
2.其他法律行政法规禁止公开\t0\t0\t\t\t\t0
3.危及"三安全一稳定"\t0\t0\t\t\t\t0
4.保护第三方合法权益\t0\t0\t\t\t\t0
5.属于三类内部事务信息\t0\t0\t\t\t\t0
6.属于四类过程性信息\t0\t0\t\t\t\t0
7.属于行政执法案卷\t0\t0\t\t\t\t0
8.属于行政查询事项\t0\t0\t\t\t\t0
三、本年度办理结果\t（四）无法提供\t1.本机关不掌握相关政府信息\t1\t0\t\t\t\t1
2.没有现成信息需要另行制作\t0\t0\t\t\t\t0
3.补正后申请内容仍不明确\t0\t0\t\t\t\t0
（五）不予处理\t1.信访举报投诉类申请\t0\t0\t\t\t\t0
2.重复申请\t0\t0\t\t\t\t0
3.要求提供公开出版物\t0\t0\t\t\t\t0
4.无正当理由大量反复申请\t0\t0\t\t\t\t0
5.要求行政机关确认或重新出具已获取信息\t0\t0\t\t\t\t0
（六）其他处理\t1\t0\t\t\t\t1
（七）总计\t5\t1\t\t\t\t6
四、结转下年度继续办理\t0\t0\t\t\t\t0
四、政府信息公开行政复议、行政诉讼情况
000000000000000
五、存在的主要问题及改进情况"""


def test_2019_format_variants_missing_other_column_blank_cells_and_digit_run() -> None:
    """2019 single （六） row, 个人 for 自然人, 全角 digit, spaces inside words, no 其他 column, blanks."""
    stats, findings = read_statistics(_TABLE_2019)
    assert stats is not None and stats["format"] == "2019"
    apps = stats["applications"]
    assert apps["new"] == {"natural_person": 5, "commercial": 1, "research": None, "social_welfare": None,
                           "legal_services": None, "other": None, "total": 6}
    assert apps["results"]["other"]["total"] == 1
    assert apps["results"]["cannot_provide"]["not_held"]["natural_person"] == 1
    assert "extra_rows" not in stats
    assert stats["appeals"]["litigation_after_review"]["total"] == 0
    assert findings == []


@pytest.mark.parametrize("year", [2019, 2020, 2021, 2023, 2025])
def test_demo_formatted_reports_all_parse_snapshot(year: int) -> None:
    """Snapshot of the demo generator's reports (not quality): every table read, every identity holds."""
    for seed in range(5):
        blocks = bodies.formatted_report(random.Random(f"{year}:{seed}"), "示例县", year)
        stats, findings = read_statistics(bodies.body_text(blocks))
        assert stats is not None
        assert stats["format"] == ("2021" if year >= 2021 else "2019")
        assert findings == []
        assert set(stats["active"]) >= {"rules", "normative_documents", "licensing", "penalty", "coercion", "fees"}
        assert all(v is not None for v in stats["applications"]["results"]["total"].values())


def test_text_without_tables_gives_none() -> None:
    assert read_statistics("一、总体情况\n2015年，本机关共收到申请3件。") == (None, [])
