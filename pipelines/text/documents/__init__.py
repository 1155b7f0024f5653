"""Text from report attachments: PDF, DOCX, DOC/WPS, OFD and images, one module per format.

Every reader returns a :class:`DocumentText` and never raises on bad input: a corrupt, encrypted,
empty, over-size or unreadable file gets a :class:`Status` that says why, so the crawl records it
and goes on.  :func:`extract_document` sniffs the real format from the bytes (servers mislabel
files both ways) and dispatches; :func:`extract_isolated` runs it in a child process with a time
and memory cap, because PDF and zip parsers are C code that hostile files can send spinning.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import zipfile
from dataclasses import asdict, dataclass
from enum import StrEnum
from io import BytesIO
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

MAX_BYTES = 50 * 1024 * 1024  # as DOWNLOAD_MAXSIZE; larger files are recorded as too_large and not parsed
TIMEOUT_S = 60.0
MEMORY_BYTES = 1536 * 1024 * 1024


class Status(StrEnum):
    """What became of one attachment; everything but ``ok`` keeps the bytes for a later ``reextract``."""

    OK = "ok"
    NEEDS_OCR = "needs_ocr"  # image-only (scans, 图片版) and no OCR engine installed
    NEEDS_CONVERTER = "needs_converter"  # DOC/WPS and neither antiword nor LibreOffice installed
    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"  # truncated, damaged, zip bomb, not the format it claims
    EMPTY = "empty"  # zero bytes, or a readable file without text
    TOO_LARGE = "too_large"
    TIMEOUT = "timeout"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True, slots=True)
class DocumentText:
    """Extracted text (paragraphs and table rows one per line, cells tab-joined) and how it was got."""

    text: str
    status: Status
    extractor: str
    format: str
    pages: int | None = None
    ocr: bool = False
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status is Status.OK


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


def extract_document(data: bytes, *, name: str = "", mime: str = "", max_bytes: int = MAX_BYTES) -> DocumentText:
    """Text of one attachment in this process; never raises for bad input."""
    fmt = sniff(data, name, mime)
    if not data:
        return DocumentText("", Status.EMPTY, "none", fmt, detail="zero-byte file")
    if len(data) > max_bytes:
        return DocumentText("", Status.TOO_LARGE, "none", fmt, detail=f"{len(data)} bytes > limit {max_bytes}")
    from pipelines.text.documents import docx, legacy, ocr, ofd, pdf  # heavy imports only when needed

    readers = {"pdf": pdf.read, "docx": docx.read, "doc": legacy.read, "wps": legacy.read, "ofd": ofd.read}
    if fmt in readers:
        return readers[fmt](data, fmt)
    if fmt in IMAGE_FORMATS:
        return ocr.read_image(data, fmt)
    return DocumentText("", Status.UNSUPPORTED, "none", fmt, detail=f"not a document format this reads ({fmt})")


def _limit_memory(memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def extract_isolated(data: bytes, *, name: str = "", mime: str = "", max_bytes: int = MAX_BYTES,
                     timeout: float = TIMEOUT_S, memory: int = MEMORY_BYTES) -> DocumentText:
    """:func:`extract_document` in a child process capped in time and address space.

    A file that sends a parser into a loop or a memory blow-up costs one child, never the crawl.
    """
    fmt = sniff(data, name, mime)
    if not data or len(data) > max_bytes:
        return extract_document(data, name=name, mime=mime, max_bytes=max_bytes)
    args = [sys.executable, "-m", "pipelines.text.documents", name, mime, str(max_bytes)]
    try:
        done = subprocess.run(args, input=data, capture_output=True, timeout=timeout,
                              preexec_fn=lambda: _limit_memory(memory), env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    except subprocess.TimeoutExpired:
        return DocumentText("", Status.TIMEOUT, "none", fmt, detail=f"extraction took over {timeout:g} s")
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["killed"]
        return DocumentText("", Status.CORRUPT, "none", fmt,
                            detail=f"extractor failed (exit {done.returncode}): {tail[0][:200]}")
    raw = json.loads(done.stdout)
    return DocumentText(**{**raw, "status": Status(raw["status"])})


def _main() -> None:
    """Child side of :func:`extract_isolated`: bytes on stdin, JSON on stdout."""
    name, mime, max_bytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    result = extract_document(sys.stdin.buffer.read(), name=name, mime=mime, max_bytes=max_bytes)
    sys.stdout.write(json.dumps(asdict(result), ensure_ascii=False))
