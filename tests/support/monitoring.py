"""Helpers for the monitoring tests: crawl demo portals that change between runs, in real subprocesses."""

from __future__ import annotations

import subprocess
from collections import Counter
from urllib.parse import urlsplit

from nianbao.demo import DemoPortal, DemoServer
from tests.support.commands import run_cmd
from tests.support.crawls import NO_DELAY, register

__all__ = ["crawl", "register", "statuses"]


def crawl(server: DemoServer, db_url: str, *settings: str, env: dict[str, str] | None = None,
          check: bool = True) -> subprocess.CompletedProcess[str]:
    """`nianbao crawl` of every registry portal through ``server``; ``check``: fail the test on a non-zero exit."""
    sets = [a for s in settings for a in ("-s", s)]
    result = run_cmd(["nianbao", "crawl", "--db", db_url, *NO_DELAY, *sets],
                     env={"NIANBAO_DEMO_PROXY": server.proxy_url, **(env or {})})
    assert not check or result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result


def statuses(requests: list[tuple[str, str, int]], portals: list[DemoPortal]) -> dict[str, Counter[int]]:
    """HTTP statuses per kind of page ("list", "detail", "robots") from the server's request log."""
    details = {(p.host, path) for p in portals for d in p.documents for path in d.paths}
    out: dict[str, Counter[int]] = {"list": Counter(), "detail": Counter(), "robots": Counter()}
    for host, target, status in requests:
        path = urlsplit(target).path
        kind = "robots" if path == "/robots.txt" else "detail" if (host, path) in details else "list"
        out[kind][status] += 1
    return out
