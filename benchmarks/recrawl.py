"""Cost of a re-crawl to the portals: the demo portals crawled twice, with and without incremental re-crawls.

For each mode, a fresh SQLite archive gets a first full crawl and then a second crawl of the unchanged
portals; the demo server's request log of the second crawl is split into list pages, report (detail)
pages and robots.txt. Printed: requests per distinct list page, full list-page downloads (200) vs 304s,
and detail downloads. Goal with incremental re-crawls: ≤ 1.1 requests per list page and 0 detail
downloads when nothing changed. A last crawl after nianbao/demo/changes.py's edits (one new report, one
edited, two withdrawn; every recheck due) shows what a change costs.

Usage: python benchmarks/recrawl.py [--copies 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from nianbao.demo import DemoPortal, DemoServer, demo_portals
from nianbao.demo.changes import changed_portals
from storage import Archive, PortalSpec

ROOT = Path(__file__).resolve().parents[1]
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=ERROR"]
PLAIN = ["-s", "HTTPCACHE_ENABLED=0", "-s", "NIANBAO_RECHECK_DAYS=-1"]  # every page downloaded every time


def crawl(server: DemoServer, db_url: str, extra: list[str]) -> list[tuple[str, str, int]]:
    start = len(server.requests)
    done = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--db", db_url, *FAST, *extra], cwd=ROOT,
                          env={**os.environ, "NIANBAO_DEMO_PROXY": server.proxy_url}, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"crawl failed:\n{done.stdout}\n{done.stderr}")
    return server.requests[start:]


def split(requests: list[tuple[str, str, int]], portals: list[DemoPortal]) -> dict[str, Counter[int]]:
    details = {(p.host, path) for p in portals for d in p.documents for path in d.paths}
    out: dict[str, Counter[int]] = {"list": Counter(), "detail": Counter(), "robots": Counter()}
    pages: set[tuple[str, str]] = set()
    for host, target, status in requests:
        path = urlsplit(target).path
        kind = "robots" if path == "/robots.txt" else "detail" if (host, path) in details else "list"
        out[kind][status] += 1
        if kind == "list":
            pages.add((host, target))
    out["pages"] = Counter({"distinct": len(pages)})
    return out


def line(label: str, c: dict[str, Counter[int]]) -> str:
    lists, pages = c["list"].total(), c["pages"]["distinct"]
    return (f"| {label} | {pages} | {lists / pages:.2f} | {(lists + c['robots'].total()) / pages:.2f} | "
            f"{c['list'][200]} | {c['list'][304]} | {c['detail'][200]} | {c['detail'][304]} | "
            f"{c['detail'].total() - c['detail'][200] - c['detail'][304]} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10, help="clones of the 3 demo portals")
    args = parser.parse_args()
    portals = demo_portals(args.copies)
    print(f"{len(portals)} portals, {sum(len(p.documents) for p in portals)} documents\n")
    print("| second crawl | list pages | requests / list page | incl. robots.txt | list 200 | list 304 "
          "| detail 200 | detail 304 | detail other |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp, DemoServer(portals) as server:
        for label, extra in (("plain (no cache, no skip)", PLAIN), ("incremental (default)", [])):
            db_url = f"sqlite:///{tmp}/{label.split()[0]}.db"
            archive = Archive(db_url)
            for p in portals:
                archive.add_portal(PortalSpec(name=p.name, homepage=p.homepage, column_urls=p.column_urls, cms=p.cms))
            crawl(server, db_url, extra)
            print(line(label, split(crawl(server, db_url, extra), portals)))
        later = changed_portals()
        changed = {p.name: p for p in later.portals}
        after = [changed.get(p.name, p) for p in portals]
        server.set_portals(after, later.overrides)
        requests = crawl(server, f"sqlite:///{tmp}/incremental.db", ["-s", "NIANBAO_RECHECK_DAYS=0"])
        print(line("incremental, after changes, every recheck due", split(requests, [*portals, *after])))
        run = Archive(f"sqlite:///{tmp}/incremental.db").list_runs(1)[0]
        print("\nafter changes: " + ", ".join(f"{run.stats.get(f'nianbao/reports/{o}', 0)} {o}"
                                              for o in ("new", "changed", "withdrawn", "unchanged")))


if __name__ == "__main__":
    main()
