"""Portal health, the run list and a run page in a real headless Chromium, and the pages at phone width.

Assertions read the rendered DOM; screenshots go to tests/artifacts/. Without Playwright or Chromium these tests
skip and say why.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browser import chromium_page, require_browser, serving, shot
from tests.support.run_history import EDITED_TITLE, NEW_TITLE, Runs, record_runs
from tests.support.sample_archive import SAMPLES, load

pytestmark = pytest.mark.e2e  # a real browser against a real server: `pytest -m "not e2e"` skips it

sync_api = require_browser()
PHONE = 390


@pytest.fixture
def server(sqlite_url: str) -> Iterator[tuple[str, Runs, dict[str, int]]]:
    archive, ids = load(sqlite_url)
    runs = record_runs(archive)
    with serving(sqlite_url) as base:
        yield base, runs, ids


@pytest.fixture
def page() -> Iterator[object]:
    with chromium_page(sync_api) as p:
        yield p


def cells(p: object, row: str) -> list[str]:
    return [c.strip() for c in p.locator(f"{row} td").all_inner_texts()]  # type: ignore[attr-defined]


def test_portal_page_run_to_run(server: tuple[str, Runs, dict[str, int]], page: object) -> None:
    base, runs, _ = server
    p = page  # type: ignore[assignment]
    p.goto(base + "/portals/daan")
    assert p.locator("#runs tbody tr").count() == 3
    assert p.inner_text("#status .status").startswith("ok")
    assert p.inner_text("#last-success").startswith(f"run {runs.second},")
    second = cells(p, f"#run-{runs.second}")
    # run, started, took, finish | new, changed, unchanged, withdrawn, pages, errors, flags
    assert second[3:9] == ["finished", "0", "1", "1", "1", "2 / 2"]
    assert "no links (was 3)" in second[10] and "errors 50% (was 0%)" in second[10]
    errors = p.locator(f"#run-{runs.second} details.errors")
    assert not errors.locator("li").first.is_visible()  # folded until asked for
    errors.locator("summary").click()
    assert errors.locator("li").count() == 2 and errors.locator("li").first.is_visible()
    assert "HTTP 503" in errors.locator("li").first.inner_text()
    shot(p, "runs-1-portal")
    p.click(f"#run-{runs.second} td a")
    p.wait_for_load_state()
    assert p.inner_text("h1") == f"Crawl run {runs.second}"


def test_run_page_and_run_list(server: tuple[str, Runs, dict[str, int]], page: object) -> None:
    base, runs, _ = server
    p = page  # type: ignore[assignment]
    p.goto(base + "/runs")
    assert p.inner_text("#total") == "3 run(s), page 1 of 1"
    assert [t.strip() for t in p.locator("#runs tbody tr td:first-child").all_inner_texts()] == [
        str(runs.third), str(runs.second), str(runs.first)]
    assert cells(p, f"#run-{runs.first}")[4:] == ["daan xinfu", "9", "1", "0", "1"]
    shot(p, "runs-2-list")
    p.click(f"#run-{runs.first} td a")
    p.wait_for_load_state()
    assert p.inner_text("#summary .reports") == "1 new, 0 changed"
    assert p.locator("#portals tbody tr").count() == 2
    assert "challenged 3" in p.inner_text("#portals tbody tr:nth-child(2) td.flags")
    assert "瑞数" in p.inner_text("#errors")
    shot(p, "runs-3-run")
    p.click(f"#reports a:text('{NEW_TITLE}')")
    p.wait_for_load_state()
    assert p.inner_text("h1") == NEW_TITLE
    p.goto(base + f"/runs/{runs.second}")
    assert p.locator("#reports li.changed a").inner_text() == EDITED_TITLE


def test_nothing_is_cut_off_at_phone_width(server: tuple[str, Runs, dict[str, int]]) -> None:
    base, runs, ids = server
    with chromium_page(sync_api, width=PHONE, height=800) as p:
        for name, path in (("search", "/?q=年度报告"), ("report", f"/reports/{ids[SAMPLES[6].title]}"),
                           ("portal", "/portals/daan"), ("runs", "/runs"), ("run", f"/runs/{runs.first}")):
            p.goto(base + path)  # type: ignore[attr-defined]
            width = p.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")  # type: ignore[attr-defined]
            assert width[0] <= width[1] == PHONE, (path, width)
            shot(p, f"phone-{name}")
