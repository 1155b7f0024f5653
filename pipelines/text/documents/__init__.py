"""Text from report attachments: PDF, DOCX, DOC/WPS, OFD and images, one module per format.

Every reader returns a :class:`DocumentText` and never raises on bad input: a corrupt, encrypted,
empty, over-size or unreadable file gets a :class:`Status` that says why, so the crawl records it
and goes on.  :func:`extract_document` sniffs the real format from the bytes (servers mislabel
files both ways) and dispatches; :func:`extract_isolated` runs it in a child process with a time
and memory cap, because PDF and zip parsers are C code that hostile files can send spinning.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import asdict, replace
from io import BytesIO
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from pipelines.text.documents import docx, legacy, ofd, pdf
from pipelines.text.documents.base import DocumentText, Status
from pipelines.text.documents.ocr import OcrText, fill_ocr, ocr_available, read_image

MAX_BYTES = 50 * 1024 * 1024  # as DOWNLOAD_MAXSIZE; larger files are recorded as too_large and not parsed
TIMEOUT_S = 60.0
MEMORY_BYTES = 1536 * 1024 * 1024
MAX_OCR_PAGES = 200  # a longer scan is OCR'd up to here; the rest is named in ``detail``


EXTENSIONS = ("pdf", "docx", "doc", "wps", "ofd", "png", "jpg", "jpeg", "tif", "tiff")
MIME_FORMATS = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc",
    "application/vnd.ms-works": "wps",
    "application/kswps": "wps",
    "application/ofd": "ofd",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/tiff": "tif",
}
IMAGE_FORMATS = frozenset({"png", "jpg", "jpeg", "tif", "tiff"})


def file_name(url: str) -> str:
    """The name a person would save the file as: ``filename=`` query value, else the last path part."""
    parts = urlsplit(url)
    for key, _, value in (p.partition("=") for p in parts.query.split("&")):
        if key.lower() in ("filename", "file", "name") and "." in value:
            return PurePosixPath(unquote(value)).name
    return PurePosixPath(unquote(parts.path)).name


def extension(name: str) -> str:
    suffix = PurePosixPath(name.lower()).suffix.lstrip(".")
    return suffix if suffix in EXTENSIONS else ""


def magic(data: bytes) -> str | None:
    """The format the bytes themselves announce (PDF, zip-based, OLE2, images), or None."""
    head = data[:8]
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return "zip"
        if "word/document.xml" in names:
            return "docx"
        if "OFD.xml" in names:
            return "ofd"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: Word 97-2003 and WPS
        return "doc"
    if head.startswith(b"\x89PNG"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tif"
    return None


def sniff(data: bytes, name: str = "", mime: str = "") -> str:
    """The real format: magic bytes first (Content-Type and extension both lie), then name, then MIME."""
    found = magic(data)
    if found == "doc" and extension(name) == "wps":
        return "wps"
    if found == "zip" and extension(name):
        return extension(name)  # a damaged DOCX/OFD: its reader says what is wrong with it
    if found:
        return found
    start = data[:512].lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<meta", b"<body")):
        return "html"
    return extension(name) or MIME_FORMATS.get(mime.split(";")[0].strip().lower(), "") or "unknown"


def is_document(data: bytes, name: str = "", mime: str = "") -> bool:
    """True for bytes that are a document this package reads (not HTML, not an unknown blob)."""
    return sniff(data, name, mime) not in ("html", "unknown", "zip")


def extract_document(data: bytes, *, name: str = "", mime: str = "", max_bytes: int = MAX_BYTES,
                     ocr: bool = True) -> DocumentText:
    """Text of one attachment in this process; never raises for bad input.

    ``ocr=False`` leaves a PDF's scanned pages as marks (``ocr_pages``) for :func:`extract_isolated`.
    """
    fmt = sniff(data, name, mime)
    if not data:
        return DocumentText("", Status.EMPTY, "none", fmt, detail="zero-byte file")
    if len(data) > max_bytes:
        return DocumentText("", Status.TOO_LARGE, "none", fmt, detail=f"{len(data)} bytes > limit {max_bytes}")
    if fmt == "pdf":
        return pdf.read(data, fmt, ocr=ocr)
    readers = {"docx": docx.read, "doc": legacy.read, "wps": legacy.read, "ofd": ofd.read}
    if fmt in readers:
        return readers[fmt](data, fmt)
    if fmt in IMAGE_FORMATS:
        return read_image(data, fmt)
    return DocumentText("", Status.UNSUPPORTED, "none", fmt, detail=f"not a document format this reads ({fmt})")


def _limit_memory(memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _kill_group(group: int) -> None:
    """SIGKILL every process of ``group`` until none is left: a child caught forking (tesseract on its way)
    can escape a single signal and live on as an orphan."""
    for _ in range(100):
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            return
        time.sleep(0.01)


def _child(args: list[str], data: bytes, timeout: float, memory: int) -> subprocess.CompletedProcess[bytes] | None:
    """Run ``python -m pipelines.text.documents ARGS`` in its own process group; None when it ran out of time.

    On a timeout the whole group is killed: a reader's own children (tesseract, antiword) must not
    outlive it as orphans still burning CPU.
    """
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.text.documents", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=lambda: _limit_memory(memory), env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    try:
        out, err = proc.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        out = err = None
    finally:
        _kill_group(proc.pid)
        proc.communicate()
    if out is None or err is None:
        return None
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _failed(done: subprocess.CompletedProcess[bytes]) -> str:
    tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["killed"]
    return f"extractor failed (exit {done.returncode}): {tail[0][:200]}"


def _ocr_pages(data: bytes, pages: tuple[int, ...], timeout: float, memory: int,
               cache: Path | None) -> tuple[dict[int, OcrText], list[int]]:
    """OCR each page in its own capped child (a long scan is never given up whole); pages already in
    ``cache`` (from an earlier, interrupted run) are not OCR'd again.  Returns texts and timed-out pages."""
    folder = cache / hashlib.sha256(data).hexdigest() if cache else None
    texts: dict[int, OcrText] = {}
    late: list[int] = []
    for index in pages[:MAX_OCR_PAGES]:
        kept = folder / f"{index}.json" if folder else None
        if kept and kept.exists():
            texts[index] = OcrText(**json.loads(kept.read_text("utf-8")))
            continue
        done = _child(["ocr-page", str(index)], data, timeout, memory)
        if done is None:
            late.append(index)
        elif done.returncode == 0:
            texts[index] = OcrText(**json.loads(done.stdout))
            if kept:
                kept.parent.mkdir(parents=True, exist_ok=True)
                kept.write_text(json.dumps(asdict(texts[index]), ensure_ascii=False), "utf-8")
    return texts, late


