"""Hanweb 大汉 jcms / jpage lists: records live in ``<datastore>`` XML, not in the DOM.

The column page embeds the first records in ``<script type="text/xml"><datastore>``; further
records come from ``/module/web/jpage/dataproxy.jsp`` whose address is in ``<nextgroup>``. Each
``<record>`` is an HTML fragment in CDATA.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector
from scrapy.http import TextResponse

from crawler.lists.base import ListLink, ListPage, anchor_link, unique

_DATASTORE = re.compile(r"<datastore>.*?</datastore>", re.S)


def detect(response: TextResponse) -> bool:
    return "<datastore>" in response.text


def _records(xml: str) -> tuple[list[str], str | None]:
    parser = etree.XMLParser(recover=True, strip_cdata=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(xml.encode("utf-8"), parser)
    if root is None:
        return [], None
    records = [r.text or "" for r in root.iter("record")]
    nextgroup = root.findtext("nextgroup")
    return records, nextgroup


def parse(response: TextResponse) -> ListPage:
    links: list[ListLink] = []
    nexts: list[str] = []
    for block in _DATASTORE.findall(response.text):
        records, nextgroup = _records(block)
        # One parse for all records: each record stays its own <div>, so dates stay with their links.
        joined = Selector(text="".join(f"<div>{fragment}</div>" for fragment in records))
        for a in joined.css("a[href]"):
            link = anchor_link(a, response.url)
            if link:
                links.append(link)
        if nextgroup:
            href = Selector(text=nextgroup).css("a::attr(href)").get()
            if href:
                nexts.append(urljoin(response.url, href.strip()))
    return ListPage(links=unique(links), next_urls=tuple(dict.fromkeys(nexts)))
