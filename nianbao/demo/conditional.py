"""Conditional requests for the demo portals: ETag / Last-Modified validators and 304 answers.

Demo pages differ on every request in their chrome (date banner, view counter), so a validator taken
from the bytes would never match. The ETag is taken from what the page *says* instead: a detail page's
document (text, title, date), and for any other page of a portal the whole document list, so adding,
editing or removing a report changes the list pages' ETags and nothing else's.
"""

from __future__ import annotations

import hashlib
from email.utils import parsedate_to_datetime

from nianbao.demo import chrome
from nianbao.demo.chrome import Response
from nianbao.demo.content import DemoDocument, DemoPortal


def _digest(parts: object) -> str:
    return 'W/"' + hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()[:20] + '"'


def _doc_key(doc: DemoDocument) -> tuple[object, ...]:
    return doc.doc_id, doc.paths, doc.title, doc.published, doc.content_key, doc.fault


def etag(portal: DemoPortal, target: str) -> str:
    """A weak ETag for ``target`` on ``portal`` that changes exactly when the page's content does."""
    path = target.partition("?")[0]
    doc = next((d for d in portal.documents if path in d.paths), None)
    if doc is not None:
        return _digest((target, _doc_key(doc)))
    return _digest((target, portal.fault, tuple(_doc_key(d) for d in portal.documents)))


def is_fresh(response: Response, tag: str, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present; otherwise If-Modified-Since against Last-Modified."""
    if if_none_match is not None:
        return tag in {t.strip() for t in if_none_match.split(",")} or if_none_match.strip() == "*"
    if if_modified_since is None or response.last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unreadable date: answer in full, as servers do
    return parsedate_to_datetime(chrome.last_modified_header(response.last_modified)) <= since


def not_modified(response: Response) -> Response:
    """The 304 for ``response``: same validators, no body."""
    return Response(304, response.content_type, b"", response.last_modified)