def extract_isolated(data: bytes, *, name: str = "", mime: str = "", max_bytes: int = MAX_BYTES,
                     timeout: float = TIMEOUT_S, memory: int = MEMORY_BYTES, ocr_cache: Path | None = None
                     ) -> DocumentText:
    """:func:`extract_document` in child processes capped in time and address space.

    A file that sends a parser into a loop or a memory blow-up costs one child, never the crawl.  A
    PDF's scanned pages are OCR'd one page per child, each with the full ``timeout``; their texts
    are kept in ``ocr_cache`` (when given) so that ``nianbao reextract`` resumes a scan that ran out
    of time instead of starting it again.
    """
    fmt = sniff(data, name, mime)
    if not data or len(data) > max_bytes:
        return extract_document(data, name=name, mime=mime, max_bytes=max_bytes)
    done = _child(["read", name, mime, str(max_bytes)], data, timeout, memory)
    if done is None:
        return DocumentText("", Status.TIMEOUT, "none", fmt, detail=f"extraction took over {timeout:g} s")
    if done.returncode != 0:
        return DocumentText("", Status.CORRUPT, "none", fmt, detail=_failed(done))
    raw = json.loads(done.stdout)
    result = DocumentText(**{**raw, "status": Status(raw["status"]), "ocr_pages": tuple(raw["ocr_pages"])})
    if not result.ocr_pages:
        return result
    if not ocr_available():
        return fill_ocr(result, {})
    texts, late = _ocr_pages(data, result.ocr_pages, timeout, memory, ocr_cache)
    filled = fill_ocr(result, texts, f"timed out after {timeout:g} s" if late else "")
    if late and not filled.text:
        return replace(filled, status=Status.TIMEOUT)
    return filled


def _main() -> None:
    """Child side of :func:`extract_isolated`: bytes on stdin, JSON on stdout.

    ``read NAME MIME MAX_BYTES``: the document's text, scanned PDF pages left as marks;
    ``ocr-page INDEX``: the OCR text of one PDF page.
    """
    data = sys.stdin.buffer.read()
    if sys.argv[1] == "ocr-page":
        sys.stdout.write(json.dumps(asdict(pdf.ocr_page(data, int(sys.argv[2]))), ensure_ascii=False))
        return
    name, mime, max_bytes = sys.argv[2], sys.argv[3], int(sys.argv[4])
    result = extract_document(data, name=name, mime=mime, max_bytes=max_bytes, ocr=False)
    sys.stdout.write(json.dumps(asdict(result), ensure_ascii=False))
