"""Statistics in the archive: stored by content hash, read back, filtered; filled by a real crawl."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from crawler.items import ReportItem
from pipelines.components import run_errors
from pipelines.statistics import StatisticsPipeline, reread_statistics, store_statistics
from pipelines.text.fingerprint import fingerprint
from pipelines.text.statistics import read_statistics
from storage import Archive, PortalSpec, ReportRecord
from tests.support import CORPUS
from tests.support.commands import run_cmd
from tests.support.sites import Answer, StaticSites
from tests.support.statistics import PINGTAN_GOLD, cell_diff, load_gold, pingtan_text

PINGTAN = "www.pingtan.gov.cn"
DETAIL = "/zwgk/zfxxgk/zfxxgknb/202403/t20240308_87885.htm"


def _store(archive: Archive, text: str, url: str, organ: str, year: int) -> str:
    sha = fingerprint(text)
    archive.record(ReportRecord(url=url, content_sha256=sha, body=text, organ=organ, report_year=year))
    return sha


def test_store_read_back_filter_and_replace(db_url: str) -> None:
    archive = Archive(db_url)
    text = pingtan_text()
    sha = _store(archive, text, "http://a.gov.cn/2023.htm", "平潭综合实验区", 2023)
    broken = text.replace("1\t1\t0\t0\t2\t", "10\t1\t0\t0\t0\t")
    sha_broken = _store(archive, broken, "http://a.gov.cn/2022.htm", "平潭综合实验区", 2022)
    plain = _store(archive, "一、总体情况\n本年无申请。", "http://b.gov.cn/x.htm", "某县", 2023)
    assert store_statistics(archive, sha, text) == (True, 0)
    assert store_statistics(archive, sha_broken, broken) == (True, 1)
    assert store_statistics(archive, plain, "一、总体情况\n本年无申请。") == (False, 0)
    assert archive.record_statistics("0" * 64, {}, []) is False

    (first, second) = archive.statistics_series(organ="平潭")
    assert (first.report_year, second.report_year) == (2022, 2023)
    assert second.statistics == read_statistics(text)[0]  # JSON round trip keeps ints, floats and nulls
    assert cell_diff(load_gold(PINGTAN_GOLD), second.statistics)[1] == []
    assert first.findings[0]["check"] == "appeal_total" and first.findings[0]["printed"] == 0
    assert archive.statistics_report_ids(inconsistent=True) == [first.report_id]
    assert archive.statistics_report_ids(received_over=80) == sorted([first.report_id, second.report_id])
    assert archive.statistics_report_ids(received_over=81) == []
    assert archive.statistics(archive.count_reports()) is None  # the report without tables

    # reading again is idempotent; a text that lost its tables loses its row
    assert reread_statistics(archive) == (2, 1)
    assert [v.report_id for v in archive.iter_statistics()] == sorted([first.report_id, second.report_id])
    archive.record_statistics(sha, None, [])
    assert archive.statistics(second.report_id) is None


@pytest.mark.e2e
def test_crawl_stores_the_real_pages_statistics(tmp_path: Path) -> None:
    """A real Scrapy crawl of the real Pingtan page (served at its URL over loopback) fills the table."""
    body = (CORPUS / "realpages" / "fj_pingtan_zfxxgknb_2023_annual_report_detail_trs.html").read_bytes()
    listing = f'<html><body><ul><li><a href="{DETAIL}">平潭综合实验区2023年度政府信息公开工作年度报告</a>' \
              '<span>2024-03-08</span></li></ul></body></html>'
    routes = {(PINGTAN, "/zwgk/zfxxgk/zfxxgknb/"): Answer(body=listing.encode()), (PINGTAN, DETAIL): Answer(body=body)}
    db = f"sqlite:///{tmp_path / 'pt.db'}"
    archive = Archive(db)
    archive.add_portal(PortalSpec(name="pingtan", column_urls=(f"http://{PINGTAN}/zwgk/zfxxgk/zfxxgknb/",)))
    with StaticSites(routes) as sites:
        env = {"http_proxy": sites.url, "HTTP_PROXY": sites.url, "no_proxy": "", "NO_PROXY": "", "NIANBAO_DB": db}
        result = run_cmd(["nianbao", "crawl", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"], env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    (report,) = archive.iter_reports()
    view = archive.statistics(report.id)
    assert view is not None and view.format == "2021" and view.findings == []
    assert cell_diff(load_gold(PINGTAN_GOLD), view.statistics)[1] == []
    assert archive.list_runs()[0].stats["nianbao/statistics/read"] == 1


@pytest.mark.e2e
def test_reextract_fills_statistics_of_reports_stored_without(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 're.db'}"
    archive = Archive(db)
    _store(archive, pingtan_text(), "http://a.gov.cn/2023.htm", "平潭综合实验区", 2023)
    assert list(archive.iter_statistics()) == []
    result = run_cmd(["nianbao", "reextract", "--db", db, "--files", str(tmp_path / "files")])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "statistics read again: 1 report(s) with tables, 0 failing an identity" in result.stdout
    (view,) = archive.iter_statistics()
    assert cell_diff(load_gold(PINGTAN_GOLD), view.statistics)[1] == []


def test_search_filters_on_statistics(db_url: str) -> None:
    """``nianbao search --inconsistent`` / ``--received-over N`` through the one search path, both backends."""
    archive = Archive(db_url)
    text = pingtan_text()
    broken = text.replace("1\t1\t0\t0\t2\t", "10\t1\t0\t0\t0\t")
    for year, body in ((2022, broken), (2023, text)):
        sha = _store(archive, body, f"http://a.gov.cn/{year}.htm", "平潭综合实验区", year)
        store_statistics(archive, sha, body)
    _store(archive, "一、总体情况\n本年无申请。", "http://b.gov.cn/x.htm", "某县", 2023)

    def years(**filters: object) -> list[int | None]:
        return sorted(h.report_year for h in archive.search(None, limit=10, **filters))

    assert years(inconsistent=True) == [2022]
    assert years(inconsistent=False) == [2023]
    assert years(received_over=80) == [2022, 2023]
    assert years(received_over=81) == []
    assert years(received_over=80, inconsistent=False, year=2023) == [2023]


def test_stage_reads_new_reports_only_and_records_reader_failures(sqlite_url: str) -> None:
    """The crawl stage on a real Scrapy crawler: new content read, unchanged skipped, a failure is a run error."""
    archive = Archive(sqlite_url)
    crawler = get_crawler()
    assert crawler.stats is not None
    stage = StatisticsPipeline(crawler, archive)
    text = pingtan_text()
    sha = _store(archive, text, "http://a.gov.cn/2023.htm", "平潭综合实验区", 2023)
    item = ReportItem(url="http://a.gov.cn/2023.htm", html="", portal="pt", text=text, content_sha256=sha,
                      outcome="unchanged")
    stage.process_item(item)
    assert list(archive.iter_statistics()) == []
    item.outcome = "new"
    stage.process_item(item)
    assert [v.format for v in archive.iter_statistics()] == ["2021"]
    assert crawler.stats.get_value("nianbao/portal/pt/statistics/read") == 1
    broken = ReportItem(url="http://a.gov.cn/x.htm", html="", portal="pt", content_sha256=sha, outcome="changed")
    broken.text = None  # type: ignore[assignment]  # a reader bug, simulated
    assert stage.process_item(broken) is broken  # the item goes on; the failure is recorded
    (error,) = run_errors(crawler.stats)
    assert error["stage"] == "statistics" and error["url"] == "http://a.gov.cn/x.htm"
