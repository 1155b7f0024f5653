"""Regression snapshot: `nianbao demo` still archives exactly what it did (tests/support/demo_snapshot.py).

Every URL's report (content hash, title, organ, report year, publish date), every attachment and every statistics
reading. A difference here is a change in behaviour to review, not a quality verdict either way.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.demo_snapshot import SNAPSHOT, demo_digest


@pytest.mark.e2e
def test_demo_archive_matches_the_regression_snapshot(tmp_path: Path) -> None:
    pinned = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    now = json.loads(json.dumps(demo_digest(tmp_path), ensure_ascii=False))
    changed = sorted(url for url in pinned["reports"].keys() | now["reports"].keys()
                     if pinned["reports"].get(url) != now["reports"].get(url))
    assert changed == [], f"{len(changed)} URL(s) archive differently, first: {changed[:3]}"
    assert now["attachments"] == pinned["attachments"]
    assert now["statistics"] == pinned["statistics"]
