"""The one recipe that says when two texts are the same report: tidy → hash form → SHA-256.

The stored text keeps the page's own characters (full-width punctuation and all) so readers see what
was published. The hash form is NFKC-folded with every whitespace character removed: Chinese needs no
spaces, and line wrapping, indentation and half/full-width variants differ between copies of the same
report (HTML vs PDF, one portal vs another) without changing it. The normalise and hash stages, the
attachments stage and ``nianbao reextract`` all use these functions, so they cannot disagree.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from pipelines.text.chrome import drop_chrome_lines

_WHITESPACE = re.compile(r"\s+")
_INLINE_SPACE = re.compile(r"[ \u3000\xa0]+")


def tidy(text: str) -> str:
    """Chrome lines dropped, each line stripped and its runs of spaces folded, no blank lines."""
    lines = (_INLINE_SPACE.sub(" ", line).strip() for line in drop_chrome_lines(text).splitlines())
    return "\n".join(line for line in lines if line)


def hash_form(text: str) -> str:
    """What is hashed: NFKC, no whitespace."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


def content_hash(hash_text: str) -> str:
    """SHA-256 of an already normalised text (see :func:`hash_form`)."""
    return hashlib.sha256(hash_text.encode("utf-8")).hexdigest()


def fingerprint(text: str) -> str:
    """The content hash of a raw extracted text: what the archive keys a report by."""
    return content_hash(hash_form(tidy(text)))
