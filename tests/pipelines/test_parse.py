"""Parsing a page: once per page in a crawl, one walk for the page and its body, bad input and size caps.

Each report page is parsed once in a crawl: the tree the attachments stage makes is the one extraction reads.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from crawler import settings
from nianbao.demo import DemoServer, demo_portals
from nianbao.demo.attachments import attachment_portals
from pipelines.extract import Extraction, extract
from pipelines.text.encoding import decode_html
from pipelines.text.html.parse import MAX_HTML_CHARS, parse
from pipelines.text.html.render import render, render_with
from storage import Archive
from tests.support import CORPUS
from tests.support.commands import run_cmd
from tests.support.corpus import CorpusPage, corpus
from tests.support.crawls import NO_DELAY, fast, register
from tests.support.parse_count import PARSES, REPORT_PAGES

PINGTAN_2023 = CORPUS / "realpages" / "fj_pingtan_zfxxgknb_2023_annual_report_detail_trs.html"


@pytest.mark.e2e
def test_a_crawl_parses_each_report_page_once(tmp_path: Path) -> None:
    """Counted where lxml parses a whole HTML document, against the HTML report pages the crawl fetched."""
    portals = [*demo_portals(), attachment_portals()[0]]
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    register(db, portals)
    extensions = json.dumps({**settings.EXTENSIONS, "tests.support.parse_count.ParseCounter": 0})
    with DemoServer(portals) as server:
        done = run_cmd(["scrapy", "crawl", "reports", *NO_DELAY, "-s", f"EXTENSIONS={extensions}"],
                       env=fast(server.proxy_url, db))
    assert done.returncode == 0, done.stderr[-3000:]
    stats = Archive(db).list_runs(1)[0].stats
    assert stats[REPORT_PAGES] >= 30 and stats["nianbao/extracted"] >= 30
    assert stats[PARSES] == stats[REPORT_PAGES]


@pytest.mark.e2e
def test_oversized_page_is_cut_not_exhausting_memory() -> None:
    """Past MAX_HTML_CHARS the page is treated as truncated: the body that arrived first is kept."""
    para = "<p>" + "本机关持续推进政府信息公开工作，全年主动公开政府信息若干条。" * 4 + "</p>"
    image = "<img src='data:image/png;base64," + "iVBORw0KGgo" * 200_000 + "'>"  # 2.2 M chars, dropped first
    fits = MAX_HTML_CHARS // len(para)
    html = "<html><body><div class='TRS_Editor'>" + image + "<p>第一段正文。</p>" + para * (fits + 10)
    got = extract(html + "<p>超出上限的最后一段。</p></div></body></html>")
    assert got.container == ".TRS_Editor"
    assert got.text.startswith("第一段正文。") and "超出上限" not in got.text
    assert fits - 2 <= got.text.count("\n") <= fits + 1


def test_inline_data_images_do_not_count_against_the_cap() -> None:
    image = "<img src='data:image/jpeg;base64," + "/9j/4AAQSkZJRg" * 400_000 + "'>"  # 5.6 M chars
    got = extract(f"<html><body><div class='TRS_Editor'>{image}<p>图片之后的正文仍然保留。</p></div></body></html>")
    assert got.text == "图片之后的正文仍然保留。"


@pytest.mark.parametrize("page", corpus(), ids=lambda p: p.name)
def test_one_walk_renders_the_page_and_its_body_as_two_walks_would(page: CorpusPage) -> None:
    """The metadata bar is searched in the page rendered in the same walk as the body container."""
    doc = parse(decode_html(page.raw, page.charset)).doc
    assert doc is not None
    blocks = list(doc.iter("body", "div", "td", "table", "span", "p"))
    whole = render(doc)
    for el in blocks[:: max(1, len(blocks) // 25)]:  # a spread of blocks, inline ones and tables included
        assert render_with(doc, el) == (whole, render(el))


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   \n ",
        "\x00\x01\x02",
        '<?xml version="1.0" encoding="utf-8"?>',
        "<html><body><div class='TRS_Editor'><p>未闭合",
        "<table><tr><td><table>",
        "</div></p></body>",
    ],
)
def test_bad_input_never_raises(html: str) -> None:
    got = extract(html)
    assert isinstance(got, Extraction)
    assert got.text == got.text.strip()


def test_binary_junk() -> None:
    got = extract(decode_html(os.urandom(20_000)))
    assert got.no_body and got.text == ""


def test_truncated_html_keeps_what_arrived() -> None:
    html = PINGTAN_2023.read_text(encoding="utf-8")
    got = extract(html[: html.index("五、存在的主要问题")])
    assert got.text.startswith("本报告根据") and got.container == ".TRS_Editor"


@pytest.mark.e2e
def test_five_megabyte_page_completes() -> None:
    para = "<p>" + "本机关持续推进政府信息公开工作，全年主动公开政府信息若干条。" * 4 + "</p>"
    nav = "<div class='nav'>" + "".join(f"<a href='/{i}'>导航{i}</a>" for i in range(20)) + "</div>"
    html = "<html><body>" + nav * 1000 + "<table><tr><td>" + para * 13000 + "</td></tr></table></body></html>"
    assert len(html.encode()) > 5_000_000
    got = extract(html)
    assert got.container == "density" and got.text.count("\n") == 12999


def test_bytes_input_is_decoded() -> None:
    raw = "<html><body><div id='zoom'><p>字节输入的正文，镕。</p></div></body></html>".encode("gbk")
    assert extract(raw).text == "字节输入的正文，镕。"
