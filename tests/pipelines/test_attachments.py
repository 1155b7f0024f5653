"""Reports published as files: readers on generated PDFs/DOCX (two-column, statistics tables), bad files,
the file store, a real crawl of the attachments demo portal (over loopback HTTP, in a subprocess) and
`nianbao reextract` on its archive."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from nianbao.demo import DemoDocument, DemoServer, demo_portals
from nianbao.demo.attachments import (
    BAD_FILES,
    DOCX_ONLY,
    HTML_AND_PDF,
    IMAGES,
    PDF_ONLY,
    POINTER,
    SCAN,
    attachment_portals,
    docx_bytes,
    pdf_bytes,
    publication_mode,
    scan_pdf_bytes,
)
from pipelines.attachments import find_attachments, points_to_attachment, text_hash
from pipelines.text.documents import Status, extract_document, extract_isolated, sniff
from pipelines.text.documents.ocr import ocr_available
from pipelines.text.fingerprint import hash_form
from pipelines.text.html.parse import parse
from storage import Archive, ReportView
from storage.archive.files import FileStore
from storage.paths import beside_archive
from tests.support.commands import run_cmd
from tests.support.crawls import NO_DELAY, fast, register

REPORTS = [d for p in demo_portals() for d in p.documents if d.kind == "report"]
TABLED = next(d for d in REPORTS if (d.report_year or 0) >= 2021 and not d.seed)  # six headings + statistics tables
SEED = next(d for d in REPORTS if d.seed and d.seed.startswith("001_"))
PORTAL = attachment_portals()[0]
BY_MODE = {publication_mode(d): d for d in PORTAL.documents}


# --------------------------------------------------------------------------- readers


@pytest.mark.parametrize("columns", [1, 2])
def test_pdf_text_matches_the_source_after_normalisation(columns: int) -> None:
    """Wrapped lines re-joined, two columns read in order, table cells tab-joined one row per line."""
    for doc in (TABLED, SEED):
        result = extract_document(pdf_bytes(doc.blocks, columns), name="r.pdf")
        assert result.status is Status.OK and result.extractor == "pypdfium2" and result.pages
        assert hash_form(result.text) == hash_form(doc.body), (doc.title, columns)
    table_rows = [line for line in TABLED.body.split("\n") if line.count("\t") >= 3 and all(line.split("\t"))]
    text = extract_document(pdf_bytes(TABLED.blocks, columns), name="r.pdf").text.split("\n")
    assert table_rows and all(row in text for row in table_rows)


def test_docx_text_is_the_source_text_with_table_rows() -> None:
    result = extract_document(docx_bytes(TABLED.blocks), name="r.docx")
    assert result.status is Status.OK and result.extractor == "python-docx"
    assert result.text == TABLED.body


def test_format_is_sniffed_from_bytes_not_from_name_or_type() -> None:
    pdf = pdf_bytes(SEED.blocks[:2])
    assert sniff(pdf, "report.html", "text/html") == "pdf"
    assert sniff(docx_bytes(SEED.blocks[:2]), "download.jsp", "application/octet-stream") == "docx"
    assert sniff(b"<!DOCTYPE html><html>404</html>", "r.pdf", "application/pdf") == "html"
    assert extract_document(pdf, name="report.html", mime="text/html").status is Status.OK


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"\0" * (300 * 1024 * 1024))
    return buf.getvalue()


@pytest.mark.e2e
def test_bad_files_get_a_clear_status() -> None:
    good = pdf_bytes(SEED.blocks)
    cases = {
        "empty": (b"", "r.pdf", Status.EMPTY),
        "truncated pdf": (good[: len(good) // 2], "r.pdf", Status.CORRUPT),
        "garbage pdf": (b"%PDF-1.7\n" + b"\x00garbage" * 100, "r.pdf", Status.CORRUPT),
        "truncated docx": (docx_bytes(SEED.blocks)[:3000], "r.docx", Status.CORRUPT),
        "docx zip bomb": (_bomb(), "r.docx", Status.CORRUPT),
        "unknown": (b"\x01\x02 binary", "r.bin", Status.UNSUPPORTED),
    }
    for label, (data, name, status) in cases.items():
        result = extract_document(data, name=name)
        assert result.status is status, (label, result)
        assert result.detail, label
    assert extract_document(good, name="r.pdf", max_bytes=1000).status is Status.TOO_LARGE


def test_encrypted_pdf_is_recorded_as_encrypted() -> None:
    import pypdfium2  # noqa: F401  (reportlab writes the encrypted file; PDFium must refuse it)
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, encrypt=pdfencrypt.StandardEncryption("secret", canPrint=0))
    pdf.drawString(72, 720, "locked")
    pdf.save()
    result = extract_document(buf.getvalue(), name="r.pdf")
    assert result.status is Status.ENCRYPTED and "password" in result.detail


@pytest.mark.e2e
def test_isolated_extraction_is_capped_in_time_and_memory() -> None:
    ok = extract_isolated(pdf_bytes(SEED.blocks), name="r.pdf")
    assert ok.status is Status.OK and hash_form(ok.text) == hash_form(SEED.body)
    assert extract_isolated(pdf_bytes(SEED.blocks), name="r.pdf", timeout=0.01).status is Status.TIMEOUT
    starved = extract_isolated(pdf_bytes(SEED.blocks), name="r.pdf", memory=16 * 1024 * 1024)
    assert starved.status is Status.CORRUPT and "extractor failed" in starved.detail


def test_image_only_pdf_needs_ocr_or_is_ocred() -> None:
    result = extract_document(scan_pdf_bytes(1), name="scan.pdf")
    assert result.status is Status.NEEDS_OCR and result.pages == 1  # grey bars: nothing to read either way
    assert result.ocr is ocr_available()


@pytest.mark.skipif(not ocr_available(), reason="tesseract with chi_sim is not installed")
def test_ocr_reads_a_scanned_chinese_page() -> None:
    from PIL import Image, ImageDraw, ImageFont

    font_file = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    if not font_file.exists():
        pytest.skip("no CJK font to draw the test scan with")
    image = Image.new("L", (1400, 200), 255)
    font = ImageFont.truetype(str(font_file), 64)
    ImageDraw.Draw(image).text((40, 60), "政府信息公开工作年度报告", font=font, fill=0)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    result = extract_document(buf.getvalue(), name="scan.png")
    assert result.status is Status.OK and result.ocr and result.extractor == "tesseract"
    assert "信息公开" in result.text


def test_legacy_doc_without_a_converter_needs_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no antiword, no LibreOffice
    result = extract_document(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, name="r.wps")
    assert result.status is Status.NEEDS_CONVERTER and result.format == "wps"
    assert "antiword" in result.detail


def test_ofd_text_is_read_from_its_xml() -> None:
    content = ('<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016">'
               "<ofd:Content><ofd:Layer>"
               '<ofd:TextObject ID="1" Boundary="20 30 170 6" Font="2" Size="5"><ofd:TextCode X="0" Y="5" '
               'DeltaX="g 5 5">一、总体情况</ofd:TextCode></ofd:TextObject>'
               '<ofd:TextObject ID="2" Boundary="20 40 170 6" Font="2" Size="5"><ofd:TextCode X="0" Y="5" '
               'DeltaX="g 9 5">本年度主动公开信息。</ofd:TextCode></ofd:TextObject>'
               "</ofd:Layer></ofd:Content></ofd:Page>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("OFD.xml", "<ofd:OFD/>")
        zf.writestr("Doc_0/Pages/Page_0/Content.xml", content)
    result = extract_document(buf.getvalue(), name="r.ofd")
    assert result.status is Status.OK and result.format == "ofd" and result.pages == 1
    assert result.text == "一、总体情况\n本年度主动公开信息。"


# --------------------------------------------------------------------------- links and store


def test_attachment_links_of_every_cms_pattern() -> None:
    html = """<html><body><div class="TRS_Editor"><p>详见附件。</p></div>
    <a href="./202401/P020240118123456.pdf">年报.pdf</a>
    <a href="/module/download/downfile.jsp?classid=0&filename=abc123.pdf">附件下载</a>
    <a href="/zwgk/t20240101_1.html">上一篇</a>
    <iframe src="/generic2/web/viewer.html?file=/upload/qzb.pdf"></iframe>
    <embed src="/upload/scan.ofd">
    <script>var apps = [{url:"http://www.x.gov.cn/upload/2023.docx", name:"2023年报（原件）.docx"}];
    var apps1 = [];</script></body></html>"""
    links = find_attachments(parse(html), "http://www.x.gov.cn/zwgk/zfxxgknb/t20240118_1.html")
    assert [link.url for link in links] == [
        "http://www.x.gov.cn/zwgk/zfxxgknb/202401/P020240118123456.pdf",
        "http://www.x.gov.cn/module/download/downfile.jsp?classid=0&filename=abc123.pdf",
        "http://www.x.gov.cn/upload/qzb.pdf",
        "http://www.x.gov.cn/upload/scan.ofd",
        "http://www.x.gov.cn/upload/2023.docx",
    ]
    assert links[0].name == "年报.pdf" and links[-1].name == "2023年报（原件）.docx"
    assert points_to_attachment("详见附件。") and points_to_attachment("附件：2023年报.pdf")
    assert not points_to_attachment(SEED.body)


def test_file_store_is_content_addressed_beside_the_database(tmp_path: Path) -> None:
    assert beside_archive(f"sqlite:///{tmp_path / 'a.db'}", ".files") == tmp_path / "a.files"
    store = FileStore(tmp_path / "files")
    sha = store.put(b"%PDF-1.4 x")
    assert store.put(b"%PDF-1.4 x") == sha and store.get(sha) == b"%PDF-1.4 x"
    assert store.path(sha).relative_to(store.root).parts[:2] == (sha[:2], sha[2:4])
    assert store.get("0" * 64) is None
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")


# --------------------------------------------------------------------------- a real crawl


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    work = tmp_path_factory.mktemp("attachments")
    db = f"sqlite:///{work / 'archive.db'}"
    register(db, [PORTAL])
    with DemoServer([PORTAL]) as server:
        done = run_cmd(["scrapy", "crawl", "reports", *NO_DELAY], env=fast(server.proxy_url, db))
        assert done.returncode == 0, done.stderr[-3000:]
        yield db, work / "archive.files"


def _report(archive: Archive, title: str) -> ReportView:
    return next(r for r in archive.iter_reports() if r.title == title)


@pytest.mark.e2e
def test_crawl_stores_reports_published_as_files(crawled: tuple[str, Path]) -> None:
    db, files = crawled
    archive = Archive(db)
    assert archive.count_reports() == len(PORTAL.documents)
    for mode in (PDF_ONLY, DOCX_ONLY, POINTER):
        doc = BY_MODE[mode]
        report = _report(archive, doc.title)
        assert report.body == doc.body, mode
        assert report.meta["text_from"] == "attachment" and report.report_year == doc.report_year
        (att,) = archive.attachments(report.id)
        assert att.status == "ok" and att.size > 0 and att.pages in (None, 1, 2)
        assert att.content_sha256 == report.content_sha256
        assert FileStore(files).get(att.sha256) is not None
    pointer = archive.attachments(_report(archive, BY_MODE[POINTER].title).id)[0]
    assert pointer.url.endswith(".pdf") and pointer.extractor == "pypdfium2" and pointer.mime == "application/pdf"
    assert archive.attachments(_report(archive, BY_MODE[DOCX_ONLY].title).id)[0].extractor == "python-docx"


@pytest.mark.e2e
def test_html_and_pdf_of_the_same_text_are_one_report_with_both_sources(crawled: tuple[str, Path]) -> None:
    archive = Archive(Archive(crawled[0]).url)
    doc = BY_MODE[HTML_AND_PDF]
    report = _report(archive, doc.title)
    assert hash_form(report.body) == hash_form(doc.body)
    assert {s.url for s in report.sightings} == {f"http://{PORTAL.host}{p}" for p in doc.paths}
    (att,) = archive.attachments(report.id)
    assert att.content_sha256 == report.content_sha256 == text_hash(doc.body)


@pytest.mark.e2e
def test_scan_served_as_html_is_kept_as_needs_ocr(crawled: tuple[str, Path]) -> None:
    archive = Archive(crawled[0])
    report = _report(archive, BY_MODE[SCAN].title)
    (att,) = archive.attachments(report.id)
    assert att.status == "needs_ocr" and att.format == "pdf" and att.pages == 2 and att.mime.startswith("text/html")
    assert report.body == "" and report.content_sha256 == att.sha256 and report.meta["text_from"] == "needs_ocr"


@pytest.mark.e2e
def test_image_only_page_keeps_its_images_as_needs_ocr(crawled: tuple[str, Path]) -> None:
    archive = Archive(crawled[0])
    report = _report(archive, BY_MODE[IMAGES].title)
    images = archive.attachments(report.id)
    assert [a.format for a in images] == ["png", "png"] and {a.status for a in images} == {"needs_ocr"}
    assert all(a.file_name.startswith("W0") for a in images) and report.content_sha256 == images[0].sha256


@pytest.mark.e2e
def test_bad_attachments_are_recorded_and_the_page_kept(crawled: tuple[str, Path]) -> None:
    archive = Archive(crawled[0])
    report = _report(archive, BY_MODE[BAD_FILES].title)
    assert report.body == BY_MODE[BAD_FILES].body and "text_from" not in report.meta
    (att,) = archive.attachments(report.id)
    assert att.status == "corrupt" and "unreadable PDF" in att.detail
    run = archive.list_runs()[0]
    reasons = sorted(e["reason"].split(":")[0] for e in run.errors)
    assert reasons == ["attachment corrupt", "attachment is an HTML page, not a document (served as 'application/pdf')"]
    assert run.finish_reason == "finished" and run.stats["nianbao/reports/new"] == len(PORTAL.documents)


@pytest.mark.e2e
def test_reextract_reads_kept_bytes_again(crawled: tuple[str, Path]) -> None:
    db, _ = crawled
    done = run_cmd(["nianbao", "reextract", "--db", db])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("8 attachment(s) re-read: corrupt 1, needs_ocr 3, ok 4;"), done.stdout
    empty = run_cmd(["nianbao", "reextract", "--db", db, "--status", "needs_converter"])
    assert empty.returncode == 0 and "no attachments" in empty.stdout


def test_reextract_updates_a_report_once_its_file_reads(tmp_path: Path) -> None:
    """A scan stored as needs_ocr gets its text when its bytes read later (here: swapped for a text PDF)."""
    from storage import AttachmentRecord, ReportRecord

    archive = Archive(f"sqlite:///{tmp_path / 'a.db'}")
    store = FileStore(tmp_path / "files")
    scan = scan_pdf_bytes(1)
    sha = store.put(scan)
    archive.record(ReportRecord(url="http://x/scan.pdf", content_sha256=sha, body="", title="扫描件",
                                meta={"text_from": "needs_ocr"}, attachments=(AttachmentRecord(
                                    url="http://x/scan.pdf", file_name="scan.pdf", format="pdf", size=len(scan),
                                    sha256=sha, status="needs_ocr", extractor="pypdfium2"),)))
    store.path(sha).write_bytes(pdf_bytes(SEED.blocks))  # stands in for an OCR engine installed meanwhile
    from nianbao.cli.reextract import reextract_archive

    counts, updated = reextract_archive(archive, store)
    assert counts == {"ok": 1} and updated == 1
    report = archive.get_report(archive.versions(next(archive.iter_reports()).id)[-1].report_id)
    assert hash_form(report.body) == hash_form(SEED.body) and report.meta["text_from"] == "attachment"
    assert archive.attachments(report.id)[0].status == "ok"


def test_attachments_are_recorded_with_the_report_idempotently(db_url: str) -> None:
    from storage import AttachmentRecord, ReportRecord

    archive = Archive(db_url)
    att = AttachmentRecord(url="http://x/r.pdf", file_name="r.pdf", format="pdf", size=10, sha256="a" * 64,
                           status="ok", extractor="pypdfium2", mime="application/pdf", pages=3,
                           content_sha256="b" * 64)
    rec = ReportRecord(url="http://x/r.html", content_sha256="b" * 64, body="正文", attachments=(att,))
    archive.record(rec)
    archive.record(rec)
    report = next(archive.iter_reports())
    (view,) = archive.attachments(report.id)
    assert (view.url, view.file_name, view.mime, view.size, view.sha256, view.pages, view.extractor, view.status,
            view.ocr) == ("http://x/r.pdf", "r.pdf", "application/pdf", 10, "a" * 64, 3, "pypdfium2", "ok", False)
    assert archive.attachments(report.id, status="needs_ocr") == [] and archive.attachments(report.id + 1) == []


@pytest.mark.e2e
def test_files_over_the_size_cap_are_recorded_and_the_crawl_goes_on(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'capped.db'}"
    register(db, [PORTAL])
    with DemoServer([PORTAL]) as server:
        done = run_cmd(["scrapy", "crawl", "reports", *NO_DELAY, "-s", "NIANBAO_ATTACHMENT_MAXSIZE=5000"],
                       env=fast(server.proxy_url, db))
    assert done.returncode == 0, done.stderr[-3000:]
    archive = Archive(db)
    run = archive.list_runs()[0]
    assert run.finish_reason == "finished"
    too_large = [e for e in run.errors if "too_large" in e["reason"]]
    assert {e["url"].rsplit("/", 1)[1] for e in too_large} >= {  # fetched from pages: the download is cut off
        _file_name(BY_MODE[POINTER]), _file_name(BY_MODE[HTML_AND_PDF])}
    pdf_only = f"http://{PORTAL.host}{BY_MODE[PDF_ONLY].paths[0]}"  # fetched as a report: too big to read
    assert any(e["url"] == pdf_only and e["reason"].startswith("attachment too_large") for e in run.errors)
    assert BY_MODE[PDF_ONLY].title not in {r.title for r in archive.iter_reports()}
    assert _report(archive, BY_MODE[HTML_AND_PDF].title).body == BY_MODE[HTML_AND_PDF].body  # the page text stays


def _file_name(doc: DemoDocument) -> str:
    return f"P0{doc.published:%Y%m%d}{doc.doc_id}.pdf"
