"""`/portals/NAME`: a registry entry with its run-to-run health — for each recent run that crawled the portal,
the reports it found new / changed / unchanged / withdrawn, pages read, errors, challenged / gone / trapped pages
and the finish reason — plus the portal's status and its last successful run. JSON twin: /api/portals/NAME.

Alarms are nianbao/health.py's (links suddenly gone, error rate jumped), each run against the one before it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from nianbao.health import alarms, measure
from nianbao.web.models import ERRORS, PortalDetail
from nianbao.web.runs import SUMMARY_KEYS, portal_run, run_summary
from storage import Archive
from storage.archive.query import Filters

RUNS_SHOWN = 20


def portal_router(archive: Archive, templates: Jinja2Templates) -> APIRouter:
    """The portal page over ``archive`` and its JSON, rendered with the app's ``templates``."""
    router = APIRouter()

    def portal_info(name: str) -> dict[str, Any]:
        spec = archive.get_portal(name)
        if spec is None:
            raise HTTPException(404, f"no portal named {name!r}")
        # one more run: the previous of the oldest shown; of their counters only this portal's
        runs, total = archive.runs_page(RUNS_SHOWN + 1, 0, name)
        counters = archive.portal_counters(runs, name)
        measured = [measure(run, name, counters[run.id].get(name, {})) for run in runs]
        rows = []
        for index, (run, now) in enumerate(zip(runs[:RUNS_SHOWN], measured, strict=False)):
            before = next((m for r, m in zip(runs[index + 1:], measured[index + 1:], strict=True)
                           if r.finish_reason), None)
            rows.append(portal_run(run, dataclasses.replace(now, flags=alarms(now, before))))
        health = archive.portal_health(name)
        last = archive.last_success(name, keys=SUMMARY_KEYS)
        return {"portal": {**dataclasses.asdict(spec), "column_urls": list(spec.column_urls)},
                "reports": archive.query.count(None, Filters(portal=name)),
                "health": health and {"status": health.status, "evidence": list(health.evidence),
                                      "since": health.since, "verified": health.verified,
                                      "challenged_runs": health.challenged_runs,
                                      "discovered_columns": list(health.discovered_columns)},
                "last_success": run_summary(last) if last else None, "runs_total": total, "runs": rows}

    @router.get("/portals/{name}", response_class=HTMLResponse, include_in_schema=False)
    def portal_page(request: Request, name: str) -> Response:
        return templates.TemplateResponse(request, "portal.html", portal_info(name))

    @router.get("/api/portals/{name}", tags=["portals"], response_model=PortalDetail, responses=ERRORS)
    def api_portal(name: str) -> dict[str, Any]:
        """A registry entry, its report count, status, last successful run and run-to-run health."""
        return portal_info(name)

    return router
