"""Word 97-2003 (.doc) and WPS files through a real converter: antiword, else LibreOffice headless.

No maintained pure-Python reader handles these binary formats well, so without a converter the
file is kept with status ``needs_converter`` and ``nianbao reextract`` converts it later.  WPS 文字
files are OLE2 documents in Word's binary format, so antiword reads most of them too.  Field
instructions (``MACROBUTTON``, ``HYPERLINK``, ``TOC``…) are not text: antiword drops them, and any
that a converter lets through are removed, keeping a MACROBUTTON's display text.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pipelines.text.documents.base import DocumentText, Status

_TIMEOUT_S = 120
_FIELD_CODE = re.compile(
    r"\bMACROBUTTON\s+\S+\s?"  # MACROBUTTON Macro DisplayText: the display text stays
    r"|\bHYPERLINK\s+(?:\\[lo]\s+)?\"[^\"]*\"(?:\s+\\[a-z](?:\s+\"[^\"]*\")?)*"
    r"|\bPAGEREF\s+\S+(?:\s+\\[a-z])*"
    r"|\bTOC(?:\s+\\[a-z](?:\s+\"[^\"]*\")?)+"
    r"|\bINCLUDEPICTURE\s+\"[^\"]*\"(?:\s+\\[a-z*]+)*"
    r"|\\\*\s*MERGEFORMAT"
)


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


def _table_rows(lines: Iterable[str]) -> list[str]:
    """antiword's ``|a |b |`` table lines as tab-joined rows; a line continuing wrapped cells (first cell
    empty, few cells filled) is added to the row above cell by cell."""
    out: list[str] = []
    previous: list[str] | None = None
    for line in lines:
        if not (line.startswith("|") and line.endswith("|")):
            out.append(line)
            previous = None
            continue
        cells = [c.strip() for c in line[1:-1].split("|")]
        filled = sum(1 for c in cells if c)
        if (previous is not None and not cells[0] and len(cells) == len(previous)
                and filled * 2 <= sum(1 for c in previous if c)):
            previous[:] = [a + b for a, b in zip(previous, cells, strict=True)]
            out[-1] = "\t".join(previous)
        elif filled:
            previous = cells
            out.append("\t".join(cells))
    return out


def strip_field_codes(text: str) -> str:
    """Text without Word field instructions."""
    return _FIELD_CODE.sub("", text)


def read(data: bytes, fmt: str = "doc") -> DocumentText:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    antiword = shutil.which("antiword")
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
    lines = _table_rows(line.strip() for line in strip_field_codes(text).splitlines() if line.strip())
    if not lines:
        return DocumentText("", Status.CORRUPT, name, fmt, detail="converter produced no text")
    return DocumentText("\n".join(lines), Status.OK, name, fmt)
