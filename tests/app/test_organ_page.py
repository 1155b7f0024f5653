"""The organ page (in Chromium): an organ's statistics year by year, jumps flagged, charts drawn as inline SVG.

The 2023 tables are the real Pingtan page's (its hand-typed gold); the 2021 and 2022 tables are that gold with
the requests received changed by hand (12 and 30), so the expected figures below are known without our code.
"""

from __future__ import annotations

import copy
import hashlib

import pytest

from storage import Archive, PortalSpec, ReportRecord
from tests.support.browser import chromium_page, require_browser, serving, shot
from tests.support.statistics import PINGTAN_GOLD, load_gold

ORGAN = "平潭综合实验区管委会"
RECEIVED = {2021: 12, 2022: 30}


def _archive(db_url: str) -> None:
    archive = Archive(db_url)
    archive.add_portal(PortalSpec(name="pingtan", homepage="https://www.pingtan.gov.cn/"))
    gold = load_gold(PINGTAN_GOLD)
    for year in (2021, 2022, 2023):
        tables = copy.deepcopy(gold)
        if year in RECEIVED:
            tables["applications"]["new"]["total"] = RECEIVED[year]
        body = f"{ORGAN}{year}年度政府信息公开工作年度报告（正文）"
        sha = hashlib.sha256(body.encode()).hexdigest()
        archive.record(ReportRecord(url=f"https://www.pingtan.gov.cn/nb/{year}.htm", body=body, content_sha256=sha,
                                    title=f"{ORGAN}{year}年度政府信息公开工作年度报告", organ=ORGAN,
                                    report_year=year, portal="pingtan"))
        assert archive.record_statistics(sha, tables, [])


@pytest.mark.e2e  # a real browser against the real `nianbao serve`
def test_organ_page_tabulates_flags_and_charts_the_years(sqlite_url: str) -> None:
    sync_api = require_browser()
    _archive(sqlite_url)
    received_2023 = load_gold(PINGTAN_GOLD)["applications"]["new"]["total"]
    with serving(sqlite_url) as base, chromium_page(sync_api) as page:
        p = page  # type: ignore[assignment]
        answer = p.goto(f"{base}/organs?name=平潭")
        assert answer.status == 200 and "default-src 'none'" in answer.headers["content-security-policy"]
        assert p.inner_text("h2") == ORGAN
        years = p.eval_on_selector_all("table.series tbody tr", "rows => rows.map(r => r.dataset.year)")
        assert years == ["2021", "2022", "2023"]
        cells = p.eval_on_selector_all("table.series tbody tr td:nth-child(2)", "cells => cells.map(c => c.innerText)")
        assert cells == ["12", "30", str(received_2023)]
        jumps = p.inner_text("table.series tbody tr[data-year='2022'] td.jumps")
        assert "received 12→30" in jumps  # more than doubled, by 18 (≥ 10)
        assert p.locator("figure.chart svg").count() >= 1
        points = p.get_attribute("figure.chart svg polyline", "points").split()
        assert len(points) == 3
        heights = [float(point.split(",")[1]) for point in points]
        # larger values sit higher (smaller y): the chart follows the numbers in the table
        ranked = sorted(range(3), key=lambda i: [12, 30, received_2023][i])
        assert [heights[i] for i in ranked] == sorted(heights, reverse=True)
        shot(p, "organ-page")
        missing = p.goto(f"{base}/organs?name=没有这个机关")
        assert missing.status == 200 and "has statistics tables" in p.inner_text("#none")
