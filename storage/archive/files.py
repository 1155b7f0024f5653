"""Content-addressed store of original attachment bytes, beside the database.

Files are kept under ``<root>/<sha[:2]>/<sha[2:4]>/<sha>``: the same file found at ten URLs is kept
once, a name can never collide, and ``nianbao reextract`` can read every attachment again with a
better (or newly installed) extractor without refetching it.  Writes go to a temporary file that is
renamed into place, so a crawl killed mid-write leaves no half file under a valid name.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

_SHA = re.compile(r"[0-9a-f]{64}")


class FileStore:
    """Original bytes by SHA-256."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    @property
    def ocr_cache(self) -> Path:
        """OCR'd pages of a scan, ``ocr/<file sha>/<page>.json``: kept so a re-extraction resumes a cut-short scan."""
        return self.root / "ocr"

    def put(self, data: bytes) -> str:
        """Store ``data`` (idempotent) and return its SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists():
            os.utime(target)  # found again: young files are never collected (``nianbao gc --min-age-hours``)
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def get(self, sha256: str) -> bytes | None:
        """The stored bytes, or None when this store does not hold them."""
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            return None

    def entries(self) -> Iterator[tuple[str | None, Path]]:
        """Every file under the root: ``(sha, path)`` for a stored file or an OCR cache entry of one, ``(None, path)``
        for anything else (a temporary file a killed write left behind)."""
        if not self.root.is_dir():
            return
        for path in self.root.rglob("*"):
            if not path.is_file():
                continue
            if path.is_relative_to(self.ocr_cache):  # belongs to the file it was read from
                source = path.relative_to(self.ocr_cache).parts[0]
                yield (source if _SHA.fullmatch(source) else None), path
                continue
            stored = _SHA.fullmatch(path.name) is not None and path == self.path(path.name)
            yield (path.name if stored else None), path
