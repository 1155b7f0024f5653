"""Discovery: homepage → report column(s) by link text and URL slug, sub-columns, recorded in the registry;
and the demo crawl given only homepages archives exactly what the configured columns give."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.discovery import column_source, same_site, scan
from nianbao.demo import DemoServer, demo_portals, extra_portals, showcase_portals
from storage import Archive, PortalSpec, ReportRecord, RunView
from tests.support.commands import run_cmd
from tests.support.crawls import NO_DELAY, URLS, assert_archive_matches_demo, fast


@pytest.mark.parametrize(("text", "url", "source"), [
    ("政府信息公开年报", "http://x.gov.cn/zwgk/zfxxgknb/", "text+slug"),
    ("政府信息公开工作年度报告", "http://x.gov.cn/col/col4512/index.html", "text"),
    ("政务公开年报", "http://x.gov.cn/zwgk/a/", "text"),
    ("部门年报", "http://x.gov.cn/zfxxgknb/bm/", "text"),
    ("街道年报", "http://x.gov.cn/zwgk/zfxxgknb/jdnb/", "text+slug"),
    ("公开年报", "http://zfxxgk.beijing.gov.cn/110016/zfxxgknb/list.shtml", "text+slug"),
    ("", "https://www.bjmy.gov.cn/zwgk/zfxxgk/zfxxgknb/gknb2017/", "slug"),  # per-year folder
    ("2022年", "http://www.shuicheng.gov.cn/newsite/zwgk/zfxxgk_1/zfxxgknb/nb_2022n/", "slug"),
    ("2023", "http://shiyan.gov.cn/xxgk/xxgk_nb/2023/", "slug"),
    ("", "https://www.suqian.gov.cn/cnsq/gknb/xxgknb2019_list.shtml", "slug"),
    ("年度报告", "http://js.changchun.gov.cn/zcbm/styjrswj/ndbg/", "text+slug"),
    # not columns: reports themselves, later list pages, look-alikes
    ("大安市2019年政府信息公开工作年度报告", "http://x.gov.cn/zfxxgknb/201903/t20190301_1.html", None),
    ("2019年政府信息公开年报", "http://x.gov.cn/a/", None),
    ("下一页", "http://x.gov.cn/zfxxgknb/index_1.html", None),
    ("政府网站年度工作报表", "http://x.gov.cn/ztzl/ndgzbb", None),
    ("新闻", "http://x.gov.cn/news/2023/", None),
    ("年报.pdf", "http://x.gov.cn/zfxxgknb/P020240101.pdf", None),
])
def test_column_rules(text: str, url: str, source: str | None) -> None:
    assert column_source(text, url) == source


def test_same_site_allows_sibling_hosts_only() -> None:
    assert same_site("http://xxgk.daan.gov.cn/nb/", "http://www.daan.gov.cn/")
    assert same_site("http://www.daan.gov.cn/nb/", "http://daan.gov.cn/")
    assert not same_site("http://www.gov.cn/", "http://www.daan.gov.cn/")
    assert not same_site("http://evil-daan.gov.cn/", "http://www.daan.gov.cn/")


def test_scan_demo_homepage_finds_column_and_hubs(demo: DemoServer) -> None:
    daan = demo_portals()[0]
    html = demo.respond(daan.host, "/").body.decode()
    found = scan(html, daan.homepage)
    assert [c.url for c in found.columns] == [daan.column_urls[0]]
    assert found.columns[0].title == "政府信息公开年报" and found.columns[0].source == "text+slug"
    assert f"http://{daan.host}/zwgk/zfxxgkzn/" in found.hubs


@pytest.mark.e2e
def test_discover_command_records_columns_and_sub_columns(demo: DemoServer, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'discover.db'}"
    daan = demo_portals()[0]
    env = {"NIANBAO_DEMO_PROXY": demo.proxy_url}
    shown = run_cmd(["nianbao", "portals", "discover", daan.homepage, "--db", db, "--delay", "0"], env=env)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert f"{daan.column_urls[0]}  政府信息公开年报  (text+slug, depth 0)" in shown.stdout
    assert f"{daan.column_urls[1]}  街道年报" in shown.stdout  # sub-column, found on the column page
    health = Archive(db).portal_health(daan.host)  # a new portal named after the host
    assert health is not None and set(health.discovered_urls) == set(daan.column_urls)
    assert Archive(db).list_runs() == []  # discovery archives nothing and is no crawl run
    listed = run_cmd(["nianbao", "portals", "list", "--db", db])
    assert f"(discovered) {daan.column_urls[0]}" in listed.stdout
    missing = run_cmd(["nianbao", "portals", "discover", "http://nothing.nianbao.test/", "--db", db,
                       "--delay", "0"], env=env)
    assert missing.returncode == 1 and "no annual-report column found" in missing.stderr
    assert run_cmd(["nianbao", "portals", "discover", "not a url", "--db", db]).returncode == 2


@pytest.mark.e2e
def test_homepages_only_archive_exactly_what_configured_columns_do(demo: DemoServer, tmp_path: Path) -> None:
    """The issue's measure: given only homepages, the demo crawl archives exactly the same reports."""
    db = f"sqlite:///{tmp_path / 'homepages.db'}"
    archive = Archive(db)
    for p in demo_portals():
        archive.add_portal(PortalSpec(name=p.name, homepage=p.homepage, cms=p.cms))
    first = run_cmd(["nianbao", "crawl", *NO_DELAY], env=fast(demo.proxy_url, db))
    assert first.returncode == 0, first.stdout + first.stderr
    assert_archive_matches_demo(archive)  # same reports, texts, metadata and URLs as tests/e2e/test_end_to_end.py
    run = archive.list_runs()[0]
    assert run.errors == () and run.stats["nianbao/discovery/columns"] >= 4
    healths = archive.portal_healths()
    for p in demo_portals():
        assert set(p.column_urls) <= set(healths[p.name].discovered_urls), p.name
        assert healths[p.name].status == "ok" and healths[p.name].verified
    # the next run goes straight to the recorded columns: no homepage request, same archive
    again = run_cmd(["nianbao", "crawl", *NO_DELAY], env=fast(demo.proxy_url, db))
    assert again.returncode == 0, again.stdout + again.stderr
    second = archive.list_runs()[0]
    assert "nianbao/discovery/pages" not in second.stats
    assert second.stats["nianbao/reports/unchanged"] == len(URLS)


