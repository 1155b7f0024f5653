"""Attachment text extraction: every PDF and DOCX reader considered, on the same generated files, in one run.

Files are generated from the demo portals' report texts (nianbao/demo/attachments.py): one-column PDFs,
two-column PDFs (both with the 2019/2021 statistics tables) and DOCX files.  For each reader: pages per
second, character F1 and character-4-gram F1 (order-sensitive) against the source text after whitespace
removal, and the share of source lines (paragraphs, tab-joined table rows) reproduced exactly as lines.

    pip install -e ".[bench]"   # pdfminer.six, pdfplumber (the readers compared with pypdfium2)
    python benchmarks/attachments.py [--rounds 3] [--limit 36]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nianbao.demo import demo_portals
from nianbao.demo.attachments import docx_bytes, pdf_bytes
from pipelines.text.documents import docx as docx_reader
from pipelines.text.documents import pdf as pdf_reader
from pipelines.text.fingerprint import tidy
from tests.support.metrics import ngram_f1

Reader = Callable[[bytes], tuple[str, int]]  # text and page count


def ours_pdf(data: bytes) -> tuple[str, int]:
    result = pdf_reader.read(data)
    return result.text, result.pages or 0


def pdfium_plain(data: bytes) -> tuple[str, int]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    text = "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    return text.replace("\r\n", "\n"), len(doc)


def pdfminer_six(data: bytes) -> tuple[str, int]:
    from pdfminer.high_level import extract_pages, extract_text

    return extract_text(io.BytesIO(data)), sum(1 for _ in extract_pages(io.BytesIO(data)))


def pdfplumber_text(data: bytes) -> tuple[str, int]:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages), len(pdf.pages)


def ours_docx(data: bytes) -> tuple[str, int]:
    return docx_reader.read(data).text, 1


def docx_paragraphs_only(data: bytes) -> tuple[str, int]:
    """python-docx ``Document.paragraphs``, the usual one-liner: tables are silently skipped."""
    import docx

    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs), 1


def _lines(text: str) -> set[str]:
    return {"".join(line.split()) for line in text.split("\n") if line.strip()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds (median taken)")
    parser.add_argument("--limit", type=int, default=36, help="reports used")
    args = parser.parse_args()
    docs = [d for p in demo_portals() for d in p.documents if d.kind == "report"][: args.limit]
    sets: dict[str, list[tuple[bytes, str]]] = {
        "PDF, one column": [(pdf_bytes(d.blocks), d.body) for d in docs],
        "PDF, two columns": [(pdf_bytes(d.blocks, columns=2), d.body) for d in docs],
        "DOCX": [(docx_bytes(d.blocks), d.body) for d in docs],
    }
    readers: dict[str, list[tuple[str, Reader]]] = {
        "PDF": [("pypdfium2 + nianbao layout (chosen)", ours_pdf), ("pypdfium2 get_text_range", pdfium_plain)],
        "DOCX": [("python-docx, body order + tables (chosen)", ours_docx),
                 ("python-docx paragraphs only", docx_paragraphs_only)],
    }
    for name, module, reader in (("pdfminer.six extract_text", "pdfminer", pdfminer_six),
                                 ("pdfplumber extract_text", "pdfplumber", pdfplumber_text)):
        try:
            __import__(module)
            readers["PDF"].append((name, reader))
        except ImportError:
            print(f"({name} not installed: pip install -e '.[bench]')")
    print(f"{len(docs)} reports; median of {args.rounds} timing rounds\n")
    print("| files | reader | pages/s (DOCX: files/s) | char F1 | 4-gram F1 | lines exact |")
    print("|---|---|---:|---:|---:|---:|")
    for set_name, files in sets.items():
        for reader_name, reader in readers["DOCX" if set_name == "DOCX" else "PDF"]:
            times, pages = [], 0
            for _ in range(args.rounds):
                started = time.perf_counter()
                outputs = [reader(data) for data, _ in files]
                times.append(time.perf_counter() - started)
                pages = sum(n for _, n in outputs)
            texts = [tidy(text) for text, _ in outputs]
            char_f1 = statistics.mean(ngram_f1(t, gold, 1) for t, (_, gold) in zip(texts, files, strict=True))
            gram_f1 = statistics.mean(ngram_f1(t, gold, 4) for t, (_, gold) in zip(texts, files, strict=True))
            exact = statistics.mean(len(_lines(t) & _lines(gold)) / len(_lines(gold))
                                    for t, (_, gold) in zip(texts, files, strict=True))
            print(f"| {set_name} | {reader_name} | {pages / statistics.median(times):.0f} | {char_f1:.4f} | "
                  f"{gram_f1:.4f} | {exact:.1%} |")


if __name__ == "__main__":
    main()
