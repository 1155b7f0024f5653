"""List protocols, one module per CMS: each tells whether a list page is its own and parses it.

Detection runs in the order of ``PROTOCOLS`` (most specific first, as in docs/reference/cms-patterns.md §1); a
registry ``cms`` hint puts that protocol first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scrapy.http import TextResponse

from crawler.lists import generic, hanweb, trs, trs_api, ucap, xxgk
from crawler.lists.base import ListLink, ListPage


@dataclass(frozen=True, slots=True)
class ListProtocol:
    name: str
    detect: Callable[[TextResponse], bool]
    parse: Callable[[TextResponse], ListPage]


PROTOCOLS: tuple[ListProtocol, ...] = (
    ListProtocol("hanweb", hanweb.detect, hanweb.parse),
    ListProtocol("trs_api", trs_api.detect, trs_api.parse),
    ListProtocol("xxgk", xxgk.detect, xxgk.parse),
    ListProtocol("trs", trs.detect, trs.parse),
    ListProtocol("ucap", ucap.detect, ucap.parse),
    ListProtocol("generic", generic.detect, generic.parse),
)


def protocol_for(response: TextResponse, hint: str | None = None) -> ListProtocol:
    ordered = sorted(PROTOCOLS, key=lambda p: p.name != hint)
    return next(p for p in ordered if p.detect(response))


__all__ = ["PROTOCOLS", "ListLink", "ListPage", "ListProtocol", "protocol_for"]
