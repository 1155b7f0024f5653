"""Demo portals a while later: one report published, one edited, two withdrawn, the rest untouched.

What a monitoring crawler meets between two runs, for the history, health, incremental and
notification tests (and for trying ``nianbao schedule`` by hand)::

    server = DemoServer(demo_portals()); server.start()      # first crawl sees the portals as built
    later = changed_portals(); server.set_portals(later.portals, later.overrides)   # second crawl sees this

* **new**: 大安市 publishes its 2025 report (listed first, a new TRS detail page);
* **edited**: 新抚区's 2023 report gains a correction paragraph at the same URL;
* **withdrawn (404)**: 长白县 deletes 长白镇's 2015 report: unlisted, its page answers 404;
* **withdrawn (tombstone)**: 大安市 deletes its 2013 report: unlisted, its page becomes a tiny 200 page
  whose meta refresh sends the reader back to the column, as TRS sites do.
"""

from __future__ import annotations

import datetime
import hashlib
import random
from dataclasses import dataclass, replace

from nianbao.demo import bodies
from nianbao.demo.chrome import Response
from nianbao.demo.content import DemoDocument, DemoPortal, demo_portals

CORRECTION = "（更正说明：本报告第四部分“政府信息公开行政复议、行政诉讼情况”数据有误，已于2026年3月更正。）"


@dataclass(frozen=True)
class ChangeSet:
    """The changed portals, the fixed answers to serve beside them, and what changed (absolute URLs)."""

    portals: list[DemoPortal]
    overrides: dict[str, Response]
    new: DemoDocument
    new_url: str
    edited: DemoDocument  # the edited version; the original is in demo_portals()
    edited_url: str
    withdrawn_404_url: str
    withdrawn_refresh_url: str


def _content_key(body: str) -> str:
    return hashlib.sha1(body.encode("utf-8")).hexdigest()[:16]


def _doc(portal: DemoPortal, title: str) -> DemoDocument:
    return next(d for d in portal.documents if d.title == title)


def tombstone(column_url: str) -> Response:
    """What a CMS leaves at a deleted document's URL: a tiny page refreshing to the column."""
    html = (f'<html><head><meta http-equiv="refresh" content="0;url={column_url}"></head>'
            "<body></body></html>")
    return Response(200, "text/html; charset=utf-8", html.encode("utf-8"))


def changed_portals() -> ChangeSet:
    """The demo portals after the changes listed in the module docstring."""
    portals = {p.name: p for p in demo_portals()}
    daan, xinfu, changbai = portals["daan"], portals["xinfu"], portals["changbai"]

    blocks = bodies.formatted_report(random.Random("daan:2025"), "大安市", 2025)
    body = bodies.body_text(blocks)
    day = datetime.date(2026, 1, 20)
    new = DemoDocument(doc_id="9001", paths=(f"{daan.column_paths[0]}{day:%Y%m}/t{day:%Y%m%d}_9001.html",),
                       title="大安市2025年政府信息公开工作年度报告", organ="大安市人民政府", published=day,
                       report_year=2025, kind="report", body=body, content_key=_content_key(body), blocks=blocks)
    gone_refresh = _doc(daan, "大安市2013年政府信息公开工作年度报告")
    daan = replace(daan, documents=(*(d for d in daan.documents if d is not gone_refresh), new))

    original = _doc(xinfu, "新抚区2023年度政府信息公开工作年度报告")
    edited_blocks = (*original.blocks, CORRECTION)
    edited_body = bodies.body_text(edited_blocks)
    edited = replace(original, blocks=edited_blocks, body=edited_body, content_key=_content_key(edited_body))
    xinfu = replace(xinfu, documents=tuple(edited if d is original else d for d in xinfu.documents))

    gone_404 = _doc(changbai, "长白镇2015年政府信息公开年度报告")
    changbai = replace(changbai, documents=tuple(d for d in changbai.documents if d is not gone_404))

    portals.update(daan=daan, xinfu=xinfu, changbai=changbai)
    refresh_url = gone_refresh.url_of(daan.host)
    return ChangeSet(portals=list(portals.values()),
                     overrides={f"{daan.host}{gone_refresh.paths[0]}": tombstone(daan.column_urls[0])},
                     new=new, new_url=new.url_of(daan.host), edited=edited, edited_url=edited.url_of(xinfu.host),
                     withdrawn_404_url=gone_404.url_of(changbai.host), withdrawn_refresh_url=refresh_url)
