"""Document readers on files made for the purpose: page furniture, superscripts, OFD resources, field codes,
scans with a text footer, OCR one page per child with a time cap (and nothing left running after it)."""

from __future__ import annotations

import io
import os
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from pipelines.text import documents
from pipelines.text.documents import Status, extract_document, extract_isolated
from pipelines.text.documents import pdf as pdf_reader
from pipelines.text.documents.furniture import Page, drop_furniture, is_page_number
from pipelines.text.documents.layout import Glyph, Row, baselines, out_of_order
from pipelines.text.documents.legacy import strip_field_codes
from pipelines.text.documents.ocr import ocr_available, parse_tsv
from tests.support.scans import scan_pdf

needs_ocr = pytest.mark.skipif(not ocr_available(), reason="tesseract with chi_sim is not installed")
FOOTER = "某某市人民政府办公室 第 1 页 共 2 页"  # a text footer longer than the old "10 characters a page" rule


def test_page_numbers_and_repeated_headers_are_furniture() -> None:
    for text in ("-1-", "— 1 —", "- 12 -", "第 2 页 共 5 页", "第 1 页，共 5 页", "共 5 页 第 2 页", "3/12", "7"):
        assert is_page_number(text), text
    for text in ("2024年", "一、总体情况", "第二十条 第（一）项", "-1-2-"):
        assert not is_page_number(text), text

    def page(n: int, body: str) -> Page:
        return Page([Row((f"XX区财政局2024年度部门决算 {n}",), False, False, y=800),
                     Row((body,), False, True, y=600), Row((f"— {n} —",), False, False, y=30)], 842)

    pages = drop_furniture([page(n, f"正文{n}") for n in range(1, 5)])
    assert [[r.text for r in rows] for rows in pages] == [[f"正文{n}"] for n in range(1, 5)]
    # A number in the middle of the page is text, not a page number.
    assert [r.text for r in drop_furniture([Page([Row(("72",), False, False, y=400)], 842)])[0]] == ["72"]


def test_superscript_marks_join_their_line_and_the_written_order_is_checked() -> None:
    line = [Glyph(c, 100 + 10 * i, 110 + 10 * i, 600, 16, i) for i, c in enumerate("人口性别比为")]
    mark = Glyph("2", 135, 139, 608, 8, 99)
    assert ["".join(g.char for g in ln) for ln in baselines([*line, mark])] == ["人口性别2比为"]
    scrambled = [Glyph(c, 100 + 10 * i, 110 + 10 * i, 600, 16, 5 - i) for i, c in enumerate("人口性别比为")]
    assert out_of_order([line]) == 0.0 and out_of_order([scrambled]) == 1.0


def test_field_codes_are_removed_and_a_macrobutton_keeps_its_display_text() -> None:
    assert strip_field_codes("重邮〔2009〕 MACROBUTTON EmptyMacro 108号") == "重邮〔2009〕 108号"
    assert strip_field_codes('见 HYPERLINK "http://www.gov.cn/" \\o "中国政府网" 网站') == "见  网站"
    assert "TOC" not in strip_field_codes('TOC \\o "1-3" \\h \\z 目录')


