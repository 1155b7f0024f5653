"""Edited and withdrawn reports shown as such everywhere: search hits, export, `nianbao search`, the report
page and the Atom feed (`/feed.atom`, checked against RFC 4287's required elements); pages in Chromium."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from xml.etree import ElementTree as ET

import pytest

from storage import Archive, Outcome, PortalSpec, ReportRecord
from storage.archive.query import Filters
from tests.support.browser import chromium_page, require_browser, serving, shot
from tests.support.commands import run_cmd

A = "{http://www.w3.org/2005/Atom}"
OLD = "靖宇县2023年政府信息公开工作年度报告\n一、总体情况\n本年度主动公开政府信息120条。"
NEW = OLD.replace("120条", "125条")
GONE = "靖宇县财政局2023年政府信息公开工作年度报告\n一、总体情况\n本年度主动公开政府信息8条。"
KEPT = "靖宇县濛江乡2023年政府信息公开工作年度报告\n一、总体情况\n本年度主动公开政府信息3条。"


def _record(archive: Archive, url: str, body: str) -> Outcome:
    return archive.record(ReportRecord(url=url, content_sha256=hashlib.sha256(body.encode()).hexdigest(), body=body,
                                       title=body.split("\n", 1)[0], portal="jingyu", report_year=2023))


def _archive(db_url: str) -> tuple[Archive, dict[str, int]]:
    """One report edited at its URL, one withdrawn, one untouched."""
    archive = Archive(db_url)
    archive.add_portal(PortalSpec(name="jingyu", homepage="http://www.jingyu.nianbao.test/"))
    assert _record(archive, "http://www.jingyu.nianbao.test/1.html", OLD) is Outcome.NEW
    assert _record(archive, "http://www.jingyu.nianbao.test/2.html", GONE) is Outcome.NEW
    assert _record(archive, "http://www.jingyu.nianbao.test/3.html", KEPT) is Outcome.NEW
    assert _record(archive, "http://www.jingyu.nianbao.test/1.html", NEW) is Outcome.CHANGED
    assert archive.mark_withdrawn("http://www.jingyu.nianbao.test/2.html", "HTTP 404")
    ids = {h.snippet.split("政府信息")[-1]: h.id for h in archive.search("主动公开", limit=10)}
    return archive, {"old": ids["120条。"], "new": ids["125条。"], "gone": ids["8条。"], "kept": ids["3条。"]}


def test_search_and_export_mark_superseded_and_withdrawn(db_url: str) -> None:
    archive, ids = _archive(db_url)
    hits = {h.id: h for h in archive.search("主动公开", limit=10)}
    assert hits[ids["old"]].superseded_by == ids["new"] and hits[ids["old"]].url is None
    assert hits[ids["new"]].superseded_by is None and hits[ids["new"]].url
    assert hits[ids["gone"]].withdrawn and not hits[ids["kept"]].withdrawn and not hits[ids["old"]].withdrawn
    rows = {r["id"]: r for r in archive.export(with_body=False)}
    assert (rows[ids["old"]]["superseded"], rows[ids["old"]]["superseded_by"], rows[ids["old"]]["urls"]) == (
        True, ids["new"], [])
    assert not rows[ids["new"]]["superseded"] and rows[ids["gone"]]["withdrawn"]
    assert archive.report_marks(ids["old"]) == (ids["new"], False)
    assert archive.report_marks(ids["gone"]) == (None, True)


def test_export_and_search_commands_show_the_marks(sqlite_url: str) -> None:
    _, ids = _archive(sqlite_url)
    exported = run_cmd(["nianbao", "export", "reports", "--format", "csv", "--no-body", "--db", sqlite_url])
    assert exported.returncode == 0, exported.stderr
    rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO(exported.stdout.lstrip("\ufeff")))}
    assert rows[ids["old"]]["superseded"] == "True" and rows[ids["new"]]["superseded"] == "False"
    found = run_cmd(["nianbao", "search", "主动公开", "--db", sqlite_url, "--limit", "2"])
    assert found.returncode == 0, found.stderr
    assert "4 result(s) (showing 1–2)" in found.stdout  # the true total, not the page size
    every = run_cmd(["nianbao", "search", "主动公开", "--db", sqlite_url])
    assert f"superseded by report {ids['new']}" in every.stdout
    assert "(no URL: an edit replaced this text)" in every.stdout
    assert "withdrawn" in every.stdout and "4 result(s)\n" in every.stdout
    as_json = json.loads(run_cmd(["nianbao", "search", "主动公开", "--db", sqlite_url, "--format", "json"]).stdout)
    assert {h["id"]: h["superseded_by"] for h in as_json}[ids["old"]] == ids["new"]


def _atom_problems(root: ET.Element) -> list[str]:
    """RFC 4287 §4.1.1/§4.1.2: what a feed and each entry MUST contain."""
    problems = []
    if root.tag != f"{A}feed":
        return [f"root is {root.tag}"]
    for tag in ("id", "title", "updated"):
        if len(root.findall(f"{A}{tag}")) != 1:
            problems.append(f"feed needs exactly one {tag}")
    entries = root.findall(f"{A}entry")
    if not root.findall(f"{A}author") and not all(e.findall(f"{A}author") for e in entries):
        problems.append("feed or every entry needs an author")
    for entry in entries:
        for tag in ("id", "title", "updated"):
            if len(entry.findall(f"{A}{tag}")) != 1:
                problems.append(f"entry needs exactly one {tag}")
        if entry.find(f"{A}content") is None and not any(link.get("rel", "alternate") == "alternate"
                                                         for link in entry.findall(f"{A}link")):
            problems.append("entry without content needs a rel=alternate link")
        if entry.find(f"{A}content") is None and entry.find(f"{A}summary") is None:
            problems.append("entry without content needs a summary")
    for updated in root.iter(f"{A}updated"):
        if "T" not in (updated.text or "") or not (updated.text or "").endswith(("Z", "+00:00")):
            problems.append(f"updated is no RFC 3339 UTC date-time: {updated.text}")
    return problems


@pytest.mark.e2e  # a real crawl and/or a real browser
def test_feed_route_is_atom_and_marks_edits(sqlite_url: str) -> None:
    sync_api = require_browser()
    _, ids = _archive(sqlite_url)
    with serving(sqlite_url) as base:
        with urllib.request.urlopen(base + "/feed.atom") as answer:
            assert answer.headers["Content-Type"].startswith("application/atom+xml")
            root = ET.fromstring(answer.read())
        assert _atom_problems(root) == []
        entries = root.findall(f"{A}entry")
        kinds = {(e.find(f"{A}link[@rel='alternate']").get("href"), c.get("term"))  # type: ignore[union-attr]
                 for e in entries for c in e.findall(f"{A}category")}
        assert (f"{base}/reports/{ids['old']}", "superseded") in kinds
        assert (f"{base}/reports/{ids['new']}", "changed") in kinds
        assert (f"{base}/reports/{ids['gone']}", "withdrawn") in kinds
        with urllib.request.urlopen(base + "/portals/jingyu/feed.atom") as answer:
            assert _atom_problems(ET.fromstring(answer.read())) == []
        with chromium_page(sync_api) as page:
            p = page  # type: ignore[assignment]
            p.goto(base + "/?q=主动公开")
            feed = "/feed.atom?q=" + urllib.parse.quote_plus("主动公开")  # the feed of this search
            assert p.get_attribute("link[rel=alternate][type='application/atom+xml']", "href") == feed
            assert p.get_attribute("a.feed", "href") == feed
            hits = p.eval_on_selector_all("li.hit", "hs => hs.map(h => [h.querySelector('a.title').href, "
                                          "[...h.querySelectorAll('[data-flag]')].map(f => f.dataset.flag)])")
            flags = {href.rsplit("/", 1)[-1].split("?")[0]: marks for href, marks in hits}
            assert flags == {str(ids["old"]): ["superseded"], str(ids["new"]): [], str(ids["gone"]): ["withdrawn"],
                             str(ids["kept"]): []}
            shot(p, "search-marks")
            p.set_viewport_size({"width": 390, "height": 844})
            assert p.evaluate("document.documentElement.scrollWidth") <= 390  # nothing cut off on a phone
            assert p.is_visible("li.hit a.title")
            shot(p, "search-phone")
            p.set_viewport_size({"width": 1280, "height": 900})
            p.goto(f"{base}/reports/{ids['old']}")
            assert p.is_visible("#superseded")
            p.click("#superseded a")
            assert p.url == f"{base}/reports/{ids['new']}" and not p.is_visible("#superseded")
            p.goto(f"{base}/reports/{ids['gone']}")
            assert p.is_visible("#withdrawn") and "HTTP 404" in p.inner_text(".sources")
            shot(p, "report-withdrawn")


def test_feed_of_a_query_and_of_a_portal(db_url: str) -> None:
    """A saved search is a feed: only events of matching reports, found however old they are."""
    archive, ids = _archive(db_url)
    archive.add_portal(PortalSpec(name="fusong", homepage="http://www.fusong.nianbao.test/"))
    other = "抚松县2023年政府信息公开工作年度报告\n一、总体情况\n本年度收到行政复议申请2件。"
    archive.record(ReportRecord(url="http://www.fusong.nianbao.test/1.html", body=other, portal="fusong",
                                content_sha256=hashlib.sha256(other.encode()).hexdigest(), title="抚松县年报"))
    fusong = archive.search("行政复议")[0].id
    everything = {(e.kind, e.report_id) for e in archive.recent_changes()}
    assert everything == {("new", ids["old"]), ("changed", ids["new"]), ("new", ids["gone"]),
                          ("withdrawn", ids["gone"]), ("new", ids["kept"]), ("new", fusong)}
    濛江 = {(e.kind, e.report_id) for e in archive.recent_changes(query="濛江乡")}
    assert 濛江 == {("new", ids["kept"])}
    jingyu = {e.report_id for e in archive.recent_changes(filters=Filters(portal="jingyu"))}
    assert jingyu == {ids["new"], ids["gone"], ids["kept"]}  # the old text's URL now shows the edit ("changed")
    assert [e.report_id for e in archive.recent_changes(1, filters=Filters(portal="fusong"))] == [fusong]
    assert [e.kind for e in archive.recent_changes(query="8条")] == ["withdrawn", "new"]


def test_feed_routes_take_the_search_query(sqlite_url: str) -> None:
    _, ids = _archive(sqlite_url)
    with serving(sqlite_url) as base:
        with urllib.request.urlopen(base + "/feed.atom?q=" + urllib.parse.quote("濛江乡") + "&year=2023&region=") as a:
            root = ET.fromstring(a.read())
        assert _atom_problems(root) == []
        assert "濛江乡" in root.findtext(f"{A}title", "")
        links = [e.find(f"{A}link[@rel='alternate']").get("href") for e in root.findall(f"{A}entry")]  # type: ignore[union-attr]
        assert links == [f"{base}/reports/{ids['kept']}"]
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(base + "/feed.atom?year=abc")
        assert bad.value.code == 422


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_columns_are_declared(fmt: str, sqlite_url: str) -> None:
    """Every export format carries the superseded/withdrawn columns (CSV header, JSON keys)."""
    _archive(sqlite_url)
    out = run_cmd(["nianbao", "export", "reports", "--format", fmt, "--no-body", "--db", sqlite_url]).stdout
    keys = (out.lstrip("\ufeff").split("\n", 1)[0].split(",") if fmt == "csv" else list(json.loads(out.split("\n")[0])))
    assert {"superseded", "superseded_by", "withdrawn"} <= set(keys)
