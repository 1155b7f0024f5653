"""`nianbao gc` after a real crawl of the attachments demo portal: every file a report refers to is kept,
unreferenced old files and leftovers of killed writes go, young files stay, expired HTTP cache entries go;
nothing is deleted without --delete."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from nianbao.demo import DemoServer
from nianbao.demo.attachments import attachment_portals
from storage import Archive
from storage.archive.files import FileStore
from tests.support.commands import run_cmd
from tests.support.monitoring import crawl, register

DAY = 86400


def _age(path: Path, days: float) -> None:
    then = time.time() - days * DAY
    os.utime(path, (then, then))


@pytest.mark.e2e
def test_gc_keeps_referenced_files_and_deletes_the_rest(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    portal = attachment_portals()[0]
    register(db, [portal])
    with DemoServer([portal]) as server:
        crawl(server, db)
    archive = Archive(db)
    store = FileStore(tmp_path / "archive.files")
    referenced = {a.sha256 for a in archive.attachments()}
    assert referenced and all(store.get(sha) is not None for sha in referenced)
    for sha in referenced:  # old files are kept for as long as a report refers to them
        _age(store.path(sha), 400)
    ocr_pages = [path for sha, path in store.entries() if path.is_relative_to(store.ocr_cache)]
    for path in ocr_pages:  # a scan's OCR'd pages (when tesseract ran) live as long as the scan
        _age(path, 400)
    orphan, young = store.put(b"%PDF-1.4 orphan"), store.put(b"%PDF-1.4 stored a moment ago")
    _age(store.path(orphan), 2)
    leftover = store.path(orphan).parent / ".tmp-killed"
    leftover.write_bytes(b"half a file")
    _age(leftover, 2)
    entries = sorted((tmp_path / "archive.httpcache").glob("*/*/*"))
    assert len(entries) > 2
    expired, fresh = entries[0], entries[1:]
    _age(expired / "pickled_meta", 61)
    staging = expired.parent / f".{expired.name}.99999.tmp"
    staging.mkdir()
    _age(staging, 2)

    dry = run_cmd(["nianbao", "gc", "--db", db])
    assert dry.returncode == 0, dry.stderr
    kept = len(referenced) + len(ocr_pages) + 1  # the young file is kept
    assert f": {kept} kept, 2 to delete" in dry.stdout.splitlines()[0]
    assert f": {len(fresh)} kept, 2 to delete" in dry.stdout.splitlines()[1]
    assert "dry run: nothing deleted" in dry.stdout
    assert store.path(orphan).exists() and leftover.exists() and expired.exists() and staging.exists()

    done = run_cmd(["nianbao", "gc", "--db", db, "--delete", "-v"])
    assert done.returncode == 0, done.stderr
    assert str(store.path(orphan)) in done.stdout and "freed" in done.stdout.splitlines()[-1]
    assert not store.path(orphan).exists() and not leftover.exists()
    assert all(store.get(sha) is not None for sha in referenced) and store.get(young) is not None
    assert not expired.exists() and not staging.exists() and all(e.exists() for e in fresh)
