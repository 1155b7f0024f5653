"""The compliance view (`nianbao compliance`, `/compliance`) on a real crawl of the compliance demo portals.

The expected grid is typed by hand from what the demo portals publish (nianbao/demo/compliance.py's table:
publish dates against 31 January / 31 March, which report has no tables, which one's tables do not add up),
never taken from the view's own output. Runs on SQLite and PostgreSQL; the page is checked in Chromium.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from nianbao.demo import DemoServer, compliance_portals
from nianbao.web import compliance as page_module
from nianbao.web import create_app
from storage import Archive, PortalSpec
from storage.archive.compliance import Deadlines, organ_key, organ_level
from tests.support.browser import chromium_page, require_browser, serving, shot
from tests.support.commands import run_cmd
from tests.support.monitoring import crawl
from tests.support.records import rec

YEARS = [2021, 2022, 2023, 2024]
# (portal, organ, level) → per year: status, then "n" no tables / "!" tables do not add up
EXPECTED = {
    ("fusong", "抚松县", "government"): ["missing", "missing", "missing", "missing"],
    ("jingyu", "靖宇县", "government"): ["on_time", "late", "on_time", "on_time"],
    ("jingyu", "靖宇县财政局", "department"): ["on_time", "late", "missing", "on_time n"],
    ("jingyu", "靖宇县濛江乡", "subcounty"): ["missing", "on_time !", "missing", "missing"],
}


def _crawled(db_url: str) -> Archive:
    """The compliance demo portals registered (with display names) and crawled for real over loopback."""
    archive = Archive(db_url)
    portals = compliance_portals()
    for p in portals:
        archive.add_portal(PortalSpec(name=p.name, display_name=p.display_name, homepage=p.homepage,
                                      column_urls=p.column_urls, cms=p.cms, level=p.level, region=p.region,
                                      region_code=p.region_code), replace=True)
    with DemoServer(portals) as server:
        crawl(server, db_url)
    return archive


def _summary(archive: Archive, **kw: object) -> dict[tuple[str, str, str], list[str]]:
    grid = archive.compliance(**kw)  # type: ignore[arg-type]
    out = {}
    for row in grid.rows:
        marks = []
        for cell in row.cells.values():
            flag = "" if cell.status == "missing" else (" n" if not cell.tables else (" !" if cell.findings else ""))
            marks.append(cell.status + flag)
        out[(row.portal, row.organ, row.level)] = marks
    return out


@pytest.fixture
def crawled(db_url: str) -> Iterator[tuple[str, Archive]]:
    yield db_url, _crawled(db_url)


@pytest.mark.e2e  # a real crawl and/or a real browser
def test_grid_on_the_demo_archive(crawled: tuple[str, Archive]) -> None:
    _, archive = crawled
    grid = archive.compliance()
    assert grid.years == YEARS
    assert _summary(archive) == EXPECTED
    late = {(r.organ, y): c.days_late for r in grid.rows for y, c in r.cells.items() if c.status == "late"}
    assert late == {("靖宇县", 2022): 12, ("靖宇县财政局", 2022): 15}  # 04-12 vs 03-31; 02-15 vs 01-31
    # filters and order
    assert list(_summary(archive, level="department")) == [("jingyu", "靖宇县财政局", "department")]
    assert {k[0] for k in _summary(archive, region="220622")} == {"jingyu"}
    assert {k[0] for k in _summary(archive, region="抚松")} == {"fusong"}
    assert archive.compliance(sort="missing").rows[0].organ == "抚松县"
    assert archive.compliance(first=2022, last=2023).years == [2022, 2023]
    # a department deadline of 28 February makes the finance bureau's 2022 report (15 February) on time
    later = Deadlines.parse("02-28", "03-31", "03-31", 2019)
    assert _summary(archive, deadlines=later)[("jingyu", "靖宇县财政局", "department")][1] == "on_time"


@pytest.mark.e2e  # a real crawl and/or a real browser
def test_cli_prints_and_exports_the_grid(crawled: tuple[str, Archive]) -> None:
    db_url, _ = crawled
    text = run_cmd(["nianbao", "compliance", "--db", db_url])
    assert text.returncode == 0, text.stderr
    lines = {line.split()[0]: line.split()[3:] for line in text.stdout.splitlines()[1:5]}
    assert lines == {"抚松县": ["-", "-", "-", "-"], "靖宇县": ["O", "L", "O", "O"],
                     "靖宇县财政局": ["O", "L", "-", "On"], "靖宇县濛江乡": ["-", "O!", "-", "-"]}
    assert "4 organ(s), 4 year(s): 8 missing, 2 late" in text.stdout
    exported = run_cmd(["nianbao", "compliance", "--db", db_url, "--format", "csv", "--level", "subcounty"])
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [(r["organ"], r["year"], r["status"], r["findings"]) for r in rows] == [
        ("靖宇县濛江乡", "2021", "missing", ""), ("靖宇县濛江乡", "2022", "on_time", "2"),
        ("靖宇县濛江乡", "2023", "missing", ""), ("靖宇县濛江乡", "2024", "missing", "")]
    bad = run_cmd(["nianbao", "compliance", "--db", db_url, "--deadline-department", "02-30"])
    assert bad.returncode == 2 and "MM-DD" in bad.stderr and "Traceback" not in bad.stderr


def test_organ_level_from_the_name() -> None:
    assert organ_level("大安市慧阳街道办事处") == organ_level("靖宇县濛江乡人民政府") == "subcounty"
    assert organ_level("长白镇") == organ_level("两家子镇人民政府") == "subcounty"
    assert organ_level("靖宇县人民政府") == organ_level("大安市") == "government"
    assert organ_level("靖宇县财政局") == organ_level("大安市人民政府办公室") == "department"
    assert organ_level(None, "department") == "department"
    assert organ_key("大安市人民政府") == organ_key("大安市") == "大安市"  # one row, however the report names it
    assert organ_key("大安市临江街道办事处") == "大安市临江街道"
    assert Deadlines().due("department", 2022).isoformat() == "2023-01-31"
    assert Deadlines().due("department", 2015).isoformat() == "2016-03-31"  # 2007 Regulations Art. 31


def test_an_organ_printed_without_its_place_is_one_row(db_url: str) -> None:
    """Titles print "财政局" one year and "靖宇县财政局" the next: one organ, one row; another county's 财政局 and a
    name whose prefix is not this portal's place stay apart."""
    archive = Archive(db_url)
    archive.add_portal(PortalSpec(name="jingyu", homepage="http://jingyu.test/", region="吉林省白山市靖宇县",
                                  level="county"))
    archive.add_portal(PortalSpec(name="other", homepage="http://other.test/", region="吉林省白山市抚松县",
                                  level="county"))
    for i, (portal, organ, year) in enumerate([("jingyu", "靖宇县财政局", 2022), ("jingyu", "财政局", 2023),
                                               ("jingyu", "长白县财政局", 2023), ("other", "财政局", 2023)]):
        archive.record(rec(f"http://{portal}.test/{i}.html", f"{organ}{year}年政府信息公开工作年度报告 {i}",
                           organ=organ, report_year=year, portal=portal, published=dt.date(year + 1, 1, 20)))
    summary = _summary(archive)
    # " n": these texts print no statistics tables
    assert summary == {("jingyu", "靖宇县财政局", "department"): ["on_time n", "on_time n"],
                       ("jingyu", "长白县财政局", "department"): ["missing", "on_time n"],
                       ("other", "财政局", "department"): ["missing", "on_time n"]}


