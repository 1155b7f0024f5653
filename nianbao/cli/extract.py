"""`nianbao extract`: show what the archive would store for one page or file, without crawling or storing it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from crawler import settings
from nianbao.demo import DEMO_DOMAIN
from pipelines.extract import extract as extract_page
from pipelines.extract import report_fields
from pipelines.text.encoding import decode_html
from pipelines.text.statistics import read_statistics

MAX_BYTES = settings.DOWNLOAD_MAXSIZE
TIMEOUT = 30


def _fetch(url: str) -> tuple[bytes, str | None, str]:
    """GET ``url``; demo hosts (``*.nianbao.test``) go through ``NIANBAO_DEMO_PROXY`` like a demo crawl."""
    host = urlsplit(url).hostname or ""
    proxy = settings.NIANBAO_DEMO_PROXY
    handlers = []
    if host.endswith("." + DEMO_DOMAIN):
        if not proxy:
            raise click.ClickException(f"{host} is a demo host: set NIANBAO_DEMO_PROXY (`nianbao demo --serve-only`)")
        handlers.append(urllib.request.ProxyHandler({"http": proxy, "https": proxy}))
    request = urllib.request.Request(url, headers={"User-Agent": "nianbao-extract/0.1"})
    try:
        with urllib.request.build_opener(*handlers).open(request, timeout=TIMEOUT) as response:
            body = response.read(MAX_BYTES + 1)
            charset = response.headers.get_content_charset()
            content_type = response.headers.get("Content-Type", "")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise click.ClickException(f"cannot fetch {url}: {getattr(exc, 'reason', exc)}") from None
    if len(body) > MAX_BYTES:
        raise click.ClickException(f"{url} is larger than {MAX_BYTES // 1024 // 1024} MB")
    return body, charset, content_type


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None


def _statistics(text: str) -> dict[str, Any]:
    """The standard statistics tables read from the text (``None`` without them) and the identities they fail."""
    statistics, findings = read_statistics(text)
    return {"statistics": statistics, "statistics_findings": findings}


def _document(source: str, raw: bytes, content_type: str, as_json: bool) -> None:
    """A report published as a file: the text a crawl stores for it (read in a capped child, then tidied)."""
    from pipelines.text.documents import extract_isolated, file_name
    from pipelines.text.fingerprint import tidy

    result = extract_isolated(raw, name=file_name(source) if "://" in source else Path(source).name,
                              mime=content_type)
    text = tidy(result.text) if result.ok else ""
    if as_json:
        click.echo(json.dumps({
            "source": source, "format": result.format, "status": result.status.value, "extractor": result.extractor,
            "pages": result.pages, "ocr": result.ocr, "ocr_confidence": result.ocr_confidence,
            "detail": result.detail, "text": text, **_statistics(text),
        }, ensure_ascii=False, indent=2))
    elif text:
        click.echo(text)
    if not result.ok:
        click.echo(f"{source}: {result.status.value}: {result.detail or 'no text'}", err=True)
        raise SystemExit(1)


@click.command()
@click.argument("source", metavar="PATH_OR_URL")
@click.option("--url", "page_url", metavar="URL", help="The page's URL when reading a file (URL dates, canonical URL).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the text and its metadata.")
def extract(source: str, page_url: str | None, as_json: bool) -> None:
    """Print the clean text of one page or report file (a saved file or a URL) as the archive would store it.

    PDF, DOCX, DOC/WPS, OFD and images are recognised from their bytes, whatever their name.  Exits
    with status 1 and "no body found" when a page has no recognisable body, or with the reason when a
    file yields no text (such pages and files are never archived as reports).
    """
    content_type = ""
    if source.startswith(("http://", "https://")):
        raw, charset, content_type = _fetch(source)
        page_url = page_url or source
    else:
        raw, charset = _read(source), None
    from pipelines.text.documents import is_document

    if is_document(raw, "", content_type):
        _document(source, raw, content_type, as_json)
        return
    page = extract_page(decode_html(raw, charset), page_url)
    fields = report_fields(page, page_url)
    if as_json:
        click.echo(json.dumps({
            "url": page_url,
            "title": fields.title,
            "text": page.text,
            "no_body": page.no_body,
            "published": fields.published.isoformat() if fields.published else None,
            "organ": fields.organ,
            "report_year": fields.report_year.year,
            "report_year_source": fields.report_year.source,
            "is_report": fields.is_report,
            "meta": fields.meta,
            **_statistics(page.text),
        }, ensure_ascii=False, indent=2))
    elif not page.no_body:
        click.echo(page.text)
    if page.no_body:
        click.echo(f"no body found in {source}: nothing would be archived", err=True)
        raise SystemExit(1)