def _ofd(parts: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return buf.getvalue()


NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _text(id_: int, y: float, text: str, x: float = 20) -> str:
    return (f'<ofd:TextObject ID="{id_}" Boundary="{x} {y} 170 6" Size="5"><ofd:TextCode X="0" Y="5" '
            f'DeltaX="g {len(text) - 1} 5">{text}</ofd:TextCode></ofd:TextObject>')


def test_ofd_text_in_templates_composite_units_and_annotations_is_read_in_page_order() -> None:
    page = (f'<ofd:Page {NS}><ofd:Template TemplateID="9" ZOrder="Background"/><ofd:Content><ofd:Layer>'
            f'{_text(1, 60, "本年度主动公开信息。")}<ofd:CompositeObject ID="2" ResourceID="7" Boundary="20 80 170 6"/>'
            "</ofd:Layer></ofd:Content></ofd:Page>")
    data = _ofd({
        "OFD.xml": f"<ofd:OFD {NS}><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": (f"<ofd:Document {NS}><ofd:CommonData><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox>"
                               '<ofd:TemplatePage ID="9" BaseLoc="Tpls/Tpl_0/Content.xml"/>'
                               "<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes></ofd:CommonData>"
                               '<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages>'
                               "<ofd:Annotations>Annots/Annotations.xml</ofd:Annotations></ofd:Document>"),
        "Doc_0/Pages/Page_0/Content.xml": page,
        "Doc_0/Tpls/Tpl_0/Content.xml": f"<ofd:Page {NS}><ofd:Content><ofd:Layer>{_text(3, 20, '某某县人民政府')}"
                                        "</ofd:Layer></ofd:Content></ofd:Page>",
        "Doc_0/DocumentRes.xml": (f'<ofd:Res {NS}><ofd:CompositeGraphicUnits><ofd:CompositeGraphicUnit ID="7" '
                                  f'Width="170" Height="6"><ofd:Content>{_text(4, 0, "二、主动公开情况", 0)}'
                                  "</ofd:Content></ofd:CompositeGraphicUnit></ofd:CompositeGraphicUnits></ofd:Res>"),
        "Doc_0/Annots/Annotations.xml": (f'<ofd:Annotations {NS}><ofd:Page PageID="1"><ofd:FileLoc>Page_0/Annot.xml'
                                         "</ofd:FileLoc></ofd:Page></ofd:Annotations>"),
        "Doc_0/Annots/Page_0/Annot.xml": (f'<ofd:PageAnnot {NS}><ofd:Annot Type="Stamp"><ofd:Appearance '
                                          f'Boundary="20 100 170 10">{_text(5, 0, "2024年1月5日", 0)}'
                                          "</ofd:Appearance></ofd:Annot></ofd:PageAnnot>"),
    })
    result = extract_document(data, name="r.ofd")
    assert result.status is Status.OK, result
    assert result.text.split("\n") == ["某某县人民政府", "本年度主动公开信息。", "二、主动公开情况", "2024年1月5日"]


def test_tesseract_tsv_gives_lines_and_a_mean_confidence() -> None:
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    rows = ["5\t1\t1\t1\t1\t1\t0\t0\t9\t9\t90\t政府", "5\t1\t1\t1\t1\t2\t0\t0\t9\t9\t80\t信息",
            "5\t1\t1\t1\t2\t1\t0\t0\t9\t9\t70\t2024", "5\t1\t1\t1\t2\t2\t0\t0\t9\t9\t60\tyear"]
    found = parse_tsv(header + "\n".join(rows))
    assert found.text == "政府信息\n2024 year" and found.confidence == 75.0 and found.words == 4


def test_a_scan_with_a_text_footer_is_image_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its footer is real text, yet the page is a picture: it waits for OCR instead of being stored as a footer."""
    monkeypatch.setattr(pdf_reader, "ocr_available", lambda: False)
    result = pdf_reader.read(scan_pdf([["政府信息公开工作年度报告"]] * 2, footer_text=FOOTER))
    assert result.status is Status.NEEDS_OCR and result.pages == 2 and result.text == ""
    assert "scanned page(s) 1, 2" in result.detail


@pytest.mark.e2e
@needs_ocr
def test_scans_are_ocred_one_page_per_child_and_resumed_from_the_cache(tmp_path: Path) -> None:
    data = scan_pdf([["政府信息公开工作年度报告"], ["一、总体情况"]], footer_text=FOOTER)
    result = extract_isolated(data, name="scan.pdf", ocr_cache=tmp_path)
    assert result.status is Status.OK and result.ocr and result.extractor == "tesseract"
    assert "信息公开" in result.text and "总体情况" in result.text
    assert result.ocr_confidence is not None and result.ocr_confidence > 50
    kept = sorted(p.name for p in tmp_path.rglob("*.json"))
    assert kept == ["0.json", "1.json"]  # each page OCR'd on its own
    (next(tmp_path.rglob("0.json"))).write_text('{"text": "第一页", "confidence": 99.0, "words": 1}', "utf-8")
    again = extract_isolated(data, name="scan.pdf", ocr_cache=tmp_path)
    assert again.text.startswith("第一页") and "总体情况" in again.text  # page 1 taken from the cache


def _marked(mark: str) -> list[tuple[int, str, str]]:
    """Processes started under this test (their environment carries ``mark``): pid, name, parent pid."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and mark.encode() in (entry / "environ").read_bytes():
                found.append((int(entry.name), (entry / "comm").read_text().strip(),
                              (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]))
        except OSError:
            continue
    return found


@pytest.mark.e2e
def test_an_ocr_child_out_of_time_is_killed_with_its_tesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tesseract that never finishes (a stand-in on PATH that sleeps) dies with the capped child, orphan-free."""
    mark = f"ocr-timeout-{uuid.uuid4()}"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "tesseract").write_text("#!/bin/sh\nsleep 60\n")
    (bin_dir / "tesseract").chmod(0o755)
    monkeypatch.setenv("NIANBAO_TEST_MARK", mark)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setattr(documents, "ocr_available", lambda: True)
    data = scan_pdf([["政府信息公开工作年度报告"]], footer_text=FOOTER)
    result = extract_isolated(data, name="scan.pdf", timeout=6.0, ocr_cache=tmp_path / "ocr")
    assert result.status is Status.TIMEOUT and "timed out" in result.detail
    time.sleep(0.3)
    assert _marked(mark) == []  # neither the tesseract nor its sleep is left, orphaned (parent 1) or otherwise
    assert not list(tmp_path.rglob("*.json"))  # nothing cached for the page: a later reextract does it again
