"""The web interface: search page with filters and facets, report and portal pages, and a JSON API.

Read-only: every route is a GET over ``storage.Archive`` / ``storage.archive.query``, the same query path as the
CLI. Errors are the site's own HTML page in a browser (404 for an unknown page or id, 422 for a parameter
that is no usable value, such as an integer too large for the archive) and JSON only under /api/. Scraped
text is untrusted: templates autoescape everything, links to sources are only drawn for
http(s) URLs, and a strict Content-Security-Policy (no script at all, styles only from /static) means
that even a missed escape could not run script that came from a portal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from nianbao.web.compliance import compliance_router
from nianbao.web.export import available_formats, export_router
from nianbao.web.feed import feed_router
from nianbao.web.models import ERRORS, ReportDetail
from nianbao.web.organ import organ_router
from nianbao.web.params import FACET_PARAMS, HIDDEN, SearchForm, blank_to_none, search_form
from nianbao.web.portal import portal_router
from nianbao.web.report import files_router, report_context
from nianbao.web.runs import runs_router
from storage import Archive, ArchiveError, open_archive
from storage.archive.query import FACETS, MAX_LIMIT, MAX_OFFSET, SORTS, STATISTICS_STATES, Filters, Page
from storage.archive.records import HIGHLIGHT

HERE = Path(__file__).parent
PAGE_SIZE = 20
MAX_PAGE = MAX_OFFSET // PAGE_SIZE
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
SORT_PATTERN = "^(" + "|".join(SORTS) + ")$"
STATISTICS_PATTERN = "^(" + "|".join(STATISTICS_STATES) + ")$"
_MARKED = re.compile(f"{HIGHLIGHT[0]}(.*?){HIGHLIGHT[1]}", re.S)
_DIFF = re.compile(r"\[-(.*?)-\]|\{\+(.*?)\+\}", re.S)


def marked_parts(snippet: str) -> list[tuple[str, bool]]:
    """Split a «highlighted» snippet into (text, is_match) parts for the template to escape and mark up."""
    parts, pos = [], 0
    for m in _MARKED.finditer(snippet):
        parts += [(snippet[pos:m.start()], False), (m.group(1), True)]
        pos = m.end()
    return [p for p in [*parts, (snippet[pos:], False)] if p[0]]


def term_parts(text: str, terms: list[str]) -> list[tuple[str, bool]]:
    """Split text into (text, is_match) parts around every query term (case-insensitive, like search)."""
    if not terms:
        return [(text, False)]
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    parts, pos = [], 0
    for m in pattern.finditer(text):
        parts += [(text[pos:m.start()], False), (m.group(0), True)]
        pos = m.end()
    return [p for p in [*parts, (text[pos:], False)] if p[0]]


def diff_parts(diff: str) -> list[tuple[str, str]]:
    """Split a ``[-removed-]``/``{+added+}`` diff into (text, "" | "del" | "ins") parts."""
    parts, pos = [], 0
    for m in _DIFF.finditer(diff):
        parts += [(diff[pos:m.start()], ""), (m.group(1), "del") if m.group(1) is not None else (m.group(2), "ins")]
        pos = m.end()
    return [p for p in [*parts, (diff[pos:], "")] if p[0]]


def safe_href(url: str | None) -> str | None:
    """Only http(s) URLs become links; anything else (javascript:, data:) is shown as text."""
    return url if url and re.match(r"https?://", url, re.I) else None


def api_filter(facet: str, value: Any) -> dict[str, Any] | None:
    """The /api/search parameter that narrows to one facet value (None for an unknown year or organ)."""
    if value is None:
        return None
    return {FACET_PARAMS[facet]: value == "yes" if facet == "attachments" else value}


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def create_app(archive: Archive | str) -> FastAPI:
    """The ASGI app over one archive (an ``Archive`` or a database URL)."""
    archive = archive if isinstance(archive, Archive) else open_archive(archive)
    app = FastAPI(title="nianbao archive", version="1", openapi_url="/api/openapi.json", docs_url=None,
                  redoc_url=None,
                  description="Read-only search over archived government information-disclosure annual reports "
                              "(政府信息公开工作年度报告). Terms match as substrings; every term must match.")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(safe_href=safe_href, marked_parts=marked_parts, term_parts=term_parts,
                                 diff_parts=diff_parts, sorts=list(SORTS))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(compliance_router(archive, templates))
    app.include_router(organ_router(archive, templates))
    app.include_router(portal_router(archive, templates))
    app.include_router(runs_router(archive, templates))
    app.include_router(feed_router(archive))
    app.include_router(files_router(archive))
    app.include_router(export_router(archive))

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    def error_page(request: Request, message: str, status: int) -> Response:
        return templates.TemplateResponse(request, "error.html", {"message": message, "status": status},
                                          status_code=status)

    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    @app.exception_handler(ArchiveError)
    async def bad_request(request: Request, exc: ArchiveError) -> Response:
        if is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return error_page(request, str(exc), 400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Unknown pages and ids (the router's 404 included) as the site's page; JSON under /api/."""
        if is_api(request):
            return await http_exception_handler(request, exc)
        message = exc.detail if exc.status_code != 404 or exc.detail != "Not Found" else "no such page"
        return error_page(request, str(message), exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        if is_api(request):
            return await request_validation_exception_handler(request, exc)
        problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:])) or 'request'}: {e['msg']}" for e in exc.errors())
        return error_page(request, f"bad request: {problems}", 422)

    def page_of(q: str | None, filters: Filters, sort: str, limit: int, offset: int, facets: bool = False) -> Page:
        """Hits, the true total and (with ``facets``) every facet's counts, from one evaluation of the query."""
        return archive.query.page(blank_to_none(q), filters, sort=sort, limit=limit, offset=offset, facets=facets)

    # -- HTML -------------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, form: Annotated[SearchForm, Depends(search_form)],
                    page: Annotated[int, Query(le=MAX_PAGE)] = 1) -> Response:
        page = max(page, 1)
        result = page_of(form.query, form.filters, form.sort, PAGE_SIZE, (page - 1) * PAGE_SIZE, facets=True)

        def link(**changes: Any) -> str:
            return form.link("/", **{"page": page if page > 1 else "", **changes})

        return templates.TemplateResponse(request, "search.html", {
            "form": form.values, "result": result, "facets": result.facets, "page": page, "link": link,
            "pages": max(1, -(-result.total // PAGE_SIZE)), "facet_names": FACETS, "facet_params": FACET_PARAMS,
            "hidden": [(k, form.values[k]) for k in HIDDEN if form.values[k]],
            "active": form.active(), "exports": [(fmt, form.link(f"/export.{fmt}")) for fmt in available_formats()],
            "feed_href": form.link("/feed.atom", sort=""),
            "terms": form.values["q"].split()})

    @app.get("/reports/{report_id}", response_class=HTMLResponse, include_in_schema=False)
    def report_page(request: Request, report_id: int, q: str | None = None, v1: int | None = None,
                    v2: int | None = None) -> Response:
        return templates.TemplateResponse(request, "report.html", {
            **report_context(archive, report_id, v1, v2), "terms": (q or "").split(), "q": q or ""})

    # -- JSON API ---------------------------------------------------------------------------------

    @app.get("/api/search", tags=["search"], responses=ERRORS)
    def api_search(q: Annotated[str | None, Query(description="Terms, space-separated; all must match")] = None,
                   year: Annotated[int | None, Query(ge=1, le=9999)] = None,
                   region: Annotated[str | None, Query(description="Region name part or code prefix")] = None,
                   organ: str | None = None, portal: str | None = None, published_from: dt.date | None = None,
                   published_to: dt.date | None = None, level: str | None = None,
                   format: Annotated[str | None, Query(description="Published as: an attachment format (pdf, "
                                                       "docx, …) or html for no attachment")] = None,
                   has_attachment: bool | None = None,
                   statistics: Annotated[str | None, Query(pattern=STATISTICS_PATTERN)] = None,
                   region_is: Annotated[str | None, Query(description="Exactly this region (a facet value)")] = None,
                   organ_is: Annotated[str | None, Query(description="Exactly this organ (a facet value)")] = None,
                   sort: Annotated[str, Query(pattern=SORT_PATTERN)] = "newest",
                   limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = PAGE_SIZE,
                   offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0, facets: bool = False) -> dict[str, Any]:
        """Matching reports (snippets mark matches as «match»), the total, and optionally facet counts."""
        if published_from and published_to and published_from > published_to:  # an empty range: nothing matches
            return {"total": 0, "limit": limit, "offset": offset, "hits": [],
                    **({"facets": {name: [] for name in FACETS}} if facets else {})}
        filters = Filters.of(  # an empty parameter means no filter, as in the HTML form
            year=year, region=blank_to_none(region), organ=blank_to_none(organ), portal=blank_to_none(portal),
            published_from=published_from, published_to=published_to, level=blank_to_none(level),
            format=blank_to_none(format), has_attachment=has_attachment, statistics=statistics,
            region_is=blank_to_none(region_is), organ_is=blank_to_none(organ_is))
        result = page_of(q, filters, sort, limit, offset, facets=facets)
        body: dict[str, Any] = {"total": result.total, "limit": limit, "offset": offset,
                                "hits": _jsonable(result.hits)}
        if result.facets is not None:
            body["facets"] = {k: [{"value": v, "count": n, "filter": api_filter(k, v)} for v, n in rows]
                              for k, rows in result.facets.items()}
        return body

    @app.get("/api/reports/{report_id}", tags=["reports"], response_model=ReportDetail, responses=ERRORS)
    def api_report(report_id: int) -> dict[str, Any]:
        """One report: metadata, clean text, every URL it was seen at, its versions and attachments."""
        report = archive.get_report(report_id)
        if report is None:
            raise HTTPException(404, f"no report with id {report_id}")
        return {**{f.name: getattr(report, f.name) for f in dataclasses.fields(report)},
                "versions": archive.versions(report_id), "attachments": archive.attachments(report_id)}

    return app
