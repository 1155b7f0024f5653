"""Word 97-2003 (.doc) and WPS files through a real converter: antiword, else LibreOffice headless.

No maintained pure-Python reader handles these binary formats well, so without a converter the
file is kept with status ``needs_converter`` and ``nianbao reextract`` converts it later.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from pipelines.text.documents.base import DocumentText, Status

_TIMEOUT_S = 120


def _antiword(path: Path) -> str:
    done = subprocess.run(["antiword", "-m", "UTF-8.txt", "-w", "0", str(path)], capture_output=True,
                          timeout=_TIMEOUT_S)
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""


def _libreoffice(binary: str, path: Path) -> str:
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as profile:
        subprocess.run([binary, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                        "txt:Text (encoded):UTF8", "--outdir", out, str(path)], capture_output=True,
                       timeout=_TIMEOUT_S)
        produced = next(Path(out).glob("*.txt"), None)
        return produced.read_text("utf-8-sig", errors="replace") if produced else ""


def read(data: bytes, fmt: str = "doc") -> DocumentText:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    antiword = shutil.which("antiword") if fmt == "doc" else None  # antiword does not read WPS
    if not office and not antiword:
        return DocumentText("", Status.NEEDS_CONVERTER, "none", fmt,
                            detail="install antiword or LibreOffice to read .doc/.wps")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"attachment.{fmt}"
        path.write_bytes(data)
        try:
            text, name = (_antiword(path), "antiword") if antiword else ("", "")
            if not text.strip() and office:
                text, name = _libreoffice(office, path), "libreoffice"
        except subprocess.TimeoutExpired:
            return DocumentText("", Status.TIMEOUT, name or "converter", fmt, detail="converter timed out")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return DocumentText("", Status.CORRUPT, name, fmt, detail="converter produced no text")
    return DocumentText("\n".join(lines), Status.OK, name, fmt)
