"""The rows of one results page: what a search hit shows, read for the page's ids only."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from storage.archive.marks import superseded_by, withdrawn
from storage.archive.records import SearchHit, _python_snippet
from storage.archive.terms import term_forms
from storage.models import Report, Sighting


def read_hits(conn: Connection, ids: list[int], terms: Sequence[str]) -> list[SearchHit]:
    """The hits for ``ids``, in that order: metadata, first URL, snippet, superseded/withdrawn marks."""
    first_url = (select(Sighting.url).where(Sighting.report_id == Report.id)
                 .order_by(Sighting.id).limit(1).scalar_subquery())
    rows = {row.id: row for row in conn.execute(
        select(Report.id, Report.title, Report.organ, Report.report_year, Report.published,
               first_url.label("url"), Report.body).where(Report.id.in_(ids)))}
    newer, gone = superseded_by(conn, ids), withdrawn(conn, ids)
    forms = [f for t in terms for f in term_forms(t)]
    return [SearchHit(id=r.id, title=r.title, organ=r.organ, report_year=r.report_year, published=r.published,
                      url=r.url, snippet=_python_snippet(r.body, forms), superseded_by=newer.get(r.id),
                      withdrawn=r.id in gone)
            for r in (rows[i] for i in ids)]
