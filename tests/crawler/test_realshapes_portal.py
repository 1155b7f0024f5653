"""Issue 10's measure on a portal written from real shapes (tests/support/realshapes): a crawl given only the
homepage, with only the politeness delays lowered, archives every annual report it links, once each, and
nothing else — through a partly challenged host, a publication calendar, the real TRS and Hanweb list
protocols, 查看 rows and cut-off titles, a transient 500, a cut-off body and invisible characters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from pipelines.text.chrome import is_chrome_line
from storage import Archive, PortalSpec, ReportView, RunView
from tests.support import realshapes as q
from tests.support.commands import run_cmd

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Crawl:
    archive: Archive
    run: RunView
    requests: list[tuple[str, str]]
    output: str

    def reports(self) -> list[ReportView]:
        return list(self.archive.iter_reports())

    def asked(self, url: str) -> int:
        return sum(1 for _, asked in self.requests if asked.split("?", 1)[0] == url)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    db = f"sqlite:///{tmp_path_factory.mktemp('qinghe') / 'archive.db'}"
    archive = Archive(db)
    archive.add_portal(PortalSpec(name=q.PORTAL, homepage=q.HOMEPAGE))
    with q.qinghe_sites() as sites:
        result = run_cmd(["nianbao", "crawl", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"],
                         env={"NIANBAO_DEMO_PROXY": sites.url, "NIANBAO_DB": db})
        assert result.returncode == 0, result.stdout + result.stderr
        yield Crawl(archive, archive.list_runs()[0], list(sites.requests), result.stdout)


def test_every_report_once_and_nothing_else(crawl: Crawl) -> None:
    reports = crawl.reports()
    assert {s.url for r in reports for s in r.sightings} == {d.url for d in q.REPORTS}
    assert len(reports) == len(q.REPORTS) - 1  # the report listed in two columns is one report
    (twice,) = [r for r in reports if len(r.sightings) == 2]
    assert {s.url for s in twice.sightings} == {d.url for d in q.SAME_TEXT}  # invisible characters folded
    assert not {d.title for d in q.NON_REPORTS} & {r.title for r in reports}
    assert {r.title for r in reports} >= {q.FGJ.title, q.COUNTY_2022.title, q.DONGLING.title}  # （含统计表）, 查看
    assert all(r.body for r in reports)
    assert not any(c in r.body for r in reports for c in q.INVISIBLE)
    assert crawl.run.errors == ()


def test_a_report_sentence_on_the_footer_items_is_kept_and_the_footer_is_not(crawl: Crawl) -> None:
    (data,) = [r for r in crawl.reports() if r.title == q.DATA.title]
    assert q.ICP_SENTENCE in data.body.split("\n")
    assert not any(is_chrome_line(line) for r in crawl.reports() for line in r.body.split("\n"))
    assert not any("闽ICP备09099999号" in r.body for r in crawl.reports())


def test_partly_challenged_host_stays_crawled_and_retries_go_out(crawl: Crawl) -> None:
    stats = crawl.run.stats
    assert stats["nianbao/hostile/challenged"] == 2 and "nianbao/hostile/backed_off" not in stats
    health = crawl.archive.portal_health(q.PORTAL)
    assert health.status == "ok"
    assert sorted(e["url"] for e in health.evidence) == sorted(f"{q.HOMEPAGE.rstrip('/')}{p}" for p in q.CHALLENGED)
    assert [crawl.asked(d.url) for d in q.FLAKY] == [2, 2]  # a 500 and a cut-off body, each retried once
    assert stats["retry/count"] == 2


def test_the_calendar_is_no_column_and_paging_follows_the_real_protocols(crawl: Crawl) -> None:
    assert not [url for _, url in crawl.requests if urlsplit(url).path.startswith(q.CALENDAR)]
    stats = crawl.run.stats
    # TRS 动静结合: static page, API page 2, an empty page 3 ends it; xxgk table: 2 pages; Hanweb: column + 1 POST
    assert (stats["nianbao/list_protocol/trs_api"], stats["nianbao/list_protocol/xxgk"],
            stats["nianbao/list_protocol/hanweb"]) == (3, 2, 2)
    posts = Counter(urlsplit(url).path for method, url in crawl.requests if method == "POST")
    assert posts == {"/fjdzapp/search": 2, "/module/web/jpage/dataproxy.jsp": 1}
    (jpage,) = [url for method, url in crawl.requests if method == "POST" and "dataproxy" in url]
    sent = dict(parse_qsl(urlsplit(jpage).query))
    assert {k: sent[k] for k in ("startrecord", "endrecord", "perpage", "columnid", "unitid", "webname")} == {
        "startrecord": "46", "endrecord": "90", "perpage": "15", "columnid": "12377", "unitid": "38486",
        "webname": q.WEBNAME}


def test_ambiguous_list_titles_are_decided_by_the_page(crawl: Crawl) -> None:
    assert crawl.run.stats["nianbao/links/ambiguous"] == 2
    assert [crawl.asked(d.url) >= 1 for d in q.AMBIGUOUS] == [True, True]  # both pages were read …
    assert q.NOTICE.title not in {r.title for r in crawl.reports()}  # … and the 通知 was not taken
    never = [d for d in q.NON_REPORTS if d not in q.AMBIGUOUS]
    assert [crawl.asked(d.url) for d in never] == [0] * len(never)  # a title that says "no report" is not fetched


def test_a_second_crawl_finds_nothing_new(crawl: Crawl, tmp_path: Path) -> None:
    with q.qinghe_sites() as sites:
        db = crawl.archive.url
        again = run_cmd(["nianbao", "crawl", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"],
                        env={"NIANBAO_DEMO_PROXY": sites.url, "NIANBAO_DB": db})
    assert again.returncode == 0, again.stdout + again.stderr
    run = crawl.archive.list_runs()[0]
    assert run.stats.get("nianbao/reports/new", 0) == 0 and len(crawl.reports()) == len(q.REPORTS) - 1
