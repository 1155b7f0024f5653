"""Real documents nobody here made (shared/realworld: WPS, Word 2010, ONLYOFFICE and Chrome PDFs, DOC, DOCX,
OFD) read against references we did not write (tests/documents/PROVENANCE.md), through the same calls a
crawl makes and through `nianbao extract`."""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path

import pytest

from pipelines.extract import extract
from pipelines.text.documents import Status, extract_isolated
from pipelines.text.documents.ocr import ocr_available
from pipelines.text.fingerprint import fingerprint, tidy
from tests.support.commands import run_cmd
from tests.support.metrics import ngram_f1
from tests.support.realworld import REALWORLD, needs_realworld, real_files, reference

pytestmark = [needs_realworld, pytest.mark.e2e]  # real files read in capped child processes
FLOOR = 0.95
PDFS = real_files("pdf_")
HUAIAN = "pdf_js_huaian_city_2024_zfxxgk_annual_report_wps"
_FIELD_CODE = re.compile(r"MACROBUTTON|HYPERLINK|PAGEREF|MERGEFORMAT|\bTOC\s*\\|\\[hoz]\b")


def _pdfium_plain(data: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


@pytest.fixture(scope="module")
def read() -> dict[str, object]:
    """Each real file read once, in a capped child as a crawl reads it."""
    return {p.stem: extract_isolated(p.read_bytes(), name=p.name) for p in real_files()}


def test_the_real_files_are_there() -> None:
    assert len(PDFS) == 5 and len(real_files()) == 11, sorted(p.name for p in REALWORLD.iterdir())


@pytest.mark.parametrize("path", PDFS, ids=lambda p: p.stem)
def test_real_pdf_reads_as_published(path: Path, read: dict) -> None:
    """≥ 0.95 4-gram F1 against the reference, and never below PDFium's own order (WPS used to score 0.05)."""
    result = read[path.stem]
    assert result.status is Status.OK and result.extractor == "pypdfium2" and not result.ocr
    ours, plain = ngram_f1(result.text, reference(path)), ngram_f1(_pdfium_plain(path.read_bytes()), reference(path))
    assert ours >= FLOOR and ours >= plain, (ours, plain)


@pytest.mark.parametrize("path", [p for p in real_files() if not p.name.startswith("pdf_")], ids=lambda p: p.stem)
def test_real_doc_docx_ofd_read_as_published(path: Path, read: dict) -> None:
    result = read[path.stem]
    assert result.status is Status.OK, result
    assert ngram_f1(result.text, reference(path)) >= FLOOR


def _html_page(text: str) -> str:
    """A portal page carrying ``text``: paragraphs, tab-joined rows as table rows, site chrome around it."""
    parts: list[str] = []
    rows: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if "\t" in line:
            rows.append(line.split("\t"))
            continue
        if rows:
            parts.append("<table>" + "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                                             for row in rows) + "</table>")
            rows = []
        if line:
            parts.append(f"<p>{escape(line)}</p>")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>淮安市人民政府2024年政府信息公开工作年度报告"
            "</title></head><body><div class='nav'><a href='/'>首页</a> <a href='/zwgk'>政务公开</a></div>"
            f"<div class='TRS_Editor'>{''.join(parts)}</div><div class='footer'>版权所有：淮安市人民政府</div>"
            "</body></html>")


def test_real_pdf_and_the_same_report_as_html_are_one_report(read: dict) -> None:
    """Page numbers, the table read cell by cell, the label split by a page break: the hashes agree."""
    path = REALWORLD / f"{HUAIAN}.pdf"
    page = extract(_html_page(reference(path)), "http://www.huaian.gov.cn/zwgk/2025/report.html")
    assert not page.no_body
    assert fingerprint(read[HUAIAN].text) == fingerprint(page.text)


def test_doc_text_has_no_field_codes(read: dict) -> None:
    docs = real_files("doc_")
    assert docs
    for path in docs:
        assert not _FIELD_CODE.search(read[path.stem].text), path.name
    assert "重邮〔2009〕" in read["doc_cqupt_2009_108hao_hongtou_tongzhi_macrobutton"].text


def test_ofd_pages_read_in_order(read: dict) -> None:
    path = REALWORLD / "ofd_luqiao_weishengju_2011_hongtou_gongwen.ofd"
    result = read[path.stem]
    assert result.pages == 2
    assert result.text.split("\n") == reference(path).strip().split("\n")  # page number "— 2 —" dropped too


def _one_per_format() -> list[Path]:
    firsts: dict[str, Path] = {}
    for path in real_files():
        firsts.setdefault(path.suffix, path)
    return list(firsts.values())


@pytest.mark.parametrize("path", _one_per_format(), ids=lambda p: p.suffix)
def test_nianbao_extract_prints_what_a_crawl_stores(path: Path, read: dict, tmp_path: Path) -> None:
    """A PDF, DOC, DOCX and OFD file, each format sniffed from the bytes (the copy has no extension)."""
    copy = tmp_path / "download"
    copy.write_bytes(path.read_bytes())
    done = run_cmd(["nianbao", "extract", "--json", str(copy)])
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["text"] == tidy(read[path.stem].text) and shown["text"]
    assert shown["status"] == "ok" and shown["format"] == path.suffix.lstrip(".")
    assert shown["extractor"] == read[path.stem].extractor and shown["ocr"] is False
    assert shown["pages"] == read[path.stem].pages


def test_nianbao_extract_prints_the_text_of_a_report_pdf(read: dict) -> None:
    done = run_cmd(["nianbao", "extract", str(REALWORLD / f"{HUAIAN}.pdf")])
    assert done.returncode == 0 and done.stdout.rstrip("\n") == tidy(read[HUAIAN].text)


@pytest.mark.skipif(not ocr_available(), reason="tesseract with chi_sim is not installed")
def test_nianbao_extract_reads_an_image_and_says_how_sure_the_ocr_was(tmp_path: Path) -> None:
    from tests.support.scans import text_png

    image = tmp_path / "scan.bin"
    image.write_bytes(text_png("政府信息公开工作年度报告"))
    shown = json.loads(run_cmd(["nianbao", "extract", "--json", str(image)]).stdout)
    assert shown["status"] == "ok" and shown["ocr"] is True and shown["format"] == "png"
    assert "信息公开" in shown["text"] and 50 < shown["ocr_confidence"] <= 100


def test_nianbao_extract_explains_a_file_without_text(tmp_path: Path) -> None:
    broken = tmp_path / "r.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100)
    done = run_cmd(["nianbao", "extract", str(broken)])
    assert done.returncode == 1 and "corrupt" in done.stderr and done.stdout == ""
