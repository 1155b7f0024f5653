"""Regression snapshots: the built CMS-pattern pages and the demo pages, against golds written with the code.

These golds were written together with the pages (and most equal what ``extract()`` printed when they were
written), so they pin behaviour; they do not measure quality — ``test_extraction_quality.py`` does that on
real pages with independent golds. Every page must still reach character-4-gram F1 ≥ 0.95 against its
snapshot and leak no chrome marker.
"""

from __future__ import annotations

import json

import pytest

from pipelines.extract import Extraction, extract
from pipelines.text.chrome import CHROME_MARKERS
from pipelines.text.encoding import decode_html
from tests.support.corpus import CORPUS, corpus
from tests.support.metrics import ngram_f1

ALL = corpus()
PAGES = {page.name: page for page in ALL if not page.independent}
F1_FLOOR = 0.95


@pytest.fixture(scope="module")
def results() -> dict[str, Extraction]:
    return {name: extract(decode_html(page.raw, page.charset), page.url) for name, page in PAGES.items()}


def _leaks(text: str) -> list[str]:
    return [marker for marker in CHROME_MARKERS if marker in text]


def test_corpus_is_complete_and_varied() -> None:
    built = {p.stem for p in (CORPUS / "built").glob("*.html")}
    listed = {name.removeprefix("built/") for name in PAGES if name.startswith("built/")}
    assert built == listed, "every built page needs a manifest entry (and a gold file)"
    assert len(built) >= 28
    assert sum(name.startswith("demo/") for name in PAGES) >= 50
    assert len({page.name for page in ALL}) == len(ALL)  # names are unique
    entries = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    containers = {entry["container"] for entry in entries}
    assert {"density", "hanweb-markers", ".TRS_Editor", ".TRS_UEDITOR", ".Custom_UnionStyle", "#zoom", "#zoomcon",
            "#UCAP-CONTENT"} <= containers


@pytest.mark.parametrize("name", sorted(PAGES))
def test_snapshot_floor(name: str, results: dict[str, Extraction]) -> None:
    got, page = results[name], PAGES[name]
    assert not got.no_body
    assert ngram_f1(got.text, page.gold) >= F1_FLOOR
    assert _leaks(got.text) == []


@pytest.mark.parametrize("name", sorted(PAGES))
def test_snapshot_metadata(name: str, results: dict[str, Extraction]) -> None:
    got, page = results[name], PAGES[name]
    if page.container:
        assert got.container == page.container
    if page.title:
        assert got.title == page.title
    assert got.published == page.published
    if page.contains:
        assert page.contains in got.text


def test_metric_punishes_chrome_and_loss() -> None:
    """The floor can fail: half a body lost, or a nav/footer/counter block left in, scores below it."""
    gold = PAGES["built/trs_br_separated_lines"].gold
    assert ngram_f1(gold[: len(gold) // 2], gold) < F1_FLOOR
    chrome = "首页 政务公开 当前位置 主办单位：某某市人民政府办公室 网站标识码：2208210001 浏览次数：1234\n"
    assert ngram_f1(gold + "\n" + chrome * 8, gold) < F1_FLOOR
