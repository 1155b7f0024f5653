"""The demo portals as crawl tests meet them: what they hold, how to register them, how to crawl them fast."""

from __future__ import annotations

from urllib.parse import urlsplit

from nianbao.demo import DemoPortal, demo_portals, showcase_portals
from pipelines.text.chrome import CHROME_MARKERS
from storage import Archive, PortalSpec, ReportView

PORTALS = demo_portals()
SHOWCASE = showcase_portals()
REPORT_DOCS = [(p, d) for p in PORTALS for d in p.documents if d.kind == "report"]
EXPECTED = {d.content_key: d for _, d in REPORT_DOCS}  # unique contents
PUBLISHED: dict[str, set[object]] = {}  # a repost carries the metadata of whichever copy came first
for _p, _d in REPORT_DOCS:
    PUBLISHED.setdefault(_d.content_key, set()).add(_d.published)
NOT_REPORTS = {d.title for p in PORTALS for d in p.documents if d.kind != "report"}
URLS = {f"http://{p.host}{path}" for p, d in REPORT_DOCS for path in d.paths}


def register(db_url: str, portals: list[DemoPortal]) -> None:
    archive = Archive(db_url)
    for p in portals:
        archive.add_portal(PortalSpec(name=p.name, homepage=p.homepage, column_urls=p.column_urls, cms=p.cms,
                                      level=p.level, region=p.region, region_code=p.region_code), replace=True)


def fast(proxy: str, db_url: str) -> dict[str, str]:
    """Environment for a crawl of the demo portals from a subprocess (with NO_DELAY on the command line)."""
    return {"NIANBAO_DEMO_PROXY": proxy, "NIANBAO_DB": db_url}


NO_DELAY = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"]  # the demo portals are ours, on loopback


def by_title(archive: Archive) -> dict[str, ReportView]:
    return {r.title or "": r for r in archive.iter_reports()}


CORE_HOSTS = {p.host for p in PORTALS}


def assert_archive_matches_demo(archive: Archive, *, other_portals: bool = False) -> None:
    """Every report of the three CMS demo portals stored once with its metadata and exact clean text; no
    non-report; no chrome. With ``other_portals`` the archive may also hold reports of other portals."""
    stored = [r for r in archive.iter_reports()
              if not other_portals or any(urlsplit(s.url).hostname in CORE_HOSTS for s in r.sightings)]
    assert len(stored) == len(EXPECTED)
    titles = by_title(archive)
    for doc in EXPECTED.values():
        report = titles[doc.title]
        assert report.body == doc.body, doc.title
        assert report.published in PUBLISHED[doc.content_key], doc.title
        assert report.report_year == doc.report_year, doc.title
        assert report.organ, doc.title
    assert not NOT_REPORTS & set(titles)
    leaks = {(r.title, m) for r in archive.iter_reports() for m in CHROME_MARKERS if m in r.body}
    assert leaks == set()
    assert {s.url for r in stored for s in r.sightings} == URLS
