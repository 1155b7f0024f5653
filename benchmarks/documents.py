"""Document readers on real files nobody here made, and on generated ones, scored against references we did not write.

Every file in ../shared/realworld (WPS, Word 2010, ONLYOFFICE, Chrome-printed PDFs, real DOC, DOCX and OFD
files) is read by our reader (pipelines.text.documents) and, for PDFs, by PDFium's plain text order
(``get_text_range``), pdfminer.six and pdfplumber.  Each text is scored by character-4-gram F1 (whitespace
removed) against tests/documents/references/<file>.txt: poppler ``pdftotext -layout`` (DOC: the Word text
stream; DOCX: document.xml; OFD: typed from the page XML), corrected by hand (tests/documents/PROVENANCE.md).
Generated files are the demo reports rendered as one- and two-column PDFs and as DOCX, scored against the
text they were rendered from.  The last column is ours divided by the best other reader (goal ≥ 1).

    pip install -e ".[bench]"   # pdfminer.six, pdfplumber
    python benchmarks/documents.py [--generated 12]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nianbao.demo import demo_portals  # noqa: E402
from nianbao.demo.attachments import docx_bytes, pdf_bytes  # noqa: E402
from pipelines.text.documents import extract_document, sniff  # noqa: E402
from pipelines.text.documents.layout import ngram_f1  # noqa: E402

REALWORLD = ROOT.parent / "shared" / "realworld"
REFERENCES = ROOT / "tests" / "documents" / "references"
Reader = Callable[[bytes], str]


def ours(data: bytes) -> str:
    return extract_document(data).text


def pdfium_plain(data: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def pdfminer_six(data: bytes) -> str:
    from pdfminer.high_level import extract_text

    return str(extract_text(io.BytesIO(data)))


def pdfplumber_text(data: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def docx_paragraphs_only(data: bytes) -> str:
    """python-docx ``Document.paragraphs``, the usual one-liner: tables are silently skipped."""
    import docx

    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


OTHERS: dict[str, list[tuple[str, Reader]]] = {
    "pdf": [("PDFium plain", pdfium_plain), ("pdfminer.six", pdfminer_six), ("pdfplumber", pdfplumber_text)],
    "docx": [("python-docx paragraphs", docx_paragraphs_only)],
}
COLUMNS = ["ours", "PDFium plain", "pdfminer.six", "pdfplumber", "python-docx paragraphs"]


def _available(name: str) -> bool:
    module = {"pdfminer.six": "pdfminer", "pdfplumber": "pdfplumber"}.get(name)
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def score(files: list[tuple[bytes, str]], fmt: str, seconds: dict[str, float]) -> dict[str, float]:
    """Mean 4-gram F1 of each reader over ``files`` (bytes, reference); time spent added to ``seconds``."""
    out: dict[str, float] = {}
    for name, reader in [("ours", ours), *OTHERS.get(fmt, [])]:
        if not _available(name):
            continue
        started = time.perf_counter()
        texts = [reader(data) for data, _ in files]
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
        out[name] = statistics.mean(ngram_f1(text, gold) for text, (_, gold) in zip(texts, files, strict=True))
    return out


def _row(label: str, fmt: str, scores: dict[str, float]) -> str:
    cells = [f"{scores[c]:.4f}" if c in scores else "–" for c in COLUMNS]
    others = [v for k, v in scores.items() if k != "ours"]
    ratio = f"{scores['ours'] / max(others):.3f}" if others and max(others) else "–"
    return f"| {label} | {fmt} | " + " | ".join(cells) + f" | {ratio} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generated", type=int, default=12, help="demo reports rendered per generated set")
    args = parser.parse_args()
    missing = [n for n in ("pdfminer.six", "pdfplumber") if not _available(n)]
    if missing:
        print(f"({', '.join(missing)} not installed: pip install -e '.[bench]')")
    if not REALWORLD.is_dir():
        sys.exit(f"{REALWORLD} not found: the real files live in shared/ beside the repository")
    seconds: dict[str, float] = {}
    print("| file | format | " + " | ".join(COLUMNS) + " | ours ÷ best other |")
    print("|---|---|" + "---:|" * (len(COLUMNS) + 1))
    for path in sorted(REALWORLD.iterdir()):
        reference = REFERENCES / f"{path.stem}.txt"
        if not reference.exists():
            continue
        data = path.read_bytes()
        fmt = sniff(data, path.name)
        print(_row(path.stem, fmt, score([(data, reference.read_text("utf-8"))], fmt, seconds)), flush=True)
    docs = [d for p in demo_portals() for d in p.documents if d.kind == "report"][: args.generated]
    for label, fmt, render in (("generated, one column", "pdf", lambda d: pdf_bytes(d.blocks)),
                               ("generated, two columns", "pdf", lambda d: pdf_bytes(d.blocks, columns=2)),
                               ("generated", "docx", lambda d: docx_bytes(d.blocks))):
        print(_row(f"{label} (mean of {len(docs)})", fmt, score([(render(d), d.body) for d in docs], fmt, seconds)))
    if "ours" in seconds and "PDFium plain" in seconds:
        print(f"\ntime: ours {seconds['ours']:.1f} s over all files; PDFium plain {seconds['PDFium plain']:.1f} s "
              f"over the PDFs (ratio {seconds['ours'] / seconds['PDFium plain']:.1f}×, ours includes layout, "
              "DOC/OFD/DOCX and the capped converters)")


if __name__ == "__main__":
    main()
