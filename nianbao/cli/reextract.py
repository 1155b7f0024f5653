"""`nianbao reextract`: read every archived attachment again from its kept bytes, without refetching.

For when a better extractor, a converter (antiword, LibreOffice) or an OCR engine (tesseract chi_sim)
has been installed since the crawl: statuses such as ``needs_ocr`` and ``needs_converter`` are
retried, and reports whose text came from their attachments get the new text.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import click

from crawler.settings import NIANBAO_FILES_DIR
from nianbao.cli.options import db_option
from pipelines.attachments import WAITING, text_hash
from pipelines.text.documents import TIMEOUT_S, extract_isolated
from pipelines.text.fingerprint import tidy
from storage import Archive, ArchiveError, AttachmentRecord, open_archive
from storage.archive.files import FileStore
from storage.paths import beside_archive


def reextract_archive(archive: Archive, store: FileStore, *, status: str | None = None,
                      timeout: float = TIMEOUT_S) -> tuple[Counter[str], int]:
    """Re-read attachments (all, or those with ``status``); returns statuses counted and report texts updated."""
    counts: Counter[str] = Counter()
    texts: dict[int, list[str]] = defaultdict(list)
    for att in archive.attachments(status=status):
        data = store.get(att.sha256)
        if data is None:
            counts["missing_bytes"] += 1
            continue
        result = extract_isolated(data, name=att.file_name, mime=att.mime or "", timeout=timeout,
                                  ocr_cache=store.root / "ocr")  # OCR'd pages of a scan cut short are kept
        counts[result.status.value] += 1
        archive.update_attachment(att.id, AttachmentRecord(
            url=att.url, file_name=att.file_name, format=result.format, size=att.size, sha256=att.sha256,
            status=result.status.value, extractor=result.extractor, mime=att.mime, pages=result.pages,
            ocr=result.ocr, detail=result.detail, content_sha256=text_hash(result.text)))
        if result.ok and result.text:
            texts[att.report_id].append(result.text)
    updated = 0
    for report_id, parts in texts.items():
        report = archive.get_report(report_id)
        if report is None or report.meta.get("text_from") not in ("attachment", *WAITING):
            continue  # the page's own text stays the report's text
        body = tidy("\n".join(parts))
        sha = text_hash(body)
        if sha and sha != report.content_sha256 and archive.replace_report_text(
                report_id, body, sha, {**report.meta, "text_from": "attachment"}):
            updated += 1
    return counts, updated


@click.command()
@db_option
@click.option("--files", "files_dir", type=click.Path(file_okay=False, path_type=Path),
              default=NIANBAO_FILES_DIR or None,
              help="Attachment file store (env NIANBAO_FILES; default: <db file stem>.files beside a SQLite file).")
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
        return
    summary = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
    click.echo(f"{sum(counts.values())} attachment(s) re-read: {summary}; {updated} report text(s) updated")
