"""Links as a page lists them: the full title (``title=`` beats truncated text) and the date printed beside them.

Both the list protocols (crawler/lists) and the attachments stage read anchors this way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from pipelines.text.dates import find_date

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class ListLink:
    """One entry of a column list: where it points, its title as listed, and its list date."""

    url: str
    title: str
    date: dt.date | None = None
    extra: dict[str, str] = field(default_factory=dict)


first_date = find_date  # the name crawler.lists imports; the one date rule lives in pipelines.text.dates


def clean_title(text: str) -> str:
    return _SPACE.sub("", text).strip()


# Read from the lxml element under a Selector: a parsel query builds a Selector per result, which on a list page
# with a hundred links cost more than the rest of its parse.
_STRING = etree.XPath("string()", smart_strings=False)
_TEXTS = etree.XPath(".//text()", smart_strings=False)
_LINKS_IN = etree.XPath("count(.//a[@href])")


def element_title(sel: Selector) -> str:
    """All the text in an element as a title: ``clean_title`` drops every space, so the text nodes need no space
    between them (``" ".join(sel.css("::text").getall())`` gives the same title)."""
    return clean_title(_STRING(sel.root))


def link_boxes(a: Selector, levels: int) -> Iterator[list[str]]:
    """The text nodes of the link's ancestors up to ``levels`` above it that hold no other link, nearest first:
    where a list row prints what the link itself does not (its date, its full title)."""
    for box in islice(a.root.iterancestors(), levels):
        if _LINKS_IN(box) > 1:
            return
        yield _TEXTS(box)


def anchor_link(a: Selector, base_url: str) -> ListLink | None:
    """A list entry from an ``<a>``: the full title is in ``title=`` when the text is truncated."""
    href = (a.attrib.get("href") or "").strip()
    if not href or href.startswith(("javascript:", "#", "mailto:")):
        return None
    text = element_title(a)
    title = clean_title(a.attrib.get("title") or "") or text
    if not title:
        return None
    return ListLink(url=urljoin(base_url, href), title=title, date=entry_date(a))


def entry_date(a: Selector) -> dt.date | None:
    """The date printed beside a list link: in the nearest enclosing element that holds no other link."""
    for texts in link_boxes(a, 3):
        if found := find_date(" ".join(texts)):
            return found
    return None
