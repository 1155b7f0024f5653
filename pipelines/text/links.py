"""Links as a page lists them: the full title (``title=`` beats truncated text) and the date printed beside them.

Both the list protocols (crawler/lists) and the attachments stage read anchors this way.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

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


def anchor_link(a: Selector, base_url: str) -> ListLink | None:
    """A list entry from an ``<a>``: the full title is in ``title=`` when the text is truncated."""
    href = (a.attrib.get("href") or "").strip()
    if not href or href.startswith(("javascript:", "#", "mailto:")):
        return None
    text = clean_title(" ".join(a.css("::text").getall()))
    title = clean_title(a.attrib.get("title") or "") or text
    if not title:
        return None
    return ListLink(url=urljoin(base_url, href), title=title, date=entry_date(a))


def entry_date(a: Selector) -> dt.date | None:
    """The date printed beside a list link: in the nearest enclosing element that holds no other link."""
    for level in range(1, 4):
        box = a.xpath(f"ancestor::*[{level}]")
        if not box or len(box.xpath(".//a[@href]")) > 1:
            return None
        if found := find_date(" ".join(box.xpath(".//text()").getall())):
            return found
    return None
