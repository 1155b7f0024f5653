"""The web interface and JSON API over a real SQLite archive, through Starlette's test client:
pages, filters, facets, paging, the API and its OpenAPI description, and escaping of hostile pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient

from nianbao.web import create_app
from nianbao.web.app import PAGE_SIZE, diff_parts, marked_parts, term_parts
from storage import Archive, ReportRecord
from tests.support.sample_archive import SAMPLES, SECOND_URL, XSS_TITLE, XSS_URL, load
from tests.support.search_oracle import oracle


@pytest.fixture
def client(sqlite_url: str) -> Iterator[tuple[TestClient, dict[str, int]]]:
    archive, ids = load(sqlite_url)
    with TestClient(create_app(archive)) as c:
        yield c, ids


def titles_on(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r'<a class="title" href="[^"]*">([^<]*)</a>', html)]


def test_search_page_filters_facets_and_highlight(client: tuple[TestClient, dict[str, int]]) -> None:
    c, _ = client
    r = c.get("/", params={"q": "依申请公开", "region": "抚顺"})
    assert r.status_code == 200
    assert len(titles_on(r.text)) == len(oracle("依申请公开", {"region": "抚顺"}, "newest"))
    assert "<mark>依申请公开</mark>" in r.text
    assert re.search(r'<a href="/\?[^"]*year=2017[^"]*">2017</a> <span class="n">2</span>', r.text)  # year facet
    # an untouched form sends empty fields: they mean "no filter"
    empty = c.get("/?q=年度报告&year=&region=&organ=&portal=&published_from=&published_to=&level=&sort=newest")
    assert empty.status_code == 200 and f"{len(SAMPLES)} report(s)" in empty.text
    bad = c.get("/", params={"q": "年度报告", "year": "twenty"})
    assert bad.status_code == 422 and "bad filter value" in bad.text


def test_report_page_shows_text_sources_and_matches(client: tuple[TestClient, dict[str, int]]) -> None:
    c, ids = client
    repost = SAMPLES[6]
    r = c.get(f"/reports/{ids[repost.title]}", params={"q": "依申请公开"})
    assert r.status_code == 200
    assert f'<a href="{repost.url}" rel="noopener noreferrer nofollow">' in r.text
    assert f'<a href="{SECOND_URL}"' in r.text and '<a href="/portals/zhanqian">zhanqian</a>' in r.text
    assert "<mark>依申请公开</mark>" in r.text
    assert c.get("/reports/999999").status_code == 404


def test_portal_page(client: tuple[TestClient, dict[str, int]], sqlite_url: str) -> None:
    c, _ = client
    archive = Archive(sqlite_url)
    run_id = archive.start_run(["daan"])
    archive.finish_run(run_id, "finished", {}, [{"portal": "daan", "error": "HTTP 503 on <list page>"}])
    r = c.get("/portals/daan")
    assert r.status_code == 200
    assert "吉林省白城市大安市" in r.text and "(220882)" in r.text
    assert '<a href="/?portal=daan">3 report(s) seen here</a>' in r.text
    assert "HTTP 503 on &lt;list page&gt;" in r.text and "finished" in r.text
    assert c.get("/portals/nowhere").status_code == 404


def test_paging_through_results(sqlite_url: str) -> None:
    """More hits than a page: every report appears exactly once across the pages, in order."""
    archive, _ = load(sqlite_url)
    for i in range(PAGE_SIZE + 5):
        archive.record(ReportRecord(url=f"http://extra.test/{i}", content_sha256=f"{i:064x}",
                                    body=f"第{i}号 依申请公开", title=f"补充报告{i}"))
    expected = [h.title for h in archive.search("依申请公开", limit=100)]
    with TestClient(create_app(archive)) as c:
        first = c.get("/", params={"q": "依申请公开"}).text
        assert f"{len(expected)} report(s) · page 1 of 2" in first
        next_link = re.search(r'<a rel="next" href="([^"]+)">', first).group(1).replace("&amp;", "&")
        second = c.get(next_link).text
        assert 'rel="prev"' in second and 'rel="next"' not in second
    assert titles_on(first) + titles_on(second) == expected


def test_hostile_page_is_escaped_everywhere(client: tuple[TestClient, dict[str, int]]) -> None:
    c, ids = client
    report_id = ids[XSS_TITLE]
    pages = [c.get("/", params={"q": "恶意页面"}), c.get(f"/reports/{report_id}", params={"q": "script"}),
             c.get("/portals/changbai")]
    for page in pages:
        assert page.status_code == 200
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp  # no script of any origin
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "<script" not in page.text.lower() and "<img" not in page.text.lower()
        assert not any(h.startswith("javascript:") for h in re.findall(r'href="([^"]*)"', page.text.lower()))
    report = pages[1].text
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in report
    assert "&lt;img src=x onerror=alert(&#34;body&#34;)&gt;" in report
    assert "&lt;b&gt;恶意&lt;/b&gt;机关" in report
    assert '<span class="url">' + XSS_URL.replace("'", "&#39;") + "</span>" in report  # shown, not linked
    assert "<mark>script</mark>" in report  # highlighting escapes first, then marks


def test_json_api_and_openapi(client: tuple[TestClient, dict[str, int]]) -> None:
    c, ids = client
    r = c.get("/api/search", params={"q": "依申请公开", "region": "抚顺", "facets": "true", "limit": 2})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    expected = oracle("依申请公开", {"region": "抚顺"}, "newest")
    assert body["total"] == len(expected) and [h["title"] for h in body["hits"]] == expected[:2]
    assert "«依申请公开»" in body["hits"][0]["snippet"]
    assert {"value": "street", "count": 2, "filter": {"level": "street"}} in body["facets"]["level"]
    assert c.get("/api/search", params={"year": 2023, "published_from": "2024-01-31"}).json()["total"] == 1
    assert c.get("/api/search", params={"sort": "rank"}).status_code == 422
    inverted = c.get("/api/search", params={"published_from": "2024-02-01", "published_to": "2024-01-01",
                                            "facets": "true"})  # schema-valid (schemathesis found the 400): empty
    assert inverted.status_code == 200 and inverted.json()["total"] == 0 and inverted.json()["facets"]["year"] == []
    assert c.get("/api/search", params={"q": " "}).json()["total"] == len(SAMPLES)  # blank = no text condition
    report = c.get(f"/api/reports/{ids[SAMPLES[6].title]}").json()
    assert [s["url"] for s in report["sightings"]] == [SAMPLES[6].url, SECOND_URL]
    # RFC 3339 date-times with their zone on SQLite too (it keeps none; schemathesis found the bare ones)
    zoned = ("Z", "+00:00")
    assert report["first_seen"].endswith(zoned) and report["sightings"][0]["last_seen"].endswith(zoned)
    assert c.get("/api/portals/daan").json()["portal"]["region_code"] == "220882"
    spec = c.get("/api/openapi.json").json()
    assert {"/api/search", "/api/reports/{report_id}", "/api/portals/{name}"} <= set(spec["paths"])
    params = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "year", "region", "organ", "portal", "published_from", "published_to", "level", "sort",
            "limit", "offset"} <= params
    assert "/" not in spec["paths"]  # HTML pages are not API


def test_read_only(client: tuple[TestClient, dict[str, int]]) -> None:
    c, _ = client
    for path in ("/", "/api/search", "/reports/1"):
        assert c.post(path).status_code == 405
        assert c.delete(path).status_code == 405


def test_markup_helpers() -> None:
    assert marked_parts("a«b»c«d»") == [("a", False), ("b", True), ("c", False), ("d", True)]
    assert term_parts("依申请公开ABC", ["abc", "申请"]) == [("依", False), ("申请", True), ("公开", False),
                                                          ("ABC", True)]
    assert diff_parts("x[-old-]{+new+}y") == [("x", ""), ("old", "del"), ("new", "ins"), ("y", "")]

