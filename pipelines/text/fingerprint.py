"""The one recipe that says when two texts are the same report: tidy → hash form → SHA-256.

The stored text keeps the page's own characters (full-width punctuation and all) so readers see what
was published, except invisible format characters (zero-width space/joiners, BOM, soft hyphen, word joiner,
bidi marks), which CMS editors and Word pastes scatter at random and no reader sees. The hash form is
NFKC-folded with every whitespace and invisible character removed: Chinese needs no spaces, and line
wrapping, indentation, half/full-width variants and invisible characters differ between copies of the same
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
# Invisible format characters (Unicode Cf, plus variation selectors): soft hyphen, combining grapheme joiner,
# Arabic letter mark, Mongolian vowel separator, zero-width space/non-joiner/joiner, LRM/RLM, bidi embeddings,
# word joiner and invisible operators, bidi isolates, variation selectors, BOM (= zero-width no-break space).
INVISIBLE = re.compile("[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
                       "\ufe00-\ufe0f\ufeff]+")


def tidy(text: str) -> str:
    """Invisible characters and chrome lines dropped, each line stripped and its runs of spaces folded, no blank
    lines."""
    lines = (_INLINE_SPACE.sub(" ", line).strip() for line in drop_chrome_lines(INVISIBLE.sub("", text)).splitlines())
    return "\n".join(line for line in lines if line)


def hash_form(text: str) -> str:
    """What is hashed: NFKC, no whitespace, no invisible characters."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", INVISIBLE.sub("", text)))


def content_hash(hash_text: str) -> str:
    """SHA-256 of an already normalised text (see :func:`hash_form`)."""
    return hashlib.sha256(hash_text.encode("utf-8")).hexdigest()


def fingerprint(text: str) -> str:
    """The content hash of a raw extracted text: what the archive keys a report by."""
    return content_hash(hash_form(tidy(text)))