def test_the_grid_follows_every_change_to_the_archive(db_url: str) -> None:
    """The grouped organs are kept between grids (storage.archive.compliance.ComplianceIndex): a report stored,
    a publish date corrected, a portal registered by another connection show in the very next grid."""
    archive = Archive(db_url)
    archive.add_portal(PortalSpec(name="jingyu", homepage="http://jingyu.test/", region="吉林省白山市靖宇县",
                                  level="county"))

    def report(n: int, year: int, published: dt.date) -> None:
        archive.record(rec(f"http://jingyu.test/{n}.html", f"靖宇县{year}年政府信息公开工作年度报告 {n}",
                           organ="靖宇县", report_year=year, portal="jingyu", published=published))

    report(1, 2022, dt.date(2023, 3, 1))
    assert _summary(archive) == {("jingyu", "靖宇县", "government"): ["on_time n"]}
    report(2, 2023, dt.date(2024, 5, 1))
    assert _summary(archive) == {("jingyu", "靖宇县", "government"): ["on_time n", "late n"]}
    other = Archive(db_url)  # another connection pool, as a crawl in another process would write
    with other.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE report SET published = '2024-03-01' WHERE report_year = 2023")
    other.add_portal(PortalSpec(name="fusong", homepage="http://fusong.test/", region="吉林省白山市抚松县"))
    assert _summary(archive) == {("jingyu", "靖宇县", "government"): ["on_time n", "on_time n"],
                                 ("fusong", "fusong", "government"): ["missing", "missing"]}
    assert _summary(archive, region="抚松") == {("fusong", "fusong", "government"): []}


