"""Main-text extraction quality and speed: nianbao's extractor vs trafilatura vs readability-lxml, in one run.

Every system gets the same decoded HTML (``pipelines.text.encoding.decode_html``) of every page of the test
corpus (``tests/support/corpus.py``) and is scored against the same gold with character-4-gram F1
(``tests/support/metrics.py``) and a count of leaked ``CHROME_MARKERS``. Two tables: real pages with
independent golds (the quality figure) and built/demo pages whose golds were written with our code (regression
snapshots: they flatter us and are printed only to show the other systems on the same layouts).
Time is per page, the median of ``--rounds`` interleaved rounds, so
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

    medians = {name: statistics.median(statistics.median(t) for t in times[name]) for name in SYSTEMS}
    groups = {"real pages, independent golds (quality)": [i for i, p in enumerate(pages) if p.independent],
              "built and demo pages, golds written with our code (snapshots, not quality)":
                  [i for i, p in enumerate(pages) if not p.independent]}
    print(f"{len(pages)} pages, {args.rounds} timing rounds")
    for title, members in groups.items():
        print(f"\n{title}: {len(members)} pages\n")
        print("| system | mean F1 | min F1 | pages < 0.95 | pages leaking | markers leaked |")
        print("|---|---:|---:|---:|---:|---:|")
        for name in SYSTEMS:
            f1 = {i: ngram_f1(texts[name][i], pages[i].gold) for i in members}
            leaks = {i: sum(marker in texts[name][i] for marker in CHROME_MARKERS) for i in members}
            print(f"| {name} | {statistics.mean(f1.values()):.3f} | {min(f1.values()):.3f} "
                  f"| {sum(f < FLOOR for f in f1.values())} | {sum(n > 0 for n in leaks.values())} "
                  f"| {sum(leaks.values())} |")
            worst = sorted(f1, key=f1.__getitem__)[: args.worst]
            print(f"<!-- {name} lowest: {', '.join(f'{pages[i].name} {f1[i]:.3f}' for i in worst)} -->")
    print("\n| system | median ms/page (all pages) |\n|---|---:|")
    for name in SYSTEMS:
        print(f"| {name} | {medians[name]:.1f} |")
    ratio = medians["nianbao"] / medians["trafilatura"]
    print(f"\nnianbao median time / trafilatura median time = {ratio:.2f} (goal ≤ 1)")


if __name__ == "__main__":
    main()
