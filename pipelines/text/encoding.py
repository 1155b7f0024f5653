"""Decode raw HTML bytes from Chinese government sites into text.

Old portals declare ``gb2312`` but use GBK-only characters (镕, 喆), some declare nothing and
some declare the wrong charset (``utf-8`` over GBK bytes).  Decoding must therefore prefer a
superset codec (gb18030), verify the declared codec strictly, and fall back instead of raising.
"""

from __future__ import annotations

import codecs
import re

# Every GB-family label decodes as gb18030: it is a strict superset, and Python's gb2312
# codec even maps common punctuation differently from gbk (docs/reference/cms-patterns.md §8).
_GB_ALIASES = frozenset(
    {
        "gb2312",
        "gb_2312-80",
        "gb2312-80",
        "gbk",
        "x-gbk",
        "cp936",
        "csgb2312",
        "euc-cn",
        "hz-gb-2312",
        "gb18030",
        "windows-936",
    }
)
# Servers send these by default; they never fail to decode, so they are trusted last.
_WEAK = frozenset(codecs.lookup(name).name for name in ("iso-8859-1", "ascii", "windows-1252"))
_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]{2,40})""", re.I)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def normalize_charset(label: str | None) -> str | None:
    """Map a charset label to a Python codec name (GB family → gb18030); None if unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if name in _GB_ALIASES:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def sniff_meta_charset(body: bytes) -> str | None:
    """Charset from ``<meta charset>`` / ``http-equiv`` in the first 4 KB, normalised."""
    match = _META_CHARSET.search(body[:4096])
    return normalize_charset(match.group(1).decode("ascii")) if match else None


def _try(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(body: bytes, declared: str | None = None) -> str:
    """Decode ``body``; ``declared`` is the HTTP charset if any.  Never raises.

    Order: BOM, then the declared/meta charset if it decodes strictly, then utf-8, then gb18030,
    finally utf-8 with replacement characters.  A GB declaration over bytes that are valid UTF-8
    with CJK characters is overridden: a real GBK page is practically never valid UTF-8.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, errors="replace")
    http = normalize_charset(declared)
    meta = sniff_meta_charset(body)
    order: list[str] = []
    if http and http not in _WEAK:
        order.append(http)
    if meta:
        order.append(meta)
    order += ["utf-8", "gb18030"]
    if http:
        order.append(http)
    tried: set[str] = set()
    for codec in order:
        if codec in tried:
            continue
        tried.add(codec)
        text = _try(body, codec)
        if text is None:
            continue
        if codec == "gb18030" and "utf-8" not in tried:
            as_utf8 = _try(body, "utf-8")
            if as_utf8 is not None and _CJK.search(as_utf8):
                return as_utf8
        return text
    return body.decode(http or meta or "utf-8", errors="replace")