def test_a_region_name_is_matched_in_any_case_as_the_search_filter_matches_it(db_url: str) -> None:
    archive = Archive(db_url)
    for name, region in (("hk", "Hong Kong SAR"), ("macao", "MACAO SAR"), ("jingyu", "吉林省白山市靖宇县")):
        archive.add_portal(PortalSpec(name=name, homepage=f"http://{name}.test/", region=region, level="county"))
        archive.record(rec(f"http://{name}.test/1.html", f"{name} 2023年政府信息公开工作年度报告", organ=name,
                           report_year=2023, portal=name, published=dt.date(2024, 3, 1)))
    for region in ("hong kong", "HONG KONG", "sar", "Macao", "靖宇"):
        views = [archive.get_report(hit.id) for hit in archive.search(None, region=region)]
        searched = {s.portal for view in views if view for s in view.sightings}
        assert {k[0] for k in _summary(archive, region=region)} == searched != set(), region


@pytest.mark.e2e  # a real crawl and/or a real browser
def test_compliance_page_in_chromium(sqlite_url: str) -> None:
    sync_api = require_browser()
    _crawled(sqlite_url)
    with serving(sqlite_url) as base, chromium_page(sync_api) as page:
        p = page  # type: ignore[assignment]
        p.goto(base + "/")
        p.click("text=合规 compliance")
        assert p.url.startswith(base + "/compliance")
        cells = p.eval_on_selector_all(
            "#grid tbody tr", "rows => rows.map(r => [r.dataset.organ, r.dataset.level, "
            "[...r.querySelectorAll('td.cell')].map(c => c.dataset.status + (c.querySelector('[data-flag=no-tables]')"
            " ? ' n' : '') + (c.querySelector('[data-flag=findings]') ? ' !' : ''))])")
        assert {(organ, level): marks for organ, level, marks in cells} == {
            (organ, level): marks for (_, organ, level), marks in EXPECTED.items()}
        assert p.eval_on_selector_all("#grid th.y", "ths => ths.map(t => t.textContent)") == [str(y) for y in YEARS]
        shot(p, "compliance")
        p.select_option("select[name=level]", "department")
        p.click("text=Show 显示")
        assert p.eval_on_selector_all("#grid tbody tr", "rows => rows.map(r => r.dataset.organ)") == ["靖宇县财政局"]
        assert "逾期" in p.inner_text("#grid td[data-year='2022']") and "+15天" in p.inner_text("#grid")
        href = p.get_attribute("#export", "href")
        assert href == "/compliance.csv?level=department&sort=region"
        p.click("#grid thead >> text=未见")
        assert "sort=missing" in p.url
        p.set_viewport_size({"width": 390, "height": 844})
        shot(p, "compliance-phone")
        assert p.evaluate("document.documentElement.scrollWidth") <= 390  # the grid scrolls inside its box
        csv_text = p.request.get(base + href).text()
        assert csv_text.lstrip("\ufeff").startswith("portal,region,region_code,organ,level,year,status")


def test_the_page_shows_the_organs_a_hundred_at_a_time(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The grid's page shows ROWS_PER_PAGE organs (300 × 17 years in one page were 1.1 MB of HTML); the totals and
    the CSV cover every organ, the pager walks them in the grid's order, a page past the end shows the last."""
    monkeypatch.setattr(page_module, "ROWS_PER_PAGE", 2)
    archive = Archive(sqlite_url)
    for n in range(5):
        archive.add_portal(PortalSpec(name=f"p{n}", homepage=f"http://p{n}.test/", region=f"吉林省{n}县"))
    client = TestClient(create_app(archive))
    seen = []
    for number in (1, 2, 3):
        html = client.get("/compliance", params={"page": number}).text
        seen += re.findall(r'<a href="/portals/(p\d)">', html)
        assert "5 organ(s)" in html and ("next →" in html) == (number < 3), number
    assert seen == [f"p{n}" for n in range(5)]
    assert re.findall(r'<a href="/portals/(p\d)">', client.get("/compliance?page=99").text) == ["p4"]
    assert client.get("/compliance?page=0").status_code == 422
    assert len(client.get("/compliance.csv").text.strip().splitlines()) == 1  # no year found yet: a header only
