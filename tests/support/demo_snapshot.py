"""A regression snapshot of the archive `nianbao demo` builds: what each URL's report is, field by field.

Pinned output, not a quality measure: it only says that a change left the demo archive as it was (issue 15: "same
archive from `nianbao demo`, byte for byte in report texts"). When a change is meant to alter what the demo
archives, review the difference and rewrite the snapshot:

    python -m tests.support.demo_snapshot --write
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from tests.support import ROOT
from tests.support.commands import run_cmd

SNAPSHOT = ROOT / "tests" / "e2e" / "demo_archive.regression-snapshot.json"


def demo_digest(workdir: Path) -> dict[str, Any]:
    """Run the real `nianbao demo` into a fresh SQLite archive in ``workdir`` and read back what it stored."""
    db = workdir / "demo.db"
    done = run_cmd(["nianbao", "demo", "--db", f"sqlite:///{db}"], cwd=workdir, timeout=600)
    if done.returncode != 0:
        raise AssertionError(f"nianbao demo failed ({done.returncode}): {done.stderr[-2000:]}")
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT s.url, r.content_sha256, r.title, r.organ, r.report_year, r.published, "
                                     "(SELECT count(*) FROM sighting o WHERE o.report_id = r.id) AS urls "
                                     "FROM sighting s JOIN report r ON r.id = s.report_id ORDER BY s.url")).all()
            # A text two portals publish is one report whose title and date are those of the copy stored first,
            # and which copy that is depends on the order of responses: pin only its hash.
            reports = {row.url: {"sha256": row.content_sha256} if row.urls > 1 else
                       {"sha256": row.content_sha256, "title": row.title, "organ": row.organ,
                        "report_year": row.report_year, "published": row.published} for row in rows}
            attachments = sorted([row.url, row.sha256, row.format, row.status] for row in conn.execute(text(
                "SELECT url, sha256, format, status FROM attachment")))
            tables = sorted([row.content_sha256, row.format, row.findings_count] for row in conn.execute(text(
                "SELECT r.content_sha256, t.format, t.findings_count FROM report_statistics t "
                "JOIN report r ON r.id = t.report_id")))
    finally:
        engine.dispose()
    return {"reports": reports, "attachments": attachments, "statistics": tables}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite the snapshot file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        digest = demo_digest(Path(tmp))
    if args.write:
        SNAPSHOT.write_text(json.dumps(digest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {SNAPSHOT}: {len(digest['reports'])} URLs")
    else:
        print(json.dumps(digest, ensure_ascii=False, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
