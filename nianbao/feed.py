"""Atom 1.0 (RFC 4287) documents of new, changed and withdrawn reports: the file a crawl writes
(nianbao/notify.py) and the web's ``/feed.atom`` are the same document, built here without Scrapy.

Each entry links an HTML page (``rel="alternate"``: the archive's report page when a base URL is known, else
the source URL), keeps the source URL as ``rel="via"``, and says in a category what happened; a report whose
text an edit has since replaced also carries the category ``superseded``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from xml.etree import ElementTree as ET

from storage.archive import ChangeEvent

ATOM = "http://www.w3.org/2005/Atom"
LABELS = {"new": "新增", "changed": "修改", "withdrawn": "撤下"}


def feed_xml(events: Sequence[ChangeEvent], title: str = "nianbao: new, changed and withdrawn reports", *,
             base_url: str | None = None, self_url: str | None = None,
             superseded: Collection[int] = ()) -> bytes:
    """An Atom 1.0 document, one entry per event, newest first."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    now = max((e.at for e in events), default=dt.datetime.now(dt.UTC))

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        el.text = text
        return el

    sub(feed, "title", title)
    sub(feed, "id", "urn:nianbao:changes" if self_url is None else f"urn:nianbao:changes:{self_url}")
    sub(feed, "updated", now.isoformat())
    sub(sub(feed, "author"), "name", "nianbao")
    if self_url:
        sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    if base_url:
        sub(feed, "link", rel="alternate", href=f"{base_url}/", type="text/html")
    for e in events:
        entry = sub(feed, "entry")
        replaced = e.report_id in superseded
        sub(entry, "id", f"urn:nianbao:{e.kind}:{e.report_id}:{e.url or ''}:{e.at.isoformat()}")
        sub(entry, "title", f"[{LABELS.get(e.kind, e.kind)}] {e.title or e.url or e.report_id}"
            + (" （已被修改 superseded）" if replaced else ""))
        sub(entry, "updated", e.at.isoformat())
        sub(entry, "category", term=e.kind)
        if replaced:
            sub(entry, "category", term="superseded")
        if base_url:
            sub(entry, "link", rel="alternate", href=f"{base_url}/reports/{e.report_id}", type="text/html")
        if e.url:
            sub(entry, "link", rel="via" if base_url else "alternate", href=e.url)
        summary = f"report {e.report_id}" + (f" on {e.portal}" if e.portal else "")
        summary += f": {e.detail}" if e.detail else ""
        summary += "; an edit has since replaced this text" if replaced else ""
        sub(entry, "summary", summary)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
