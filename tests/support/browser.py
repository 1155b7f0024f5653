"""Drive the web interface for real: `nianbao serve` in a subprocess and headless Chromium through Playwright.

Needs the Debian ``chromium`` package and Playwright's Python package (``.ci/run`` installs both); without
them :func:`require_browser` skips the calling test module and says why.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

from tests.support import ROOT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_browser() -> ModuleType:
    """playwright.sync_api, or skip the module when Playwright or Chromium is missing."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)", allow_module_level=True)
    return sync_api


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(db_url: str) -> Iterator[str]:
    """`nianbao serve` over ``db_url`` in a subprocess; yields its base URL once it answers."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "serve", "--port", str(port)], cwd=ROOT,
                            env={**os.environ, "NIANBAO_DB": db_url}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/api/openapi.json", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"nianbao serve exited: {proc.stdout.read() if proc.stdout else ''}")
                time.sleep(0.1)
        else:
            pytest.fail("nianbao serve did not answer")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def chromium_page(sync_api: ModuleType, width: int = 1280, height: int = 900) -> Iterator[object]:
    """A fresh page in headless Chromium at the given viewport."""
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def shot(page: object, name: str) -> None:
    """A full-page screenshot kept as a test artefact (tests/artifacts/NAME.png)."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
