"""`/compliance`: the organs × report years grid of ``Archive.compliance`` as a page, CSV and JSON
(`/api/compliance`, same filters, described in the OpenAPI document).

Sorting, filtering and export are plain links and a GET form, so the page needs no JavaScript. Deadlines are
the deadline settings in crawler/settings.py (docs/compliance.md).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from crawler.settings import (
    NIANBAO_DEADLINE_DEPARTMENT,
    NIANBAO_DEADLINE_GOVERNMENT,
    NIANBAO_DEADLINE_SINCE,
    NIANBAO_DEADLINE_SUBCOUNTY,
)
from nianbao.web.models import ERRORS, ComplianceAnswer
from storage import Archive, ArchiveError
from storage.archive.compliance import (
    LEVELS,
    RECORD_FIELDS,
    SORT_KEYS,
    ComplianceCell,
    ComplianceGrid,
    Deadlines,
    grid_records,
)

DEADLINES = Deadlines.parse(NIANBAO_DEADLINE_DEPARTMENT, NIANBAO_DEADLINE_GOVERNMENT, NIANBAO_DEADLINE_SUBCOUNTY,
                            NIANBAO_DEADLINE_SINCE)
# a cell's fields, read once: dataclasses.asdict copies deeply (half of the JSON grid's time at 5,000 cells)
_CELL_FIELDS = tuple(f.name for f in dataclasses.fields(ComplianceCell))
# organs a page shows (the totals, sorting and the exports cover them all): 300 organs × 17 years rendered as one page
# were 1.1 MB of HTML and 58–65 ms of template alone at 100,000 reports
ROWS_PER_PAGE = 100
STATUS_LABEL = {"on_time": "按时", "late": "逾期", "undated": "日期不明", "missing": "未见"}
# report years the API takes: the Regulations date from 2007 (first reports for 2008); a bound keeps grids small
FIRST_YEAR, LAST_YEAR = 2000, 2100
Year = Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR)]


def _year(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit():
        raise ArchiveError(f"bad year: {value!r}")
    return int(value)


def compliance_router(archive: Archive, templates: Jinja2Templates) -> APIRouter:
    """The compliance page and its CSV export over ``archive``, rendered with the app's ``templates``."""
    router = APIRouter()

    def grid_of(region: str | None, level: str | None, portal: str | None, first: str | None, last: str | None,
                sort: str) -> ComplianceGrid:
        try:
            return archive.compliance(DEADLINES, region=region or None, level=level or None, portal=portal or None,
                                      first=_year(first), last=_year(last), sort=sort)
        except ValueError as exc:
            raise ArchiveError(str(exc)) from None

    @router.get("/compliance", response_class=HTMLResponse, include_in_schema=False)
    def compliance_page(request: Request, region: str | None = None, level: str | None = None,
                        portal: str | None = None, first: str | None = None, last: str | None = None,
                        sort: str = "region", page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
        form = {"region": region or "", "level": level or "", "portal": portal or "", "first": first or "",
                "last": last or "", "sort": sort}
        grid = grid_of(region, level, portal, first, last, sort)
        pages = max(1, -(-len(grid.rows) // ROWS_PER_PAGE))
        page = min(page, pages)

        def link(path: str = "/compliance", **changes: Any) -> str:
            params = {k: v for k, v in {**form, **changes}.items() if v not in ("", None)}
            return f"{path}?{urlencode(params)}" if params else path

        return templates.TemplateResponse(request, "compliance.html", {
            "form": form, "grid": grid, "link": link, "levels": LEVELS, "sorts": list(SORT_KEYS), "page": page,
            "pages": pages, "first_row": (page - 1) * ROWS_PER_PAGE,
            "rows": grid.rows[(page - 1) * ROWS_PER_PAGE:page * ROWS_PER_PAGE],
            "status_label": STATUS_LABEL,
            "totals": {s: sum(r.count(s) for r in grid.rows) for s in STATUS_LABEL}})

    @router.get("/compliance.csv", include_in_schema=False)
    def compliance_csv(region: str | None = None, level: str | None = None, portal: str | None = None,
                       first: str | None = None, last: str | None = None, sort: str = "region") -> Response:
        out = io.StringIO()
        writer = csv.DictWriter(out, RECORD_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(grid_records(grid_of(region, level, portal, first, last, sort)))
        return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="compliance.csv"'})

    @router.get("/api/compliance", tags=["compliance"], response_model=ComplianceAnswer, responses=ERRORS)
    def api_compliance(
            region: Annotated[str, Query(description="Region name part or code prefix; empty: all")] = "",
            level: Annotated[Literal[LEVELS] | None, Query(description="Organ level")] = None,  # type: ignore[valid-type]
            portal: Annotated[str, Query(description="One portal's name; empty: all")] = "",
            first: Year = None, last: Year = None,
            sort: Literal[tuple(SORT_KEYS)] = "region") -> dict[str, Any]:  # type: ignore[valid-type]
        """Every organ × report year: found or not, published on time against its deadline, standard tables,
        tables that add up. Years default to the span of report years found; first after last: no years."""
        empty = first is not None and last is not None and first > last  # no year in the range: no cells
        grid = grid_of(region, level, portal, None if first is None else str(first),
                       None if last is None or empty else str(last), sort)
        return {"years": [] if empty else grid.years,
                "deadlines": {lvl: "{:02d}-{:02d}".format(*getattr(grid.deadlines, lvl)) for lvl in LEVELS},
                "deadlines_since": grid.deadlines.since,
                "totals": {s: 0 if empty else sum(r.count(s) for r in grid.rows) for s in STATUS_LABEL},
                "rows": [{"portal": r.portal, "portal_display": r.portal_display, "region": r.region,
                          "region_code": r.region_code, "organ": r.organ, "level": r.level,
                          "cells": [] if empty else [{f: getattr(c, f) for f in _CELL_FIELDS}
                                                     for c in r.cells.values()]}
                         for r in grid.rows]}

    return router
