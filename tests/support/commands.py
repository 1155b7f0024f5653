"""Running the real `nianbao` and `scrapy` commands, and the PostgreSQL server the tests may use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT

PG_URL = os.environ.get("NIANBAO_TEST_PG_URL")


def run_cmd(args: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Run a real command (``nianbao …`` via ``python -m nianbao.cli``, or ``scrapy …``).

    ``cwd`` by default: the repository root for ``scrapy`` (it finds the project by ``scrapy.cfg``), else the
    test's own working directory (tests/conftest.py), where a PostgreSQL archive's ``nianbao.httpcache``,
    ``.atom`` and ``.files`` go (storage/paths.py): never shared with another test or another xdist worker.
    The repository root is on the child's ``PYTHONPATH`` wherever it runs: crawls may load test doubles such as
    ``tests.support.faults.StubResolver`` by name.
    """
    if args[0] == "nianbao":
        args = [sys.executable, "-m", "nianbao.cli", *args[1:]]
    elif args[0] == "scrapy":
        args = [sys.executable, "-m", "scrapy", *args[1:]]
        cwd = cwd or ROOT
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path, **(env or {})}
    return subprocess.run(args, env=full_env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
