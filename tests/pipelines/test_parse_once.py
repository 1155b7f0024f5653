"""Each report page is parsed once in a crawl: the tree the attachments stage made is the one extraction reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler import settings
from nianbao.demo import DemoServer, demo_portals
from nianbao.demo.attachments import attachment_portals
from storage import Archive
from tests.support.commands import run_cmd
from tests.support.crawls import NO_DELAY, fast, register
from tests.support.parse_count import PARSES, REPORT_PAGES


@pytest.mark.e2e
def test_a_crawl_parses_each_report_page_once(tmp_path: Path) -> None:
    portals = [*demo_portals(), attachment_portals()[0]]
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    register(db, portals)
    extensions = json.dumps({**settings.EXTENSIONS, "tests.support.parse_count.ParseCounter": 0})
    with DemoServer(portals) as server:
        done = run_cmd(["scrapy", "crawl", "reports", *NO_DELAY, "-s", f"EXTENSIONS={extensions}"],
                       env=fast(server.proxy_url, db))
    assert done.returncode == 0, done.stderr[-3000:]
    stats = Archive(db).list_runs(1)[0].stats
    assert stats[REPORT_PAGES] >= 30 and stats["nianbao/extracted"] >= 30
    assert stats[PARSES] == stats[REPORT_PAGES]
