"""The report page reads like a document (in Chromium): byline, sources with state and first/last seen,
attachments linked to their archived originals (sent as downloads), statistics tables with their findings,
versions with a diff of any two chosen in a form; readable at phone width, CSP unchanged."""

from __future__ import annotations

import hashlib

import pytest

from nianbao.demo import compliance_portals
from pipelines.text.statistics import read_statistics
from storage import Archive, AttachmentRecord, PortalSpec, ReportRecord
from storage.archive.files import FileStore
from storage.paths import beside_archive
from tests.support.browser import chromium_page, require_browser, serving, shot

URL = "http://www.jingyu.nianbao.test/zwgk/zfxxgknb/bmnb/1.html"
MISADDED = next(d for d in compliance_portals()[0].documents if "濛江乡" in d.title)
PDF = b"%PDF-1.4\n% not really a report, only bytes to send back\n"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _archive(db_url: str) -> tuple[Archive, int]:
    """Three versions of one report at one URL (v2 adds a line, v3 another); the last has tables and a PDF."""
    archive = Archive(db_url)
    archive.add_portal(PortalSpec(name="jingyu", homepage="http://www.jingyu.nianbao.test/"))
    v1 = MISADDED.body
    v2 = v1 + "\n七、更正说明\n第一部分数据已更正。"
    v3 = v2 + "\n八、补充说明\n新增附件一份。"
    sha = FileStore(beside_archive(db_url, ".files")).put(PDF)
    for body in (v1, v2, v3):
        att = (AttachmentRecord(url="http://www.jingyu.nianbao.test/files/report.pdf", file_name="年报.pdf",
                                format="pdf", size=len(PDF), sha256=sha, status="ok", extractor="pypdfium2", pages=1),)
        archive.record(ReportRecord(url=URL, body=body, content_sha256=_sha(body), title=MISADDED.title,
                                    organ=MISADDED.organ, report_year=2022, published=MISADDED.published,
                                    portal="jingyu", attachments=att if body is v3 else ()))
    statistics, findings = read_statistics(v3)
    assert archive.record_statistics(_sha(v3), statistics, findings)
    return archive, archive.search("补充说明")[0].id


@pytest.mark.e2e  # a real crawl and/or a real browser
def test_report_page_reads_like_a_document(sqlite_url: str) -> None:
    sync_api = require_browser()
    _, report_id = _archive(sqlite_url)
    with serving(sqlite_url) as base, chromium_page(sync_api) as page:
        p = page  # type: ignore[assignment]
        answer = p.goto(f"{base}/reports/{report_id}")
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        assert p.inner_text("h1") == MISADDED.title
        byline = p.inner_text("#byline")
        assert "靖宇县濛江乡人民政府" in byline and "2022 年度" in byline and "2023-03-10" in byline
        assert "sha256" not in p.inner_text("main")  # no internal fields
        sources = p.inner_text("#sources")
        assert URL in sources and "HTTP" in sources and "first seen" in sources and "last seen" in sources
        href = p.get_attribute("#attachments a[data-role=archived]", "href")
        download = p.request.get(base + href)
        assert download.body() == PDF and download.headers["content-disposition"].startswith("attachment")
        assert download.headers["content-type"] == "application/octet-stream"
        assert p.request.get(f"{base}/reports/{report_id}/files/999").status == 404
        assert "三、收到和处理政府信息公开申请情况" in p.inner_text("#statistics")
        assert p.is_visible("#statistics-summary [data-flag=findings]")
        assert p.eval_on_selector_all("#versions tr", "rows => rows.length") == 4  # head + three versions
        assert p.inner_text("#diff-title") == "v2 → v3"  # the last two by default
        p.select_option("select[name=v1]", "1")
        p.select_option("select[name=v2]", "3")
        p.click("text=Diff 比较")
        assert p.inner_text("#diff-title") == "v1 → v3"
        added = p.eval_on_selector_all("#diff ins", "els => els.map(e => e.textContent).join('')")
        assert "更正说明" in added and "补充说明" in added
        shot(p, "report-page")
        p.set_viewport_size({"width": 390, "height": 844})
        p.goto(f"{base}/reports/{report_id}")
        assert p.evaluate("document.documentElement.scrollWidth") <= 390
        shot(p, "report-page-phone")
        p.goto(f"{base}/reports/{report_id}?v1=2&v2=2")
        assert p.inner_text("main").count("two different versions") == 1
