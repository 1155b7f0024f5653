"""Incremental re-crawls for real: the demo portals answer conditional requests, a second crawl revalidates
list pages (304s) and downloads no archived detail page, a due recheck downloads the page again (report pages
stay out of the HTTP cache), and the HTTP cache lives beside the archive."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.incremental import ArchiveCacheStorage, RevalidatingPolicy, cache_dir
from nianbao.demo import DemoServer, demo_portals
from nianbao.demo.changes import changed_portals
from storage import Archive
from tests.support.crawls import URLS
from tests.support.monitoring import crawl, register, statuses

PORTALS = demo_portals()


def fetch(server: DemoServer, url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": server.proxy_url}))
    try:
        with opener.open(urllib.request.Request(url, headers=headers)) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture
def server() -> Iterator[DemoServer]:
    with DemoServer(PORTALS) as s:
        yield s


def test_demo_portals_answer_conditional_requests(server: DemoServer) -> None:
    later = changed_portals()
    column, edited = PORTALS[1].column_urls[0], later.edited_url
    status, headers, body = fetch(server, column)
    assert status == 200 and body and headers["ETag"].startswith('W/"') and headers["Last-Modified"]
    assert fetch(server, column, **{"If-None-Match": headers["ETag"]})[:1] == (304,)
    assert fetch(server, column, **{"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert fetch(server, column, **{"If-None-Match": 'W/"stale"'})[0] == 200  # ETag decides over the date
    assert fetch(server, column, **{"If-None-Match": 'W/"stale"', "If-Modified-Since": headers["Last-Modified"]})[0] \
        == 200
    edited_tag = fetch(server, edited)[1]["ETag"]
    other = PORTALS[0].documents[0].url_of(PORTALS[0].host)
    other_tag = fetch(server, other)[1]["ETag"]
    server.set_portals(later.portals, later.overrides)
    status, headers, body = fetch(server, edited, **{"If-None-Match": edited_tag})
    assert status == 200 and headers["ETag"] != edited_tag and "更正说明".encode() in body
    assert fetch(server, other, **{"If-None-Match": other_tag})[0] == 304  # an untouched report stays valid
    assert fetch(server, column, **{"If-None-Match": fetch(server, column)[1]["ETag"]})[0] == 304
    assert fetch(server, later.withdrawn_404_url)[0] == 404


@pytest.fixture(scope="module")
def twice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, DemoServer, list[int]]]:
    """Three crawls of unchanged portals: a first full one, a plain re-crawl, and one where every recheck is due."""
    db = f"sqlite:///{tmp_path_factory.mktemp('incremental') / 'archive.db'}"
    register(db, PORTALS)
    with DemoServer(PORTALS) as s:
        marks = []
        for settings in ((), (), ("NIANBAO_RECHECK_DAYS=0",)):
            marks.append(len(s.requests))
            crawl(s, db, *settings)
        marks.append(len(s.requests))
        yield db, s, marks


@pytest.mark.e2e
def test_second_crawl_revalidates_lists_and_downloads_no_archived_report(twice) -> None:
    db, server, marks = twice
    first = statuses(server.requests[marks[0]:marks[1]], PORTALS)
    second = statuses(server.requests[marks[1]:marks[2]], PORTALS)
    assert set(first["list"]) == {200} and first["detail"][200] == len(URLS)
    assert set(second["list"]) == {304} and sum(second["list"].values()) == sum(first["list"].values())
    assert sum(second["detail"].values()) == 0
    run = Archive(db).list_runs()[1]
    assert run.stats["nianbao/incremental/skipped"] == len(URLS)
    assert run.stats["nianbao/reports/unchanged"] == len(URLS)  # still "nothing new" in the summary
    assert run.stats["nianbao/incremental/list_not_modified"] == sum(second["list"].values())


@pytest.mark.e2e
def test_due_recheck_asks_the_portal_again_and_keeps_the_archive(twice) -> None:
    db, server, marks = twice
    third = statuses(server.requests[marks[2]:marks[3]], PORTALS)
    assert third["detail"] == {200: len(URLS)}  # asked again: report pages are never answered from the cache
    archive = Archive(db)
    run = archive.list_runs()[0]
    assert run.stats["nianbao/incremental/rechecked"] == len(URLS)
    assert run.stats["nianbao/reports/unchanged"] == len(URLS)
    assert run.stats.get("nianbao/reports/changed", 0) == 0 and archive.count_reports() == len(
        {d.content_key for p in PORTALS for d in p.documents if d.kind == "report"})
    recheck = max(s.last_seen for r in archive.iter_reports() for s in r.sightings)
    assert recheck.replace(tzinfo=None) >= run.started_at.replace(tzinfo=None)  # the recheck moved last_seen


def test_report_pages_stay_out_of_the_http_cache() -> None:
    """A report page sent with Last-Modified and no Cache-Control would look fresh for a tenth of its age."""
    policy = RevalidatingPolicy(Settings({"HTTPCACHE_IGNORE_SCHEMES": [], "HTTPCACHE_ALWAYS_STORE": False,
                                          "HTTPCACHE_IGNORE_RESPONSE_CACHE_CONTROLS": []}))
    url = "http://www.daan.nianbao.test/zwgk/zfxxgknb/202302/t20230203_1556.html"
    assert not policy.should_cache_request(Request(url, meta={"stage": "report"}))
    assert policy.should_cache_request(Request(url, meta={"stage": "list"}))
    assert policy.should_cache_request(Request(url, meta={"stage": "attachment"}))


@pytest.mark.e2e
def test_http_cache_lives_beside_the_archive(twice, tmp_path: Path) -> None:
    db, _, _ = twice
    archive_file = Path(db.removeprefix("sqlite:///"))
    assert archive_file.with_suffix(".httpcache").is_dir()
    settings = Settings({"NIANBAO_DB": f"sqlite:///{tmp_path / 'x.db'}"})
    assert cache_dir(settings) == str(tmp_path / "x.httpcache")
    settings.set("NIANBAO_HTTPCACHE_DIR", str(tmp_path / "elsewhere"))
    assert cache_dir(settings) == str(tmp_path / "elsewhere")


# What Scrapy's FilesystemCacheStorage.retrieve_response reads: the rest of what its store_response writes is not kept.
CACHE_FILES = {"pickled_meta", "response_headers", "response_body", "response_data"}


def test_cache_entry_round_trips_with_only_the_files_read_back(tmp_path: Path) -> None:
    settings = Settings({"NIANBAO_HTTPCACHE_DIR": str(tmp_path), "HTTPCACHE_EXPIRATION_SECS": 0,
                         "HTTPCACHE_GZIP": True})
    storage = ArchiveCacheStorage(settings)
    spider = Spider.from_crawler(get_crawler(Spider), "reports")
    storage.open_spider(spider)
    request = Request("http://www.daan.nianbao.test/zwgk/zfxxgknb/index.html", meta={"stage": "list"})
    response = HtmlResponse(request.url, status=200, body="<p>年度报告</p>".encode(), encoding="utf-8",
                            headers={"ETag": 'W/"1"', "Last-Modified": "Mon, 06 Feb 2023 00:00:00 GMT"},
                            ip_address=None, protocol="HTTP/1.1", flags=["x"])
    storage.store_response(spider, request, response)
    entry = Path(storage._get_request_path(spider, request))
    assert {p.name for p in entry.iterdir()} == CACHE_FILES
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]  # no staging directory left behind
    cached = storage.retrieve_response(spider, request)
    assert cached is not None and type(cached) is HtmlResponse
    assert (cached.url, cached.status, cached.body, cached.protocol, cached.flags) == \
        (response.url, 200, response.body, "HTTP/1.1", ["x"])
    assert cached.headers.getlist("ETag") == [b'W/"1"'] and cached.text == "<p>年度报告</p>"
    storage.store_response(spider, request, response.replace(body=b"<p>v2</p>"))  # an entry replaced in place
    assert storage.retrieve_response(spider, request).body == b"<p>v2</p>"


@pytest.mark.e2e
def test_a_crawl_caches_list_pages_with_only_the_files_read_back(twice) -> None:
    """The revalidating crawls above (304s answered from these entries) ran on exactly these files."""
    db, _, _ = twice
    entries = [p for p in Path(db.removeprefix("sqlite:///")).with_suffix(".httpcache").glob("*/*/*") if p.is_dir()]
    assert entries and all({f.name for f in entry.iterdir()} == CACHE_FILES for entry in entries)
