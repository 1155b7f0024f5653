"""Search, filters, facets and streaming export: the one query path behind ``Archive.search``/``export``,
``nianbao search``/``export`` and the web interface.

Chinese has no spaces between words, so a query term matches as a substring, never as a "word":

- SQLite: the FTS5 trigram index (migration 0001) answers when every term has 3+ characters; shorter
  terms cannot be split into trigrams, so they use a plain ``LIKE`` scan.
- PostgreSQL: the exact character-gram index of migration 0014 (storage.archive.pggrams) for terms of 2+
  characters, with ``strpos`` checking longer terms' candidates; a 1-character term is an ``ILIKE '%term%'``
  scan (``LIKE`` for caseless terms), like every term before 0014 (pg_trgm indexes helped for 3+ characters).

Both backends return the same reports in the same order: results are sorted by metadata (publish
date, report year or id, with id as tie-breaker), never by a backend-specific relevance score, so
paging and comparisons are stable.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Engine,
    Integer,
    Select,
    and_,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from storage.archive import pggrams
from storage.archive.base import among
from storage.archive.facets import FACETS, NO_ATTACHMENT_FORMAT, STATISTICS_STATES, Counts, FacetIndex, facet_index
from storage.archive.filters import MAX_LIMIT, MAX_OFFSET, Filters, Page, check_page, parse_terms
from storage.archive.fts import TRIGRAM_CHARS, fts_conditions, matching_ids
from storage.archive.hits import read_hits
from storage.archive.levels import ORGAN_LEVELS, organ_level_condition
from storage.archive.records import ArchiveError, SearchHit
from storage.archive.reportconditions import attachment_condition, statistics_condition
from storage.archive.rows import driver_rows, read_ids, stream_rows
from storage.archive.termcache import Recheck, Terms, term_cache
from storage.archive.terms import case_forms, has_case, term_forms
from storage.archive.textindexes import text_indexes
from storage.models import Portal, Report, ReportStatistics, Sighting

EXPORT_BATCH = 100  # rows held at once when streaming an export (≈ 2 MB of report text); a parquet row group

# name -> ORDER BY; id breaks ties so that every backend pages identically
SORTS: dict[str, tuple[Any, ...]] = {
    "newest": (Report.published.desc().nulls_last(), Report.id.desc()),
    "oldest": (Report.published.asc().nulls_last(), Report.id.asc()),
    "year": (Report.report_year.desc().nulls_last(), Report.id.desc()),
    "id": (Report.id.asc(),),
}
# SQLite sorts NULL lowest, so its DESC already puts undated reports last; without an explicit NULLS LAST
# the planner can walk ix_report_published / ix_report_report_year in order and stop after one page
_SQLITE_SORTS = {**SORTS, "newest": (Report.published.desc(), Report.id.desc()),
                 "year": (Report.report_year.desc(), Report.id.desc())}
_SQLITE_WALK = {"newest": "ix_report_published", "year": "ix_report_report_year"}
# PostgreSQL: sort key of the sorts that look at the newest reports first (see Query._page_ids)
_PG_WINDOW = {"newest": Report.published, "year": Report.report_year}
WINDOW_ROWS = 1000
FEW_IDS = 2000  # a term's reports up to this many: the filters are asked of them, not read for the whole archive


__all__ = ["FACETS", "MAX_LIMIT", "MAX_OFFSET", "SORTS", "STATISTICS_STATES", "Filters", "Page", "Query"]


class Query:
    """Read-only queries over one archive engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._fts, self._bigrams, self._grams, self._chunks, self._long = text_indexes(engine)

    # -- conditions -------------------------------------------------------------------------------

    def _text_condition(self, terms: Sequence[str], *, rows: bool = False) -> ColumnElement[bool]:
        """FTS5 for the terms its indexes hold (SQLite: storage.archive.fts), a substring match for the others
        (PostgreSQL: through its gram index where it can answer). ``rows``: the same test made for a few given
        rows (the term cache's recheck): on SQLite a substring test for terms without cased letters and FTS5 asked
        about each row for the others (``fts_conditions``), on PostgreSQL ``LIKE``, which finds exactly the reports
        its gram index and pieces do (storage.archive.pggrams)."""
        conditions, scanned = fts_conditions(terms, self._bigrams, rows) if self._fts else ([], list(terms))
        conditions += [or_(*(self._substring(f, rows) for f in term_forms(t))) for t in scanned]
        return and_(*conditions)

    def _substring(self, form: str, rows: bool = False) -> ColumnElement[bool]:
        """Title or body holds ``form``; on PostgreSQL through the gram index where it can answer (not ``rows``)."""
        like = or_(*(self._like(col, form) for col in (Report.title, Report.body)))
        return pggrams.form_condition(form, like, self._chunks, self._long) if self._grams and not rows else like

    def _like(self, col: Any, value: str) -> ColumnElement[bool]:
        """Substring match ignoring case, as FTS5 does: PostgreSQL needs ILIKE for that, but only for terms that
        have case at all (ILIKE lower-cases every text it reads; Chinese has no case); SQLite's LIKE folds ASCII
        only, so a term with other cased letters (É, Ω, Ⅱ) matches any of its case forms."""
        if self.engine.dialect.name == "postgresql" and has_case(value):
            return col.icontains(value, autoescape=True)
        if self.engine.dialect.name == "sqlite" and not value.isascii() and has_case(value):
            return or_(*(col.contains(form, autoescape=True) for form in case_forms(value)))
        return col.contains(value, autoescape=True)

    def _order(self, stmt: Select[Any], sort: str) -> Select[Any]:
        if sort not in SORTS:
            raise ArchiveError(f"unknown sort {sort!r} (choose from {', '.join(SORTS)})")
        if self.engine.dialect.name != "sqlite":
            return stmt.order_by(*SORTS[sort])
        stmt = stmt.order_by(*_SQLITE_SORTS[sort])
        if sort in _SQLITE_WALK:
            # Left alone, SQLite fetches every FTS match and sorts them (≈ 200 ms for a common term in 100,000
            # reports); walking the sort index and testing each id against the match set stops after a page.
            stmt = stmt.with_hint(Report, f"INDEXED BY {_SQLITE_WALK[sort]}", "sqlite")
        return stmt

    def conditions(self, terms: Sequence[str], filters: Filters) -> list[ColumnElement[bool]]:
        """WHERE conditions on ``report`` for a query's terms and filters."""
        where: list[ColumnElement[bool]] = [self._text_condition(terms)] if terms else []
        if filters.year is not None:
            where.append(Report.report_year == filters.year)
        if filters.organ:
            where.append(self._like(Report.organ, filters.organ.strip()))
        if filters.organ_is is not None:
            where.append(Report.organ == filters.organ_is)
        if filters.published_from:
            where.append(Report.published >= filters.published_from)
        if filters.published_to:
            where.append(Report.published <= filters.published_to)
        if filters.has_attachment is not None:
            where.append(attachment_condition(self.engine, filters.has_attachment))
        if filters.format is not None:
            fmt = filters.format.strip().lower()
            where.append(attachment_condition(self.engine, False) if fmt == NO_ATTACHMENT_FORMAT
                         else attachment_condition(self.engine, True, fmt))
        if filters.inconsistent is not None:
            where.append(statistics_condition("inconsistent" if filters.inconsistent else "consistent"))
        if filters.statistics is not None:
            where.append(statistics_condition(filters.statistics))
        if filters.received_over is not None:
            where.append(exists().where(ReportStatistics.report_id == Report.id,
                                        ReportStatistics.received > filters.received_over))
        # aliases: the facet queries join sighting and portal themselves, which must not correlate in here
        seen, portal = aliased(Sighting), aliased(Portal)
        on_portal = self._portal_conditions(filters, portal)
        if on_portal:
            found = exists().where(seen.report_id == Report.id, portal.id == seen.portal_id, *on_portal)
            level = (filters.level or "").strip()
            if level in ORGAN_LEVELS:  # also a street office's report on a county portal, by its organ's name
                rest = self._portal_conditions(replace(filters, level=None), portal)
                found = or_(found, and_(organ_level_condition(level), *([exists().where(
                    seen.report_id == Report.id, portal.id == seen.portal_id, *rest)] if rest else [])))
            where.append(found)
        return where

    def _portal_conditions(self, filters: Filters, portal: Any) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if filters.portal:
            out.append(portal.name == filters.portal.strip())
        if filters.level:
            out.append(portal.level == filters.level.strip())
        if filters.region_is is not None:
            out.append(portal.region == filters.region_is)
        if filters.region:
            region = filters.region.strip()
            out.append(portal.region_code.startswith(region, autoescape=True) if re.fullmatch(r"\d+", region)
                       else self._like(portal.region, region))
        return out

    # -- search -----------------------------------------------------------------------------------

    def search(self, query: str | None, filters: Filters = Filters(), *, sort: str = "newest", limit: int = 20,
               offset: int = 0) -> list[SearchHit]:
        """Matching reports, one page, each with a highlighted snippet.

        Two steps: ids of the page first (a sort that carries no bodies), then the page's rows.
        """
        terms = parse_terms(query)
        check_page(limit, offset)
        ids_stmt = self._order(select(Report.id).where(*self.conditions(terms, filters)), sort)
        with self.engine.connect() as conn:
            return read_hits(conn, self._page_ids(conn, ids_stmt, bool(terms), sort, limit, offset), terms)

    def _page_ids(self, conn: Connection, stmt: Select[Any], has_terms: bool, sort: str, limit: int,
                  offset: int) -> list[int]:
        """The ids of one page; on PostgreSQL, first among the newest reports only.

        PostgreSQL cannot stop early on a common term: it reads (and de-TOASTs) every matching body, then
        sorts. Most terms people search for are common, so first look only at the reports whose sort key
        is within the top WINDOW_ROWS (an index range): when that fills the page, the page is exact,
        because every report outside the window sorts after every report inside it. Otherwise the term
        is rare and the trigram index answers it quickly; the planner underrates reading TOASTed bodies
        and would scan the table, hence ``enable_seqscan = off`` for this transaction.
        """
        key = _PG_WINDOW.get(sort)
        if self._grams and has_terms:  # the window's plan is the planner's: 2x faster than bitmaps only
            pggrams.no_jit(conn)
        if self.engine.dialect.name == "postgresql" and has_terms and key is not None:
            if offset + limit <= WINDOW_ROWS:
                cutoff = conn.scalar(select(key).where(key.is_not(None)).order_by(key.desc())
                                     .offset(WINDOW_ROWS - 1).limit(1))
                if cutoff is not None:
                    ids = list(conn.scalars(stmt.where(key >= cutoff).limit(limit).offset(offset)))
                    if len(ids) == limit:
                        return ids
            self._prefer_indexes(conn, None)
        return list(conn.scalars(stmt.limit(limit).offset(offset)))

    def page(self, query: str | None, filters: Filters = Filters(), *, sort: str = "newest", limit: int = 20,
             offset: int = 0, facets: bool = False, top: int = 20) -> Page:
        """One page of hits with the true total and, with ``facets``, every facet's counts: every matching id is
        read once (``matching_list``); their number is the total, the facet index counts their facet values and
        picks the page in the sort's order (storage.archive.facets). The whole archive (no query, no filter) has
        its counts and each sort's order kept (its page is a slice). Without ``facets`` only the count is asked for."""
        terms = parse_terms(query)
        check_page(limit, offset)
        if sort not in SORTS:
            raise ArchiveError(f"unknown sort {sort!r} (choose from {', '.join(SORTS)})")
        where = self.conditions(terms, filters)
        if not facets:
            return Page(hits=self.search(query, filters, sort=sort, limit=limit, offset=offset),
                        total=self.count(query, filters), limit=limit, offset=offset)
        index = facet_index(self.engine)
        with self.engine.connect() as conn:
            if not where:
                total, counts, ids = index.browse(conn, top, sort, limit, offset)
                return Page(hits=read_hits(conn, ids, terms), total=total, limit=limit, offset=offset, facets=counts)
            if not (self._bigrams or self._trigram_terms(terms)):  # a scan: a walk stops early, a count cannot
                ids = self._page_ids(conn, self._order(select(Report.id).where(*where), sort), True, sort, limit,
                                     offset)
                hits = read_hits(conn, ids, terms)
                conn.rollback()
                total, counts = self._counted(conn, where, terms, filters, index, top)
                return Page(hits=hits, total=total, limit=limit, offset=offset, facets=counts)
            matching = self.matching_list(conn, terms, filters, where)
            conn.rollback()  # end the transaction (and its SET LOCAL) before the index reads the archive
            total, counts, ids = index.page(conn, matching, top, sort, limit, offset)
            return Page(hits=read_hits(conn, ids, terms), total=total, limit=limit, offset=offset, facets=counts)

    def _direct(self, terms: Sequence[str]) -> Select[Any] | CompoundSelect | None:
        """The ids holding every term, from the text indexes alone (FTS5; grams and pieces); None: a scan."""
        return (matching_ids(terms, self._bigrams) if self._fts
                else pggrams.matching_ids(terms, self._long) if self._chunks else None)

    def matching_ids(self, conn: Connection, terms: Sequence[str], filters: Filters,
                     where: list[ColumnElement[bool]]) -> Select[Any] | CompoundSelect:
        """Every matching id, in no order (``FacetIndex.page`` picks the page: no sort key is read). Without filters
        from the text indexes alone (``_direct``); otherwise PostgreSQL from its gram index's bitmaps."""
        direct = None if filters else self._direct(terms)
        self._prefer_indexes(conn, terms)
        return select(Report.id).where(*where) if direct is None else direct

    def matching_list(self, conn: Connection, terms: Sequence[str], filters: Filters,
                      where: list[ColumnElement[bool]]) -> list[int]:
        """``matching_ids``' ids, read. Where the text indexes answer every term, the terms' ids (kept by the term
        cache: storage.archive.termcache) and the filters' are read apart and intersected: one query tested the
        filters on each report holding the term (公开 with a region alone: 157–527 ms p95 at 100,000 reports). But on
        PostgreSQL a filter on the report itself (a year) narrows the texts to check: unless the terms are kept, the
        terms are checked in the pieces of the filters' reports when these are few (a common phrase with a year and
        a region: a page 101–102 ms through the gram index, which names every report, 44–47 this way), else one query
        (6-character terms with a year and a region: 79 ms p95, read apart 244; docs/search.md)."""
        direct = self._direct(terms) if terms else None
        on_portals = not replace(filters, region=None, portal=None, level=None, region_is=None)
        by_terms = None if direct is None else self._term_ids(conn, terms, direct,
                                                              look=on_portals or not self._grams)
        if terms and by_terms is None and direct is not None and self._chunks:  # the filters' reports first, if few
            few = read_ids(conn, select(Report.id).where(*self.conditions([], filters)).limit(FEW_IDS + 1))
            if len(few) <= FEW_IDS:
                return read_ids(conn, select(Report.id).where(among("postgresql", Report.id, few, Integer),
                                                              pggrams.pieces_hold(terms))) if few else []
        if (terms and by_terms is None) or not (terms or filters):  # a scan, or a filter narrowing: one query
            return read_ids(conn, self.matching_ids(conn, terms, filters, where))
        if not filters:
            return by_terms or []
        conn.rollback()  # the filters' plans are the planner's own (no SET LOCAL of the text indexes)
        if by_terms is not None and len(by_terms) <= FEW_IDS:  # a rare term: the filters asked of its reports alone
            return read_ids(conn, select(Report.id).where(among(conn.dialect.name, Report.id, by_terms, Integer),
                                                          *self.conditions([], filters)))
        wanted = (self._seen_ids(conn, filters) if on_portals
                  else set(read_ids(conn, select(Report.id).where(*self.conditions([], filters)))))
        return list(wanted) if by_terms is None else [i for i in by_terms if i in wanted]

    def _term_ids(self, conn: Connection, terms: Sequence[str], direct: Select[Any] | CompoundSelect,
                  look: bool) -> list[int] | None:
        """The ids holding every term: kept by the term cache, or (``look``) read by ``direct``; else None."""
        return term_cache(self.engine).ids(conn, terms, self._recheck(conn),
                                           (lambda: self._lookup(conn, terms, direct)) if look else None)

    def _lookup(self, conn: Connection, terms: Sequence[str], direct: Select[Any] | CompoundSelect) -> list[int]:
        """``direct``'s ids (PostgreSQL: from the titles first where most hold the term), read in a transaction of
        their own (it ends here, with its SET LOCAL)."""
        found = pggrams.title_first_ids(conn, terms, self._long) if self._chunks else None
        if found is None:
            self._prefer_indexes(conn, terms)
            found = read_ids(conn, direct)
        conn.rollback()
        return found

    def _recheck(self, conn: Connection) -> Recheck:
        """The term cache's test of a few reports for each of its terms, the text indexes' conditions per row."""
        def recheck(kept: Sequence[Terms], ids: list[int]) -> dict[Terms, set[int]]:
            held = driver_rows(conn, select(Report.id, *(self._text_condition(t, rows=True) for t in kept))
                               .where(among(conn.dialect.name, Report.id, ids, Integer)))
            return {one: {row[0] for row in held if row[n]} for n, one in enumerate(kept, 1)}
        return recheck

    def refresh_kept(self) -> Counter[str]:
        """Bring the term cache's stored lookups up to the archive's present (after a crawl: ``RunRecorder``)."""
        def lookup(terms: Terms) -> list[int] | None:
            direct = self._direct(terms)
            return None if direct is None else self._lookup(conn, terms, direct)
        with self.engine.connect() as conn:
            return term_cache(self.engine).refresh(conn, self._recheck(conn), lookup)

    def _seen_ids(self, conn: Connection, filters: Filters) -> AbstractSet[int]:
        """The reports ``conditions`` keeps for the portal filters (region, portal, level), without a text; kept by
        the facet index until the archive changes (sighting ⋈ portal: 13–23 ms a page at 100,000 reports)."""
        def seen_on(f: Filters) -> frozenset[int]:
            stmt = select(Sighting.report_id).join(Portal, Sighting.portal).where(*self._portal_conditions(f, Portal))
            return index.kept(conn, ("seen", f.region, f.portal, f.region_is, f.level), lambda: read_ids(conn, stmt))

        index, level, rest = facet_index(self.engine), (filters.level or "").strip(), replace(filters, level=None)
        if level and not self._portal_conditions(rest, Portal):  # a level alone: each report's levels are in the
            return index.at_level(conn, level, seen=True)  # facet index (its portals', its organ's)
        ids = seen_on(filters)
        if level in ORGAN_LEVELS:  # also a street office's report on a county portal, by its organ's name
            ids |= index.at_level(conn, level, seen=False) & seen_on(rest)
        return ids

    def count(self, query: str | None, filters: Filters = Filters()) -> int:
        terms = parse_terms(query)
        with self.engine.connect() as conn:
            where = self.conditions(terms, filters)
            if not where:
                return conn.scalar(select(func.count()).select_from(Report)) or 0
            return len(self.matching_list(conn, terms, filters, where))

    def _trigram_terms(self, terms: Sequence[str]) -> bool:
        """Every term (in every form) long enough for the trigram indexes (FTS5) or PostgreSQL's grams to answer."""
        least = pggrams.MIN_CHARS if self._grams else TRIGRAM_CHARS
        return all(len(form) >= least for term in terms for form in term_forms(term))

    def _prefer_indexes(self, conn: Connection, terms: Sequence[str] | None) -> None:
        """PostgreSQL: the planner underrates reading TOASTed bodies and scans every one for a term the trigram
        index answers (0.7–3 s for a rare term at 20,000 reports); as in ``_page_ids``, forbid the scan (``None``:
        the caller knows the index answers). Not for a term shorter than a trigram, which the index cannot answer
        (forcing it there costs ×20). With the gram index, only bitmap scans (``pggrams.forbid_row_plans``)."""
        if self.engine.dialect.name != "postgresql" or (terms is not None and not (terms and
                                                                                    self._trigram_terms(terms))):
            return
        if self._grams:
            pggrams.forbid_row_plans(conn)
        else:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")

    def facets(self, query: str | None, filters: Filters = Filters(), *, top: int = 20) -> Counts:
        """Counts of matching reports by each of FACETS, largest first (at most ``top`` values each).

        A report seen on portals of two regions counts once in each; likewise a street office's report on a county
        portal counts under county and street, and a report with a PDF and a DOCX under both formats.
        """
        return self._total_and_facets(parse_terms(query), filters, top)[1]

    def _total_and_facets(self, terms: Sequence[str], filters: Filters, top: int) -> tuple[int, Counts]:
        index = facet_index(self.engine)
        with self.engine.connect() as conn:
            return self._counted(conn, self.conditions(terms, filters), terms, filters, index, top)

    def _counted(self, conn: Connection, where: list[ColumnElement[bool]], terms: Sequence[str], filters: Filters,
                 index: FacetIndex, top: int) -> tuple[int, Counts]:
        """The total and facet counts of ``where``'s reports, from one query for their ids."""
        if not where:  # the whole archive: counted once per change of the archive
            return index.counts(conn, None, top)
        ids = self.matching_list(conn, terms, filters, where)
        conn.rollback()  # end the transaction (and its SET LOCAL) before the index reads the archive
        return index.counts(conn, ids, top)

    # -- export -----------------------------------------------------------------------------------

    def export(self, query: str | None = None, filters: Filters = Filters(), *, sort: str = "id",
               with_body: bool = True, batch: int = EXPORT_BATCH) -> Iterator[dict[str, Any]]:
        """Every matching report with its metadata and sightings, streamed in constant memory.

        Rows come from one streaming cursor (a server-side cursor on PostgreSQL) ``batch`` at a time;
        each batch's sightings are read in one more query. Bad arguments raise here, before any row.
        """
        terms = parse_terms(query)
        cols = [Report.id, Report.title, Report.organ, Report.report_year, Report.report_year_source,
                Report.published, Report.first_seen, Report.content_sha256, Report.meta]
        stmt = self._order(select(*cols, *([Report.body] if with_body else [])).where(*self.conditions(terms, filters)),
                           sort)
        return stream_rows(self.engine, stmt, [c.key for c in cols], with_body, batch)
