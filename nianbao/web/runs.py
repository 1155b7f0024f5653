"""`/runs` and `/runs/ID`: crawl runs page by page, and one run in full — when it ran and how it ended, each
portal's counts, its errors with portal and URL, and the reports it archived. JSON twins under /api/runs.

Counts are the counters the crawl records per run and portal (``pipelines.components.count``, kept in
``crawl_run.stats`` and, once the run closes, as ``crawl_run_portal`` rows, which the pages read;
nianbao/health.py interprets them); the reports are read from sightings and versions
(``Archive.run_reports``). Every page is a fixed number of queries, however many runs or portals it shows.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from nianbao.health import RunHealth, measure
from nianbao.web.models import ERRORS, RunDetail, RunList
from storage import Archive, RunView
from storage.archive.query import MAX_OFFSET
from storage.archive.reports import MAX_ID
from storage.archive.runcounters import RUN_TOTALS

RUNS_PER_PAGE = 50
# the run-wide counters a run's summary shows (``run_summary``): a closed run's ``crawl_run`` columns
SUMMARY_KEYS = tuple(RUN_TOTALS)
MAX_RUNS_LIMIT = 200
PORTALS_PER_PAGE = 100  # a run's portals shown at once: a crawl of every portal names thousands
# a portal with any of these counted has something to report, and is listed before the quiet ones
NOTABLE = ("errors", "hostile/challenged", "hostile/gone", "hostile/trapped", "list_pages_capped", "reports/new",
           "reports/changed", "reports/withdrawn")



def run_summary(run: RunView) -> dict[str, Any]:
    """A run's row in a list: times, reason, portals and the run-wide counters."""
    started, finished = run.started_at, run.finished_at
    stats = run.stats
    return {"id": run.id, "started_at": started, "finished_at": finished,
            "duration_seconds": (finished - started).total_seconds() if started and finished else None,
            "finish_reason": run.finish_reason, "portals": list(run.portals),
            "pages": int(stats.get("downloader/response_count") or 0),
            "new": int(stats.get("nianbao/reports/new") or 0),
            "changed": int(stats.get("nianbao/reports/changed") or 0),
            # the kept list is capped (pipelines.components.MAX_ERRORS_KEPT); the counter is not
            "errors": max(int(stats.get("nianbao/errors") or 0), len(run.errors))}


def portal_run(run: RunView, health: RunHealth) -> dict[str, Any]:
    """One portal in one run, with the errors the run recorded for it."""
    return {"portal": health.portal, "run_id": run.id, "started_at": run.started_at,
            "finished_at": run.finished_at, "finish_reason": run.finish_reason,
            "new": health.new, "changed": health.changed, "unchanged": health.unchanged,
            "withdrawn": health.withdrawn, "list_pages": health.list_pages, "report_pages": health.report_pages,
            "errors": max(health.errors, sum(1 for e in run.errors if e.get("portal") == health.portal)),
            "challenged": health.challenges, "gone": health.gone, "trapped": health.trapped,
            "alarms": list(health.flags),
            "error_list": [dict(e) for e in run.errors if e.get("portal") == health.portal]}


PortalPage = Annotated[int, Query(ge=1, le=MAX_OFFSET // PORTALS_PER_PAGE,
                                  description=f"Page of the run's portals, {PORTALS_PER_PAGE} a page")]


def run_id_or_404(run_id: int) -> int:
    if not 0 < run_id <= MAX_ID:
        raise HTTPException(404, f"no run with id {run_id}")
    return run_id


