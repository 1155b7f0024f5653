"""`nianbao reextract` on a report made of two files, a readable PDF and a scan: once the scan reads, the
report's text is composed from both files and stored as a new version, the old text kept (both backends)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nianbao.cli.reextract import reextract_archive
from nianbao.demo import demo_portals
from nianbao.demo.attachments import pdf_bytes, scan_pdf_bytes
from pipelines.attachments import text_hash
from pipelines.text.fingerprint import hash_form, tidy
from storage import Archive, AttachmentRecord, ReportRecord
from storage.archive.files import FileStore

SEEDS = [d for p in demo_portals() for d in p.documents if d.kind == "report" and d.seed]


@pytest.mark.e2e
def test_reextract_composes_all_files_into_a_new_version(db_url: str, tmp_path: Path) -> None:
    archive = Archive(db_url)
    store = FileStore(tmp_path / "files")
    first, second = SEEDS[0], SEEDS[1]
    pdf, scan = pdf_bytes(first.blocks), scan_pdf_bytes(1)
    pdf_sha, scan_sha = store.put(pdf), store.put(scan)
    body = tidy(first.body)
    files = (AttachmentRecord(url="http://x/a.pdf", file_name="a.pdf", format="pdf", size=len(pdf), sha256=pdf_sha,
                              status="ok", extractor="pypdfium2", content_sha256=text_hash(body)),
             AttachmentRecord(url="http://x/b.pdf", file_name="b.pdf", format="pdf", size=len(scan), sha256=scan_sha,
                              status="needs_ocr", extractor="pypdfium2"))
    archive.record(ReportRecord(url="http://x/r.html", content_sha256=text_hash(body), body=body, title="年报",
                                meta={"text_from": "attachment"}, attachments=files))
    (old,) = list(archive.iter_reports())
    store.path(scan_sha).write_bytes(pdf_bytes(second.blocks))  # stands in for an OCR engine installed meanwhile

    counts, updated = reextract_archive(archive, store, status="needs_ocr")

    assert counts == {"ok": 2} and updated == 1
    versions = archive.versions(old.id)
    assert len(versions) == 2 and versions[0].report_id == old.id
    new = archive.get_report(versions[1].report_id)
    assert new is not None and new.title == "年报" and new.meta["text_from"] == "attachment"
    assert hash_form(new.body) == hash_form(first.body) + hash_form(second.body)  # both files, in page order
    assert [s.url for s in new.sightings] == ["http://x/r.html"]
    kept = archive.get_report(old.id)
    assert kept is not None and kept.body == body and kept.sightings == ()  # the old text, as history
    assert {a.status for a in archive.attachments(new.id)} == {"ok"} and len(archive.attachments(new.id)) == 2
    diff = archive.diff(new.id).splitlines()
    assert diff[1].startswith("+++ v2") and any(line.startswith("+ ") for line in diff[2:])
    assert reextract_archive(archive, store) == ({"ok": 2}, 0)  # the same text again: no further version
