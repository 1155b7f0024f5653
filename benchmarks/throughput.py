"""Full-pipeline crawl throughput vs a bare Scrapy download of the same URLs, in one run.

Serves the demo portals cloned to ~200 portals and crawls them with `nianbao crawl` into a fresh SQLite
archive per run; the baseline, benchmarks/bare_spider.py, downloads exactly the URLs that crawl fetched.
Both get the same settings (no politeness delay, 2 requests per host, 64 in all), the same proxy and the
same loopback server, and each is timed by Scrapy's own ``elapsed_time_seconds`` (process start-up
excluded).  An untimed warm-up of each comes first (the server builds a portal's pages on first request);
then rounds rotate the order of the runs, and each round's ratio is full pages/s over bare pages/s of the
same round, so machine noise hits both alike.  Printed: every round, then the median ratio and its spread,
and the same for CPU seconds per page of the crawl process (start-up included), which other work on a
shared machine disturbs less than wall-clock time.

``--against DIR`` also times the full pipeline of another checkout (e.g. the previous commit) in the same
rounds; ``--also "[LABEL: ]-s NAME=VALUE …"`` also times this checkout with extra settings (one lever off).

Usage: python benchmarks/throughput.py [--copies 67] [--rounds 5] [--against DIR]... [--also SETTINGS]...
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nianbao.demo import DemoServer, demo_portals

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS=64",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "LOG_LEVEL=ERROR"]
# Run in the checkout being timed, so its own code registers the portals and reads the run's stats.
REGISTER = """
import json, sys
from nianbao.demo import demo_portals
from storage import Archive, PortalSpec
archive = Archive(sys.argv[1])
for p in demo_portals(int(sys.argv[2])):
    archive.add_portal(PortalSpec(name=p.name, column_urls=p.column_urls, cms=p.cms), replace=True)
"""
STATS = "import json, sys\nfrom storage import Archive\nprint(json.dumps(Archive(sys.argv[1]).list_runs(1)[0].stats))"


@dataclass
class Run:
    """One timed configuration: the bare baseline, or the full pipeline of a checkout with extra settings."""

    label: str
    checkout: Path | None = None  # None: the bare spider
    extra: list[str] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # CPU seconds per page
    pages: int = 0
    reports: int = 0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _python(code_or_args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, *code_or_args], cwd=cwd, env={**os.environ, **(env or {})},
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(code_or_args)[:200]} failed in {cwd}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def full_crawl(run: Run, server: DemoServer, copies: int, tmp: Path, n: int) -> tuple[int, float, int, float]:
    """Pages, seconds, reports stored and CPU seconds of one crawl into a fresh archive."""
    assert run.checkout is not None
    db_url = f"sqlite:///{tmp}/full{n}.db"
    _python(["-c", REGISTER, db_url, str(copies)], run.checkout)
    cpu = _cpu()
    _python(["-m", "nianbao.cli", "crawl", "--db", db_url, *SETTINGS, *run.extra], run.checkout,
            {"NIANBAO_DEMO_PROXY": server.proxy_url})
    cpu = _cpu() - cpu
    stats = json.loads(_python(["-c", STATS, db_url], run.checkout))
    return (stats["downloader/response_count"], float(stats["elapsed_time_seconds"]),
            stats.get("nianbao/reports/new", 0) + stats.get("nianbao/reports/duplicate", 0), cpu)


def bare_crawl(server: DemoServer, urls_file: Path) -> tuple[int, float, int, float]:
    cpu = _cpu()
    out = _python([str(ROOT / "benchmarks" / "bare_spider.py"), str(urls_file), server.proxy_url, *SETTINGS], ROOT)
    cpu = _cpu() - cpu
    stats = json.loads(out.strip().splitlines()[-1])
    return stats["downloader/response_count"], float(stats["elapsed_time_seconds"]), 0, cpu


def _variant(extra: str) -> Run:
    """``--also "[NAME: ]-s A=B …"``: this checkout with extra settings, labelled NAME (or by the settings)."""
    name, _, settings = extra.partition(": ") if not extra.startswith("-") else ("", "", extra)
    return Run(f"full pipeline, {name or settings}", ROOT, shlex.split(settings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=67, help="clones of the 3 demo portals (67 → 201 portals)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", type=Path, action="append", default=[], metavar="DIR",
                        help="another checkout whose full pipeline is timed in the same rounds")
    parser.add_argument("--also", action="append", default=[], metavar="SETTINGS",
                        help='this checkout with extra settings, e.g. "no cache: -s HTTPCACHE_ENABLED=0"')
    args = parser.parse_args()
    bare = Run("bare Scrapy")
    runs = [Run("full pipeline", ROOT), bare, *(Run(f"full pipeline of {d}", d.resolve()) for d in args.against),
            *(_variant(extra) for extra in args.also)]
    portals = demo_portals(args.copies)
    print(f"{len(portals)} portals, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory() as tmp, DemoServer(portals) as server:
        urls_file = Path(tmp) / "urls.txt"
        full_crawl(runs[0], server, args.copies, Path(tmp), -1)  # warm-up; it also gives the URLs to download
        urls = sorted({f"http://{host}{path}" for host, path, _ in server.requests if path != "/robots.txt"})
        urls_file.write_text("\n".join(urls), encoding="utf-8")
        bare_crawl(server, urls_file)
        for round_no in range(args.rounds):
            shift = round_no % len(runs)
            line = []
            for n, run in enumerate(runs[shift:] + runs[:shift]):
                pages, seconds, reports, cpu = (bare_crawl(server, urls_file) if run is bare else
                                                full_crawl(run, server, args.copies, Path(tmp), round_no * 100 + n))
                run.rates.append(pages / seconds)
                run.cpu.append(cpu / pages)
                run.pages, run.reports = pages, reports
                line.append(f"{run.label} {pages} pages in {seconds:.1f} s ({cpu:.1f} s CPU)")
            print(f"round {round_no + 1}: " + "; ".join(line), flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at end; "
          f"bare Scrapy: {bare.pages} pages, median {statistics.median(bare.rates):.0f} pages/s")
    for run in runs:
        if run is bare:
            continue
        ratios = [full / base for full, base in zip(run.rates, bare.rates, strict=True)]
        cpu = [base / full for full, base in zip(run.cpu, bare.cpu, strict=True)]
        print(f"{run.label}: {run.pages} pages, {run.reports} reports, median {statistics.median(run.rates):.0f} "
              f"pages/s; ratio to bare Scrapy median {statistics.median(ratios):.2f} "
              f"(min {min(ratios):.2f}, max {max(ratios):.2f}, {len(ratios)} rounds); CPU per page, bare over full: "
              f"median {statistics.median(cpu):.2f} (min {min(cpu):.2f}, max {max(cpu):.2f})")


if __name__ == "__main__":
    main()
