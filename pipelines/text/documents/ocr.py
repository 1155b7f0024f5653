"""OCR for image-only reports with Tesseract (Apache-2.0) and its ``chi_sim`` model, when installed.

Tesseract is a system program, not a pip package, so it is optional: without it (or without the
chi_sim language data) scans are stored with status ``needs_ocr`` and ``nianbao reextract`` picks
them up once it is installed.  OCR text is marked (``ocr=True``) because it is never exact.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from io import BytesIO
from typing import Any

from pipelines.text.documents import DocumentText, Status

LANG = "chi_sim"
_TIMEOUT_S = 120


@functools.cache
def ocr_available() -> bool:
    """True when a ``tesseract`` binary with the chi_sim model is on PATH."""
    binary = shutil.which("tesseract")
    if binary is None:
        return False
    listed = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30)
    return LANG in (listed.stdout + listed.stderr).split()


def ocr_images(images: list[Any]) -> str:
    """Text of PIL images, page by page."""
    texts = []
    for image in images:
        buf = BytesIO()
        image.save(buf, format="PNG")
        done = subprocess.run(["tesseract", "stdin", "stdout", "-l", LANG, "--psm", "6"], input=buf.getvalue(),
                              capture_output=True, timeout=_TIMEOUT_S)
        texts.append(done.stdout.decode("utf-8", "replace").strip())
    # Tesseract puts spaces between CJK characters; the hash form drops them anyway, readers prefer none.
    return "\n".join(line.replace(" ", "") for t in texts for line in t.splitlines() if line.strip())


def read_image(data: bytes, fmt: str) -> DocumentText:
    """An image published as the report (图片版)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as image:
            image.load()
            frames = [image.copy()]
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        return DocumentText("", Status.CORRUPT, "pillow", fmt, detail=f"unreadable image: {exc}"[:200])
    if not ocr_available():
        return DocumentText("", Status.NEEDS_OCR, "none", fmt, pages=1, detail="image; no OCR engine installed")
    text = ocr_images(frames)
    return DocumentText(text, Status.OK if text else Status.NEEDS_OCR, "tesseract", fmt, pages=1, ocr=True)
