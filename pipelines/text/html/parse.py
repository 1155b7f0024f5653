"""The one parse of a report page: decoded, bounded and parsed leniently, shared by every stage that reads it.

``pipelines.attachments`` parses the page and the tree travels with the item (``ReportItem.page``) to
``pipelines.extract``, so a page is parsed once.  Extraction removes metadata blocks and chrome from the
tree, so it must be the tree's last reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import lxml.html
from lxml import etree

from pipelines.text.encoding import decode_html

# About 12 MB of Chinese text in UTF-8: more than any report page, parsed in a few seconds and < 1 GB.
MAX_HTML_CHARS = 4_000_000
_DATA_URI = re.compile(r"data:[\w/+.-]{1,40};base64,[A-Za-z0-9+/=\s]{200,}")
_BAD_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_END_ROOT_TAGS = re.compile(r"</(?:html|body)\s*>", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)


@dataclass(frozen=True, slots=True)
class ParsedPage:
    """A page's bounded source (Hanweb comment markers and script arrays are read from it) and its tree."""

    html: str
    doc: etree._Element | None  # None for an empty or undecodable page


def parse(html: str | bytes) -> ParsedPage:
    """Decode (bytes), bound and parse a whole page; never raises."""
    if isinstance(html, bytes):
        html = decode_html(html)
    html = _bounded(html)
    return ParsedPage(html, parse_markup(html))


def _bounded(html: str) -> str:
    """Bound parse time and memory: inline ``data:`` images go (cmse.gov.cn inlines 400 KB of them), then
    anything past :data:`MAX_HTML_CHARS` is cut, as a truncated download would be (the body comes first)."""
    return _DATA_URI.sub("data:,", html)[:MAX_HTML_CHARS]


def parse_markup(html: str) -> etree._Element | None:
    """Parse leniently; None for empty or undecodable input (mostly U+FFFD means binary junk).

    For a whole page use :func:`parse`, which bounds it first; this is also used for the part of a page
    between Hanweb's comment markers.
    """
    # A premature </html> (gov.cn templates have one mid-page) makes libxml2 put the rest of the
    # page outside the tree walked from the root; the end tags are optional, so drop them.
    html = _END_ROOT_TAGS.sub("", _XML_DECL.sub("", _BAD_XML_CHARS.sub("", html)))
    if not html.strip() or html.count("\ufffd") > len(html) * 0.05:
        return None
    try:
        return lxml.html.document_fromstring(html, parser=_parser())
    except (etree.ParserError, ValueError):
        return None


def _parser() -> etree.HTMLParser:
    """lxml.html's parser, but with every element an ``HtmlElement`` picked in C.

    lxml.html's own lookup picks a class per tag in Python (form controls get their own), a Python call for every
    element any walk or XPath touches: a quarter of the time rendering a page's tables went there. Nothing here
    uses those classes' extras; ``drop_tree`` and ``text_content`` are ``HtmlElement``'s own.
    """
    # huge_tree: libxml2 otherwise silently drops everything nested deeper than 255 levels.
    parser = etree.HTMLParser(huge_tree=True)
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity))
    return parser


def drop(elements: Iterable[etree._Element]) -> int:
    """Remove elements but keep their tails (text that follows them belongs to the parent); how many went."""
    dropped = 0
    for el in list(elements):
        if el.getparent() is not None:
            el.drop_tree()
            dropped += 1
    return dropped
