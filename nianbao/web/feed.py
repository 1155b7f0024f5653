"""`/feed.atom` (and `/portals/NAME/feed.atom`): the archive's new, changed and withdrawn reports as Atom,
the same document the crawl writes beside the archive (nianbao/feed.py), with links to the report pages."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from nianbao.feed import feed_xml
from storage import Archive
from storage.archive import ChangeEvent

FEED_ENTRIES = 100
# portal feeds filter the archive's newest events: look this many times further back for them
PORTAL_LOOKBACK = 10
ATOM_TYPE = "application/atom+xml; charset=utf-8"


def feed_router(archive: Archive) -> APIRouter:
    router = APIRouter()

    def answer(request: Request, events: list[ChangeEvent], title: str) -> Response:
        base = str(request.base_url).rstrip("/")
        marks = archive.superseded_among([e.report_id for e in events])
        return Response(feed_xml(events, title, base_url=base, self_url=str(request.url), superseded=marks),
                        media_type=ATOM_TYPE)

    @router.get("/feed.atom", include_in_schema=False)
    def feed(request: Request) -> Response:
        return answer(request, archive.recent_changes(FEED_ENTRIES), "nianbao 年报: new, changed and withdrawn reports")

    @router.get("/portals/{name}/feed.atom", include_in_schema=False)
    def portal_feed(request: Request, name: str) -> Response:
        if archive.get_portal(name) is None:
            raise HTTPException(404, f"no portal named {name!r}")
        events = [e for e in archive.recent_changes(FEED_ENTRIES * PORTAL_LOOKBACK) if e.portal == name]
        return answer(request, events[:FEED_ENTRIES], f"nianbao 年报: {name}")

    return router
