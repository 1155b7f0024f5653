"""The search page's facets and export buttons over real HTTP (uvicorn on loopback, httpx): every facet value is a
link to a page that finds exactly the reports the facet counted, a filter in force can be removed, and the export
links download the page's own query (q + filters + sort) as CSV, JSON Lines and Parquet, streamed, with the
superseded and withdrawn marks as columns."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterator
from html import unescape

import httpx
import pytest

from nianbao.web import create_app
from storage import Archive
from storage.archive.query import FACETS
from tests.support.live_server import live_server
from tests.support.sample_archive import SAMPLES, load
from tests.support.search_oracle import oracle

EDITED = SAMPLES[2]  # 新抚区2023年: edited after it was archived (superseded)
GONE = SAMPLES[3]  # 大安市2019年: taken down by its portal (withdrawn)


@pytest.fixture
def site(sqlite_url: str) -> Iterator[tuple[str, Archive, dict[str, int]]]:
    archive, ids = load(sqlite_url)
    with live_server(create_app(archive)) as base:
        yield base, archive, ids


def total(html: str) -> int:
    found = re.search(r'id="total">(\d+) report', html)
    assert found, html[:500]
    return int(found.group(1))


def facet_links(html: str) -> dict[str, list[tuple[str, str, int]]]:
    """facet → [(href, value, count)] of the links in its list."""
    return {name: [(unescape(href), unescape(value), int(n)) for href, value, n in
                   re.findall(r'<li><a href="([^"]*)">([^<]*)</a> <span class="n">(\d+)</span>', block)]
            for name, block in re.findall(r'<ul data-facet="(\w+)">(.*?)</ul>', html, re.S)}


@pytest.mark.parametrize("query", ["年度报告", None])
def test_every_facet_link_finds_what_it_counted(site: tuple[str, Archive, dict[str, int]], query: str | None) -> None:
    base, _, _ = site
    with httpx.Client(base_url=base) as http:
        start = http.get("/", params={"q": query} if query else {})
        assert start.status_code == 200
        links = facet_links(start.text)
        assert tuple(links) == FACETS and all(links.values())
        for name, values in links.items():
            for href, value, n in values:
                narrowed = http.get(href)
                assert total(narrowed.text) == n, (name, value, href)
                # the value is now a filter in force: marked in its facet, and removable from the list of filters
                assert re.search(rf'<li class="on"><a href="[^"]*" title="remove this filter">{re.escape(value)} ×',
                                 unescape(narrowed.text)), (name, value)
                remove = re.findall(r'<a class="remove" data-field="[^"]*" href="([^"]*)"', narrowed.text)
                assert len(remove) == 1
                assert total(http.get(unescape(remove[0])).text) == total(start.text)


def test_api_facets_are_filters_too(site: tuple[str, Archive, dict[str, int]]) -> None:
    base, _, _ = site
    with httpx.Client(base_url=base) as http:
        body = http.get("/api/search", params={"facets": "true"}).json()
        assert set(body["facets"]) == set(FACETS)
        assert {"value": "docx", "count": 1, "filter": {"format": "docx"}} in body["facets"]["format"]
        assert {"value": "inconsistent", "count": 1, "filter": {"statistics": "inconsistent"}} in body["facets"][
            "statistics"]
        for name, values in body["facets"].items():  # each value's filter finds exactly the reports it counted
            for value in values:
                if value["filter"] is not None:
                    found = http.get("/api/search", params={**value["filter"], "limit": 1}).json()
                    assert found["total"] == value["count"], (name, value)
        xinfu = "辽宁省抚顺市新抚区"
        for params, expected in [({"format": "pdf"}, oracle(None, {"format": "pdf"}, "newest")),
                                 ({"statistics": "consistent"}, oracle(None, {"statistics": "consistent"}, "newest")),
                                 ({"has_attachment": "false", "q": "年度报告"},
                                  oracle("年度报告", {"has_attachment": False}, "newest")),
                                 ({"region_is": xinfu}, oracle(None, {"region_is": xinfu}, "newest"))]:
            found = http.get("/api/search", params=params).json()
            assert [h["title"] for h in found["hits"]] == expected and found["total"] == len(expected), params
        assert http.get("/api/search", params={"statistics": "maybe"}).status_code == 422


def test_export_buttons_download_the_query_with_its_marks(site: tuple[str, Archive, dict[str, int]]) -> None:
    base, archive, ids = site
    new_id = archive.add_text_version(ids[EDITED.title], EDITED.body + "\n（修订）", "c" * 64, {})
    assert new_id and archive.mark_withdrawn(GONE.url, "HTTP 404")
    with httpx.Client(base_url=base) as http:
        page = http.get("/", params={"q": "依申请公开", "region": "22", "sort": "oldest", "year": ""})
        buttons = {fmt: unescape(href) for fmt, href in
                   re.findall(r'<a class="export" data-format="(\w+)" href="([^"]*)"', page.text)}
        assert set(buttons) == {"csv", "jsonl", "parquet"}
        expected = oracle("依申请公开", {"region": "22"}, "oldest")
        with http.stream("GET", buttons["jsonl"]) as streamed:
            assert streamed.headers["content-type"].startswith("application/x-ndjson")
            assert "content-length" not in streamed.headers  # streamed, not built in memory first
            assert streamed.headers["content-disposition"] == 'attachment; filename="nianbao-export.jsonl"'
            rows = [json.loads(line) for line in streamed.iter_lines() if line]
        assert [r["title"] for r in rows] == expected
        gone = next(r for r in rows if r["title"] == GONE.title)
        assert gone["withdrawn"] is True and gone["superseded"] is False

        everything = http.get("/export.csv", params={"q": "依申请公开"})
        table = list(csv.DictReader(io.StringIO(everything.content.decode("utf-8-sig"))))
        old = next(r for r in table if r["id"] == str(ids[EDITED.title]))
        assert old["superseded"] == "True" and old["superseded_by"] == str(new_id) and old["urls"] == ""
        assert {r["id"] for r in table} >= {str(ids[EDITED.title]), str(new_id)}

        pq = pytest.importorskip("pyarrow.parquet")
        parquet = pq.read_table(io.BytesIO(http.get(buttons["parquet"]).content)).to_pylist()
        assert [r["title"] for r in parquet] == expected
        assert {r["title"]: r["withdrawn"] for r in parquet}[GONE.title] is True


def test_without_pyarrow_there_is_no_parquet_button(site: tuple[str, Archive, dict[str, int]],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    base, _, _ = site
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if the optional extra were not installed
    with httpx.Client(base_url=base) as http:
        page = http.get("/", params={"q": "年度报告"})
        assert 'data-format="csv"' in page.text and 'data-format="parquet"' not in page.text
        missing = http.get("/export.parquet", params={"q": "年度报告"})
        assert missing.status_code == 501 and 'pip install &#34;nianbao[parquet]&#34;' in missing.text
        assert http.get("/export.xlsx").status_code == 404
        assert http.get("/export.csv", params={"year": "twenty"}).status_code == 422
        assert http.get("/export.csv", params={"sort": "rank"}).status_code == 400
