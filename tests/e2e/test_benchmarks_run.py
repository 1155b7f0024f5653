"""Every benchmark script still runs, at a toy size (issue 15: "benchmarks still pass on a fresh clone").

Only that they run to the end and print their comparison: the figures themselves are measured at full size and
written in docs/benchmarks.md; tests never assert timings.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tests.support import ROOT
from tests.support.commands import PG_URL, run_cmd

TOY_RUNS = {
    "attachments.py": ["--rounds", "1", "--limit", "3"],
    "documents.py": ["--generated", "1"],
    "statistics_tables.py": [],
    "startup.py": ["--rounds", "1"],
    "recrawl.py": ["--copies", "1"],
    "throughput.py": ["--copies", "1", "--rounds", "1"],
    "search.py": ["--docs", "200", "--backends", "sqlite"],  # its PostgreSQL path is the same query code
    "extraction.py": ["--rounds", "1"],
    "run_pages.py": ["--portals", "20", "--runs", "3", "--rounds", "2",
                     "--backends", "sqlite,postgresql" if PG_URL else "sqlite"],
}
NEEDS = {"extraction.py": ("trafilatura", "readability")}  # the bench extra
NOT_RUN = {"bare_spider.py": "the baseline spider that throughput.py runs",
           "workers.py": "needs Redis and PostgreSQL and takes ~80 s at its smallest size (1 copy, 1 worker)"}


@pytest.mark.e2e
@pytest.mark.parametrize("script", sorted(TOY_RUNS))
def test_benchmark_runs_at_toy_size(script: str) -> None:
    missing = [m for m in NEEDS.get(script, ()) if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{script} needs the bench extra ({', '.join(missing)} not installed)")
    done = run_cmd([sys.executable, str(ROOT / "benchmarks" / script), *TOY_RUNS[script]], timeout=280)
    assert done.returncode == 0, f"{script} failed:\n{done.stderr[-3000:]}"
    assert done.stdout.strip(), f"{script} printed nothing"


def test_every_benchmark_script_has_a_toy_run() -> None:
    scripts = {p.name for p in (ROOT / "benchmarks").glob("*.py")}
    assert scripts == set(TOY_RUNS) | set(NOT_RUN)
