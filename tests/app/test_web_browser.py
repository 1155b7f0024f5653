"""The web interface in a real headless Chromium: search, see highlighted matches, page through results,
open a report; hostile script from a portal never runs. Screenshots go to tests/artifacts/.

Needs the Debian ``chromium`` package and Playwright's Python package (``.ci/run`` installs both);
without them these tests skip and say why.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import ReportRecord
from tests.support.browser import chromium_page, require_browser, serving, shot
from tests.support.sample_archive import XSS_TITLE, load

pytestmark = pytest.mark.e2e  # a real browser against a real server: `pytest -m "not e2e"` skips it

sync_api = require_browser()


@pytest.fixture
def server(sqlite_url: str) -> Iterator[str]:
    """`nianbao serve` for real, in a subprocess, over an archive with more hits than one page."""
    archive, _ = load(sqlite_url)
    for i in range(25):
        archive.record(ReportRecord(url=f"http://extra.nianbao.test/{i}.html", content_sha256=f"{i:064x}",
                                    body=f"补充材料第{i}号：依申请公开收到申请{i}件。", title=f"补充报告{i:02d}"))
    with serving(sqlite_url) as base:
        yield base


@pytest.fixture
def page() -> Iterator[object]:
    with chromium_page(sync_api) as p:
        yield p


def test_search_highlight_page_and_open_a_report(server: str, page: object) -> None:
    p = page  # type: ignore[assignment]
    p.goto(server + "/")
    p.fill("input[name=q]", "依申请公开")
    p.fill("input[name=region]", "")
    p.click("button[type=submit]")
    p.wait_for_load_state()
    total = p.text_content("#total")
    assert "page 1 of 2" in total
    marks = p.locator(".snippet mark")
    assert marks.count() >= 20 and marks.first.text_content() == "依申请公开"
    shot(p, "1-search")
    first_page = p.locator("a.title").all_text_contents()
    p.click("a[rel=next]")
    p.wait_for_load_state()
    assert "page 2 of 2" in p.text_content("#total")
    second_page = p.locator("a.title").all_text_contents()
    assert len(first_page) == 20 and not set(first_page) & set(second_page)
    shot(p, "2-next-page")
    p.click("a[rel=prev]")
    p.locator("a.title", has_text="新抚区2023年政府信息公开工作年度报告").click()
    p.wait_for_load_state()
    assert p.text_content("h1") == "新抚区2023年政府信息公开工作年度报告"
    assert p.locator(".body mark").count() == 2  # both mentions in the text are marked
    assert p.locator("ul.sources a").first.get_attribute("href") == "http://www.xinfu.nianbao.test/2024/3.html"
    shot(p, "3-report")
    p.click("ul.sources a[href='/portals/xinfu']")
    p.wait_for_load_state()
    assert "辽宁省抚顺市新抚区" in p.text_content("main")
    shot(p, "4-portal")


def test_facet_narrows_the_search(server: str, page: object) -> None:
    p = page  # type: ignore[assignment]
    p.goto(server + "/?q=年度报告")
    p.locator(".facets a", has_text="street").click()
    p.wait_for_load_state()
    assert p.input_value("input[name=level]") == "street"
    assert sorted(p.locator("a.title").all_text_contents()) == sorted(
        ["新抚区站前街道2017年政府信息公开工作年度报告", "抚顺转载：大安市2021年政府信息公开工作年度报告",
         "大安市慧阳街道2023年信息公开工作年度报告"])  # a street office on a county portal, by its organ's name
    shot(p, "5-facet")


def test_facets_filters_and_export_buttons(server: str, page: object) -> None:
    """Click a format facet, see it in force, download the narrowed query as CSV, then remove the filter."""
    p = page  # type: ignore[assignment]
    p.goto(server + "/?q=年度报告")
    everything = p.text_content("#total")
    assert [h.text_content() for h in p.locator(".facets h3").all()] == [
        "year", "region", "level", "organ", "format", "attachments", "statistics"]
    p.locator("ul[data-facet=format] a", has_text="pdf").click()
    p.wait_for_load_state()
    assert p.text_content("#total").startswith("1 report")
    assert p.locator("a.title").all_text_contents() == ["新抚区2017年政府信息公开工作年度报告"]
    assert p.locator("#active-filters a.remove").all_text_contents() == ["format: pdf ×"]
    assert p.locator("#exports a.export").all_text_contents() == ["CSV", "JSONL", "PARQUET"]
    shot(p, "6-facet-format-and-exports")
    with p.expect_download() as download:
        p.click("#exports a[data-format=csv]")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert [r["title"] for r in rows] == ["新抚区2017年政府信息公开工作年度报告"]
    assert {"superseded", "superseded_by", "withdrawn"} <= set(rows[0])
    p.click("#active-filters a.remove")
    p.wait_for_load_state()
    assert p.text_content("#total") == everything and p.locator("#active-filters").count() == 0
    shot(p, "7-filter-removed")


def test_script_from_a_portal_never_runs(server: str, page: object) -> None:
    p = page  # type: ignore[assignment]
    dialogs: list[str] = []
    p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    p.goto(server + "/?q=恶意页面")
    p.locator("a.title").first.click()
    p.wait_for_load_state()
    assert p.text_content("h1") == XSS_TITLE  # shown as text
    assert p.evaluate("document.title") != "pwned" and p.locator("main script, main img").count() == 0
    shot(p, "6-hostile-report")
    assert dialogs == []

