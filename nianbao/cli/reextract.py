"""`nianbao reextract`: read every archived attachment again from its kept bytes, without refetching.

For when a better extractor, a converter (antiword, LibreOffice) or an OCR engine (tesseract chi_sim)
has been installed since the crawl: statuses such as ``needs_ocr`` and ``needs_converter`` are
retried, and a report whose text came from its files gets its text composed again from all of them,
stored as a new version (``nianbao diff`` shows what changed); the old text is never overwritten. Every
report's statistics tables are then read again from its (possibly new) text.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from nianbao.cli.options import db_option, files_option
from pipelines.attachments import WAITING, body_or_attachments, text_hash
from pipelines.statistics import reread_statistics
from pipelines.text.documents import TIMEOUT_S, extract_isolated
from pipelines.text.fingerprint import tidy
from storage import Archive, ArchiveError, AttachmentRecord, open_archive
from storage.archive.files import FileStore
from storage.paths import beside_archive


def reextract_archive(archive: Archive, store: FileStore, *, status: str | None = None,
                      timeout: float = TIMEOUT_S) -> tuple[Counter[str], int]:
    """Re-read the files of current reports (all, or those with a file in ``status``).

    Returns the statuses counted and how many reports got a new text version. ``status`` only picks the
    reports: each one's text is composed from every one of its files, as the crawl composed it, since a
    report made of a readable PDF and a scan would otherwise come out with the scan's text alone. A report
    with a file whose bytes are missing keeps its text (it could not be composed whole).
    """
    counts: Counter[str] = Counter()
    updated = 0
    for report_id in dict.fromkeys(att.report_id for att in archive.attachments(status=status)):
        report = archive.get_report(report_id)
        if report is None or not report.sightings:
            continue  # an earlier version: its text is history
        records: list[AttachmentRecord] = []
        texts: list[str] = []
        files = archive.attachments(report_id)
        for att in files:
            data = store.get(att.sha256)
            if data is None:
                counts["missing_bytes"] += 1
                continue
            result = extract_isolated(data, name=att.file_name, mime=att.mime or "", timeout=timeout,
                                      ocr_cache=store.ocr_cache)  # OCR'd pages of a scan cut short are kept
            counts[result.status.value] += 1
            record = AttachmentRecord(
                url=att.url, file_name=att.file_name, format=result.format, size=att.size, sha256=att.sha256,
                status=result.status.value, extractor=result.extractor, mime=att.mime, pages=result.pages,
                ocr=result.ocr, detail=result.detail, content_sha256=text_hash(result.text))
            archive.update_attachment(att.id, record)
            records.append(record)
            if result.ok and result.text:
                texts.append(result.text)
        if len(records) < len(files) or report.meta.get("text_from") not in (
                "attachment", *WAITING):
            continue  # the page's own text stays the report's text
        body, source = body_or_attachments("", {"attachment_text": "\n".join(texts), "attachments": records})
        body = tidy(body)
        sha = text_hash(body)
        if sha and archive.add_text_version(report_id, body, sha, {**report.meta, "text_from": source}):
            updated += 1
    return counts, updated


@click.command()
@db_option
@files_option
@click.option("--status", help="Only attachments with this status (e.g. needs_ocr, needs_converter).")
@click.option("--timeout", type=float, default=TIMEOUT_S, show_default=True, help="Seconds allowed per file.")
def reextract(db_url: str, files_dir: Path | None, status: str | None, timeout: float) -> None:
    """Extract the text of every archived attachment again from its kept original bytes."""
    try:
        archive = open_archive(db_url)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    store = FileStore(files_dir or beside_archive(db_url, ".files"))
    counts, updated = reextract_archive(archive, store, status=status, timeout=timeout)
    if not counts:
        click.echo("no attachments to re-read")
    else:
        summary = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
        click.echo(f"{sum(counts.values())} attachment(s) re-read: {summary}; "
                   f"{updated} report(s) with a new text version")
    tables, inconsistent = reread_statistics(archive)
    click.echo(f"statistics read again: {tables} report(s) with tables, {inconsistent} failing an identity")