@pytest.mark.e2e
def test_demo_extras_homepage_only_trs_api_and_challenged(tmp_path: Path) -> None:
    """`nianbao demo`: 洮南 found from its homepage and paged through the TRS search API
    (POST), its deleted report recorded as gone; 通榆's 412 reported, not a failed run."""
    db = f"sqlite:///{tmp_path / 'extras.db'}"
    result = run_cmd(["nianbao", "demo", "--db", db])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(showcase_portals())} portal(s) crawled" in result.stdout
    assert "  expected [tongyu] this demo portal simulates a 瑞数 anti-bot gateway" in result.stdout
    assert "      list: challenged: HTTP 412 (瑞数 $_ts cookie script)" in result.stdout
    taonan, tongyu = extra_portals()
    archive = Archive(db)
    stored = {s.url for r in archive.iter_reports() for s in r.sightings}
    expected = {d.url_of(taonan.host) for d in taonan.documents if d.kind == "report" and d.expect_archived}
    assert expected <= stored and len(expected) == 9
    assert not {d.url_of(taonan.host) for d in taonan.documents if not d.expect_archived} & stored
    assert not any(tongyu.host in url for url in stored)
    health = archive.portal_healths()
    assert health["taonan"].status == "ok" and health["taonan"].discovered_urls == taonan.column_urls
    assert [e["kind"] for e in health["taonan"].evidence] == ["gone"]
    assert health["tongyu"].status == "challenged" and health["tongyu"].evidence[0]["status"] == 412
    stats = archive.list_runs()[0].stats
    assert stats["nianbao/list_protocol/trs_api"] == 3  # column page + 2 API pages


def test_portal_health_discovery_and_known_urls_on_both_backends(db_url: str) -> None:
    archive = Archive(db_url)
    archive.add_portal(PortalSpec(name="p", homepage="http://p.gov.cn/"))
    assert archive.portal_health("p").status is None and not archive.portal_health("p").verified
    archive.record_discovery("p", [{"url": "http://p.gov.cn/zfxxgknb/", "title": "政府信息公开年报", "source": "text"}])
    archive.set_portal_status("p", "challenged", [{"kind": "challenged", "status": 412, "url": "http://p.gov.cn/"}])
    since = archive.portal_health("p").since
    archive.set_portal_status("p", "challenged", [{"kind": "challenged", "status": 521, "url": "http://p.gov.cn/"}])
    health = archive.portal_health("p")
    assert (health.status, health.challenged_runs, health.since) == ("challenged", 2, since)
    assert health.evidence[0]["status"] == 521 and health.discovered_urls == ("http://p.gov.cn/zfxxgknb/",)
    archive.add_portal(PortalSpec(name="p", homepage="http://p.gov.cn/", region="R"), replace=True)
    assert archive.portal_health("p").challenged_runs == 2  # editing the registry entry keeps its health
    archive.set_portal_status("p", "ok")
    health = archive.portal_health("p")
    assert (health.status, health.challenged_runs, health.verified) == ("ok", 0, True) and health.since != since
    archive.record(ReportRecord(url="http://a/1", content_sha256="a" * 64, body="正文"))
    assert archive.known_urls(["http://a/1", "http://a/2"]) == {"http://a/1"}


@pytest.mark.e2e
def test_monitoring_stops_paging_at_a_list_page_with_nothing_unseen(demo: DemoServer, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'stop.db'}"
    daan = demo_portals()[0]
    archive = Archive(db)
    archive.add_portal(PortalSpec(name="daan", column_urls=(daan.column_urls[0],)))
    stop = ["-s", "NIANBAO_STALE_LIST_PAGES=1"]

    def crawl() -> RunView:
        result = run_cmd(["nianbao", "crawl", *NO_DELAY, *stop], env=fast(demo.proxy_url, db))
        assert result.returncode == 0, result.stdout + result.stderr
        return archive.list_runs()[0]

    first, second = crawl(), crawl()
    assert first.stats["nianbao/portal/daan/list_pages"] == 4  # 3 pages of the column + its 街道年报 sub-column
    assert "nianbao/list_pages_stopped_seen" not in first.stats  # a column's first walk goes to its end
    # newest first: page 0 of each column holds nothing unseen, so pages 1 and 2 are not asked for
    assert second.stats["nianbao/portal/daan/list_pages"] == 2
    assert second.stats["nianbao/list_pages_stopped_seen"] == 2
    # after a killed run the archive may miss what lies further down: the next walk goes to the end again
    archive.finish_run(archive.start_run(["daan"]), "killed", {}, [])
    after_kill, then = crawl(), crawl()
    assert after_kill.stats["nianbao/portal/daan/list_pages"] == 4
    assert "nianbao/list_pages_stopped_seen" not in after_kill.stats
    assert then.stats["nianbao/portal/daan/list_pages"] == 2
