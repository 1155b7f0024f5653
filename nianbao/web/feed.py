"""`/feed.atom` (and `/portals/NAME/feed.atom`): the archive's new, changed and withdrawn reports as Atom,
the same document the crawl writes beside the archive (nianbao/feed.py), with links to the report pages.

`/feed.atom?q=…` takes the search page's query and filters, so a saved search is a feed ("tell me when a new
report mentions 行政复议 in 吉林省"); the search page links to the feed of its own query."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from nianbao.feed import feed_xml
from nianbao.web.params import SearchForm, search_form
from storage import Archive
from storage.archive import ChangeEvent
from storage.archive.query import Filters

FEED_ENTRIES = 100
ATOM_TYPE = "application/atom+xml; charset=utf-8"


def feed_router(archive: Archive) -> APIRouter:
    router = APIRouter()

    def answer(request: Request, events: list[ChangeEvent], title: str) -> Response:
        base = str(request.base_url).rstrip("/")
        marks = archive.superseded_among([e.report_id for e in events])
        return Response(feed_xml(events, title, base_url=base, self_url=str(request.url), superseded=marks),
                        media_type=ATOM_TYPE)

    @router.get("/feed.atom", include_in_schema=False)
    def feed(request: Request, form: Annotated[SearchForm, Depends(search_form)]) -> Response:
        wanted = " ".join(v for v in (form.query, *(f"{k}={v}" for k, v in form.active())) if v)
        return answer(request, archive.recent_changes(FEED_ENTRIES, form.query, form.filters),
                      f"nianbao 年报: {wanted}" if wanted else "nianbao 年报: new, changed and withdrawn reports")

    @router.get("/portals/{name}/feed.atom", include_in_schema=False)
    def portal_feed(request: Request, name: str) -> Response:
        if archive.get_portal(name) is None:
            raise HTTPException(404, f"no portal named {name!r}")
        return answer(request, archive.recent_changes(FEED_ENTRIES, None, Filters(portal=name)),
                      f"nianbao 年报: {name}")

    return router
