"""Extraction quality, measured only on real pages whose golds our code did not produce.

Golds: the Pingtan archive's own ``page.txt`` and Chromium's rendering of each page's article element,
corrected by hand (``extraction_corpus/realpages/PROVENANCE.md``). Every page must reach character-4-gram F1
≥ 0.95 and leak no chrome marker; together they must average ≥ 0.98. The built and demo pages are regression
snapshots (``test_extraction_snapshots.py``) and are never quoted as quality.
"""

from __future__ import annotations

import statistics

import pytest

from pipelines.extract import Extraction, extract
from pipelines.text.chrome import CHROME_MARKERS
from pipelines.text.encoding import decode_html
from tests.support.corpus import corpus
from tests.support.metrics import ngram_f1

PAGES = {page.name: page for page in corpus() if page.independent}
F1_FLOOR = 0.95
MEAN_GOAL = 0.98


@pytest.fixture(scope="module")
def results() -> dict[str, Extraction]:
    return {name: extract(decode_html(page.raw, page.charset), page.url) for name, page in PAGES.items()}


def test_there_are_independent_golds() -> None:
    assert len(PAGES) >= 10


@pytest.mark.parametrize("name", sorted(PAGES))
def test_real_page_against_independent_gold(name: str, results: dict[str, Extraction]) -> None:
    got, page = results[name], PAGES[name]
    assert not got.no_body
    assert ngram_f1(got.text, page.gold) >= F1_FLOOR
    assert [marker for marker in CHROME_MARKERS if marker in got.text] == []
    if page.title:
        assert got.title == page.title
    assert got.published == page.published


def test_real_pages_mean_f1(results: dict[str, Extraction]) -> None:
    assert statistics.mean(ngram_f1(results[n].text, p.gold) for n, p in PAGES.items()) >= MEAN_GOAL