def runs_router(archive: Archive, templates: Jinja2Templates) -> APIRouter:
    """The run list and run pages over ``archive`` and their JSON, rendered with the app's ``templates``."""
    router = APIRouter()

    def run_list(limit: int, offset: int, portal: str | None) -> dict[str, Any]:
        runs, total = archive.runs_page(limit, offset, portal or None, keys=SUMMARY_KEYS)
        return {"total": total, "limit": limit, "offset": offset, "runs": [run_summary(r) for r in runs]}

    def run_detail(run_id: int, page: int, stats: bool) -> dict[str, Any]:
        """One run with one page of its portals: those with something to report first (``NOTABLE``, or an error
        kept for them), then the quiet ones, each group in the run's order; the portals on other pages counted.
        ``stats``: the run-wide stats too (the JSON twin; the page shows the counters it needs)."""
        run = archive.run_view(run_id_or_404(run_id), keys=SUMMARY_KEYS)
        if run is None:
            raise HTTPException(404, f"no run with id {run_id}")
        counters = archive.portal_counters([run])[run.id]
        named = [*run.portals, *sorted(set(counters) - set(run.portals))]  # counters of a portal not asked for
        erred = {e.get("portal") for e in run.errors}
        notable = [p for p in named if p in erred or any(counters.get(p, {}).get(c) for c in NOTABLE)]
        picked = set(notable)
        ordered = [*notable, *(p for p in named if p not in picked)]
        start = (page - 1) * PORTALS_PER_PAGE
        shown = ordered[start:start + PORTALS_PER_PAGE]
        others = [counters.get(p, {}) for p in (*ordered[:start], *ordered[start + PORTALS_PER_PAGE:])]
        return {**run_summary(run), "stats": archive.run_wide_stats(run.id) if stats else {},
                "portal_runs": [portal_run(run, measure(run, p, counters.get(p, {}))) for p in shown],
                "portal_page": page, "portal_pages": max(1, -(-len(ordered) // PORTALS_PER_PAGE)),
                "portals_total": len(ordered), "portals_notable": len(notable),
                "others": {"portals": len(others), "list_pages": sum(c.get("list_pages", 0) for c in others),
                           "report_pages": sum(c.get("extracted", 0) for c in others),
                           "unchanged": sum(c.get("reports/unchanged", 0) for c in others)},
                "error_list": [dict(e) for e in run.errors],
                "reports": [dataclasses.asdict(r) for r in archive.run_reports(run.id)]}

    @router.get("/runs", response_class=HTMLResponse, include_in_schema=False)
    def runs_page(request: Request, page: Annotated[int, Query(ge=1, le=MAX_OFFSET // RUNS_PER_PAGE)] = 1,
                  portal: str = "") -> Response:
        listing = run_list(RUNS_PER_PAGE, (page - 1) * RUNS_PER_PAGE, portal.strip())

        def link(number: int) -> str:
            return "/runs?" + urlencode({k: v for k, v in {"portal": portal.strip(), "page": number}.items() if v})

        return templates.TemplateResponse(request, "runs.html", {
            **listing, "page": page, "pages": max(1, -(-listing["total"] // RUNS_PER_PAGE)), "link": link,
            "portal": portal.strip()})

    @router.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    def run_page(request: Request, run_id: int, page: PortalPage = 1) -> Response:
        return templates.TemplateResponse(request, "run.html", {"run": run_detail(run_id, page, stats=False)})

    @router.get("/api/runs", tags=["runs"], response_model=RunList, responses=ERRORS)
    def api_runs(limit: Annotated[int, Query(ge=1, le=MAX_RUNS_LIMIT)] = RUNS_PER_PAGE,
                 offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
                 portal: Annotated[str, Query(description="Only runs that crawled this portal; empty: all")] = ""
                 ) -> dict[str, Any]:
        """Crawl runs, newest first, with the total for paging."""
        return run_list(limit, offset, portal.strip())

    @router.get("/api/runs/{run_id}", tags=["runs"], response_model=RunDetail, responses=ERRORS)
    def api_run(run_id: int, page: PortalPage = 1) -> dict[str, Any]:
        """One crawl run: its run-wide stats, one page of its portals' counts and errors (those with something to
        report first; ``others`` sums the portals on other pages), and the reports it archived."""
        return run_detail(run_id, page, stats=True)

    return router
