"""Full-pipeline crawl throughput vs a bare Scrapy download of the same URLs, in one run.

Serves the demo portals cloned to ~200 portals (no politeness delay, 2 requests per host, 64 in
all), crawls them with `nianbao crawl` into a fresh SQLite archive, then downloads exactly the URLs
that crawl fetched with benchmarks/bare_spider.py, and prints pages/s for both and their ratio.
Both runs are subprocesses against the same loopback server; each is timed by Scrapy's own
``elapsed_time_seconds`` (process start-up excluded). Rounds alternate to spread machine noise.

Usage: python benchmarks/throughput.py [--copies 67] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from nianbao.demo import DemoServer, demo_portals
from storage import Archive, PortalSpec

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS=64",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "LOG_LEVEL=ERROR"]


def full_crawl(proxy: str, db_url: str) -> tuple[int, float, int]:
    env = {**os.environ, "NIANBAO_DEMO_PROXY": proxy}
    done = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--db", db_url, *SETTINGS], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"full crawl failed:\n{done.stdout}\n{done.stderr}")
    run = Archive(db_url).list_runs(1)[0]
    return (run.stats["downloader/response_count"], float(run.stats["elapsed_time_seconds"]),
            run.stats.get("nianbao/reports/new", 0) + run.stats.get("nianbao/reports/duplicate", 0))


def bare_crawl(proxy: str, urls_file: Path) -> tuple[int, float]:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bare_spider.py"), str(urls_file), proxy],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"bare crawl failed:\n{done.stderr}")
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    return stats["downloader/response_count"], float(stats["elapsed_time_seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=67, help="clones of the 3 demo portals (67 → 201 portals)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    portals = demo_portals(args.copies)
    full_rates, bare_rates = [], []
    with tempfile.TemporaryDirectory() as tmp, DemoServer(portals) as server:
        for round_no in range(args.rounds):
            db_url = f"sqlite:///{tmp}/bench{round_no}.db"
            archive = Archive(db_url)
            for p in portals:
                archive.add_portal(PortalSpec(name=p.name, column_urls=p.column_urls, cms=p.cms), replace=True)
            server.requests.clear()
            pages, seconds, stored = full_crawl(server.proxy_url, db_url)
            urls = sorted({f"http://{host}{path}" for host, path, _ in server.requests if path != "/robots.txt"})
            urls_file = Path(tmp) / "urls.txt"
            urls_file.write_text("\n".join(urls), encoding="utf-8")
            bare_pages, bare_seconds = bare_crawl(server.proxy_url, urls_file)
            full_rates.append(pages / seconds)
            bare_rates.append(bare_pages / bare_seconds)
            print(f"round {round_no + 1}: full pipeline {pages} pages in {seconds:.1f} s ({pages / seconds:.0f}/s, "
                  f"{stored} reports stored); bare Scrapy {bare_pages} pages in {bare_seconds:.1f} s "
                  f"({bare_pages / bare_seconds:.0f}/s)")
    full, bare = statistics.median(full_rates), statistics.median(bare_rates)
    print(f"{len(portals)} portals: full pipeline {full:.0f} pages/s, bare Scrapy {bare:.0f} pages/s, "
          f"ratio {full / bare:.2f}")


if __name__ == "__main__":
    main()
