"""`/organs?name=…`: an organ's statistics tables year by year, with charts of the main figures and the jumps.

The same figures as `nianbao stats --organ` (``nianbao.series``); the charts are inline SVG drawn on the server.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from nianbao.series import chart, figures, flag_jumps, polyline
from storage import Archive

CHARTS = (("received", "本年新收申请 requests received"), ("refused_share", "不予公开占比 share refused"),
          ("reviews_lost", "复议被纠错 reviews lost"))


def organ_router(archive: Archive, templates: Jinja2Templates) -> APIRouter:
    """The organ page over ``archive``, rendered with the app's ``templates``."""
    router = APIRouter()

    @router.get("/organs", response_class=HTMLResponse, include_in_schema=False)
    def organ_page(request: Request, name: str = "") -> Response:
        rows = flag_jumps([figures(v) for v in archive.statistics_series(organ=name)]) if name.strip() else []
        organs: dict[str, list[dict[str, object]]] = {}
        for row in rows:
            organs.setdefault(str(row["organ"] or "?"), []).append(row)
        charts = {organ: [c for key, title in CHARTS if (c := chart(series, key, title))]
                  for organ, series in organs.items()}
        return templates.TemplateResponse(request, "organ.html", {
            "name": name, "organs": organs, "charts": charts, "polyline": polyline})

    return router
