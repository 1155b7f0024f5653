"""Main-text extraction quality and speed: nianbao's extractor vs trafilatura vs readability-lxml, in one run.

Every system gets the same decoded HTML (``pipelines.text.encoding.decode_html``) of every page of the test
corpus (``tests/support/corpus.py``: saved real pages with gold, built CMS-pattern pages, the demo portals'
pages) and is scored against the same gold with character-4-gram F1 (``tests/support/metrics.py``) and a count
of leaked ``CHROME_MARKERS``.  Time is per page, the median of ``--rounds`` interleaved rounds, so
machine noise hits all systems alike; the table prints the median over pages.

Usage (from the repository root, after ``pip install -e ".[bench]"``):
    python benchmarks/extraction.py [--rounds 3] [--worst 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lxml.html
import trafilatura
from readability import Document

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the corpus and the metric live with the tests

from pipelines.extract import extract  # noqa: E402
from pipelines.text.chrome import CHROME_MARKERS  # noqa: E402
from pipelines.text.encoding import decode_html  # noqa: E402
from tests.support.corpus import corpus  # noqa: E402
from tests.support.metrics import ngram_f1  # noqa: E402

FLOOR = 0.95


def _readability(html: str, url: str | None) -> str:
    summary = Document(html, url=url).summary(html_partial=True)
    return lxml.html.fromstring(summary).text_content() if summary.strip() else ""


SYSTEMS: dict[str, Callable[[str, str | None], str]] = {
    "nianbao": lambda html, url: extract(html, url).text,
    "trafilatura": lambda html, url: trafilatura.extract(html, url=url, include_tables=True) or "",
    "readability-lxml": _readability,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds (interleaved); median per page")
    parser.add_argument("--worst", type=int, default=3, help="list each system's N lowest-scoring pages")
    args = parser.parse_args()
    pages = corpus()
    htmls = [decode_html(p.raw, p.charset) for p in pages]
    times: dict[str, list[list[float]]] = {name: [[] for _ in pages] for name in SYSTEMS}
    texts: dict[str, list[str]] = {name: [""] * len(pages) for name in SYSTEMS}
    for _ in range(args.rounds):
        for i, (page, html) in enumerate(zip(pages, htmls, strict=True)):
            for name, run in SYSTEMS.items():
                start = time.perf_counter()
                texts[name][i] = run(html, page.url)
                times[name][i].append((time.perf_counter() - start) * 1000)

    gov = [i for i, p in enumerate(pages) if p.gov]
    print(f"{len(pages)} pages ({len(gov)} government pages; {sum(not p.gov for p in pages)} content-farm copies), "
          f"{args.rounds} timing rounds\n")
    print("| system | mean F1 (gov) | mean F1 (all) | min F1 | pages < 0.95 | pages leaking | markers leaked "
          "| median ms/page |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    medians: dict[str, float] = {}
    for name in SYSTEMS:
        f1 = [ngram_f1(text, page.gold) for text, page in zip(texts[name], pages, strict=True)]
        leaks = [sum(marker in text for marker in CHROME_MARKERS) for text in texts[name]]
        medians[name] = statistics.median(statistics.median(t) for t in times[name])
        print(f"| {name} | {statistics.mean(f1[i] for i in gov):.3f} | {statistics.mean(f1):.3f} | {min(f1):.3f} "
              f"| {sum(f < FLOOR for f in f1)} | {sum(n > 0 for n in leaks)} | {sum(leaks)} | {medians[name]:.1f} |")
        worst = sorted(range(len(pages)), key=f1.__getitem__)[: args.worst]
        details = ", ".join(f"{pages[i].name} {f1[i]:.3f}" for i in worst)
        print(f"<!-- {name} lowest: {details} -->")
    ratio = medians["nianbao"] / medians["trafilatura"]
    print(f"\nnianbao median time / trafilatura median time = {ratio:.2f} (goal ≤ 1)")


if __name__ == "__main__":
    main()
