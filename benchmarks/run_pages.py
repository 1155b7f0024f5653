"""Portal and run pages over many or big crawl runs: whole-page latency, and the same answer read from whole runs.

Two shapes of run history over P portals (default 2,000), R runs each (default 25):

* ``scheduled``: what `nianbao schedule` leaves, one run per portal per crawl (P × R small runs);
* ``wide``: R crawls of every portal at once; each run stores every portal's counters (``nianbao/portal/NAME/…``
  in ``crawl_run.stats``), ~1.3 MB of JSON a run with 16 counters a portal.

Runs are inserted in bulk (the archive's ``start_run``/``finish_run`` write them one at a time) with the run-wide
columns ``finish_run`` writes (migration 0012), and their per-portal rows (``crawl_run_portal``) filled by the
backfill migration 0011 runs, timed; then the portal page, the portal JSON, the run list (HTML, and JSON for one
portal) and one run's page are timed in-process through the ASGI app, p50/p95 each. Baseline, in the same run: the
portal's run-to-run counters read the way the first portal page did, the newest 200 runs loaded whole
(``Archive.list_runs``) and the portal's picked in Python; the last line of a shape is baseline p50 / portal-page
p50. (The stats-JSON read the page used before ``crawl_run_portal``: run this script from a checkout before
migration 0011.)

Usage: python benchmarks/run_pages.py [--portals 2000] [--runs 25] [--rounds 15] [--shapes scheduled,wide]
[--backends sqlite,postgresql] [--pg URL]   (PostgreSQL is skipped when no server answers.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nianbao.health import measure  # noqa: E402
from nianbao.web import create_app  # noqa: E402
from storage import Archive, PortalSpec  # noqa: E402
from storage.archive.runcounters import backfill_run_portals, run_totals  # noqa: E402
from storage.models import CrawlRun, RunPortal, utcnow  # noqa: E402
from storage.session import dispose_engine  # noqa: E402

COUNTERS = ("list_pages", "links/report", "links/other", "links/related", "extracted", "reports/new",
            "reports/unchanged", "reports/duplicate", "errors", "errors/report", "hostile/challenged",
            "incremental/skipped", "attachments/ok", "statistics/read", "discovery/pages", "list_pages_stopped_seen")
BASELINE_RUNS = 200  # the page before read this many newest runs whole and kept the portal's


def build(url: str, shape: str, portals: int, runs: int) -> Archive:
    archive = Archive(url)
    names = [f"p{i:04d}" for i in range(portals)]
    archive.add_portal(PortalSpec(name=names[1], homepage="http://p.nianbao.test/"))
    crawls = [[name] for _ in range(runs) for name in names] if shape == "scheduled" else [names] * runs
    now = utcnow()
    with archive.engine.begin() as conn:
        for start in range(0, len(crawls), 1000):
            stats = [{"downloader/response_count": 30, "nianbao/reports/new": 1,
                      **{f"nianbao/portal/{n}/{c}": 3 for n in crawled for c in COUNTERS}}
                     for crawled in crawls[start:start + 1000]]
            conn.execute(insert(CrawlRun), [  # the run-wide columns as finish_run writes them
                {"started_at": now, "finished_at": now, "finish_reason": "finished", "portals": crawled,
                 "errors": [], "stats": counted, **run_totals(counted, [])}
                for crawled, counted in zip(crawls[start:start + 1000], stats, strict=True)])
    start = time.perf_counter()
    with archive.engine.begin() as conn:
        filled = backfill_run_portals(conn, CrawlRun.__table__, RunPortal.__table__, RunPortal.COUNTERS)
    print(f"  backfill of crawl_run_portal: {filled} runs in {time.perf_counter() - start:.1f} s")
    return archive


def timed(call: Callable[[], object], rounds: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds (one warm-up call first)."""
    call()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


@contextmanager
def database(backend: str, pg: str | None) -> Iterator[str | None]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    if not pg:
        yield None
        return
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    name = f"nianbao_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'"))
    except Exception as exc:  # no server: say so and go on with the other backends
        print(f"postgresql: skipped ({exc.__class__.__name__})")
        yield None
        return
    url = make_url(pg).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        dispose_engine(url)
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--portals", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--shapes", default="scheduled,wide")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg", default=os.environ.get("NIANBAO_TEST_PG_URL"))
    args = parser.parse_args()
    for backend in args.backends.split(","):
        for shape in args.shapes.split(","):
            with database(backend, args.pg) as url:
                if url is not None:
                    print(f"{backend}, {shape}: {args.portals} portals, {args.runs} runs each, "
                          f"{len(COUNTERS)} counters a portal")
                    report(backend, shape, build(url, shape, args.portals, args.runs), args)
                    dispose_engine(url)


def report(backend: str, shape: str, archive: Archive, args: argparse.Namespace) -> None:
    name = "p0001"
    client = TestClient(create_app(archive))
    pages = {"/portals/NAME": f"/portals/{name}", "/api/portals/NAME": f"/api/portals/{name}",
             "/runs": "/runs", "/api/runs?portal=NAME": f"/api/runs?portal={name}",
             "/runs/ID": f"/runs/{archive.runs_page(1, 0, name)[0][0].id}"}
    results = {}
    for label, path in pages.items():
        results[label] = timed(lambda p=path: client.get(p).raise_for_status(), args.rounds)
        print(f"  {label:<22} p50 {results[label][0]:7.1f} ms   p95 {results[label][1]:7.1f} ms")
    def old_page() -> list[object]:
        return [measure(r, name) for r in archive.list_runs(limit=BASELINE_RUNS) if name in r.portals]

    baseline = timed(old_page, args.rounds)
    found, shown = len(old_page()), len(client.get(pages["/api/portals/NAME"]).json()["runs"])
    print(f"  {'baseline (whole runs)':<22} p50 {baseline[0]:7.1f} ms   p95 {baseline[1]:7.1f} ms"
          f"   (finds {found} of the portal's runs; the page shows {shown})")
    print(f"  baseline p50 / portal page p50: {baseline[0] / results['/portals/NAME'][0]:.1f}×")


if __name__ == "__main__":
    main()
