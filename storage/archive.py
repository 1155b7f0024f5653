"""The one query API over the archive: the CLI, the crawler's pipelines and the tests all use it.

Writes are idempotent and safe under concurrent crawls: reports are keyed by content hash and
sightings by URL, both behind unique constraints, and every insert is an insert-or-ignore/upsert in
one short transaction, so two crawls at once never store a report twice and a crawl killed midway
leaves only whole rows behind.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import json
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from storage.models import Attachment, CrawlRun, Portal, Report, ReportVersion, Sighting, utcnow
from storage.session import default_db_url, get_engine, read_sessions, write_session


class Outcome(StrEnum):
    """What storing one fetched report did to the archive."""

    NEW = "new"  # content never seen before
    CHANGED = "changed"  # a known URL now carries different content
    UNCHANGED = "unchanged"  # a known URL carries the content it had
    DUPLICATE = "duplicate"  # a new URL carrying content already archived elsewhere


class ArchiveError(Exception):
    """A request the archive cannot satisfy, worded for the command line."""


@dataclass(frozen=True, slots=True)
class PortalSpec:
    """One registry entry: a portal and where its annual-report columns are."""

    name: str
    homepage: str | None = None
    column_urls: tuple[str, ...] = ()
    display_name: str | None = None
    region: str | None = None
    region_code: str | None = None
    level: str | None = None
    cms: str | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise ArchiveError("a portal needs a name")
        if not self.homepage and not self.column_urls:
            raise ArchiveError(f"portal {self.name!r} needs a homepage or at least one column URL")


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """A report as the pipeline hands it to the archive."""

    url: str
    content_sha256: str
    body: str
    title: str | None = None
    organ: str | None = None
    report_year: int | None = None
    report_year_source: str = "unknown"
    published: dt.date | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    portal: str | None = None
    http_status: int | None = 200
    run_id: int | None = None
    attachments: tuple[AttachmentRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class AttachmentRecord:
    """A file the report was published as or with; its bytes are in the file store under ``sha256``."""

    url: str
    file_name: str
    format: str
    size: int
    sha256: str
    status: str
    extractor: str
    mime: str | None = None
    pages: int | None = None
    ocr: bool = False
    detail: str = ""
    content_sha256: str | None = None  # of the extracted text; equal to the report's when the texts match


@dataclass(frozen=True, slots=True)
class AttachmentView:
    id: int
    report_id: int
    url: str
    file_name: str
    mime: str | None
    format: str
    size: int
    sha256: str
    pages: int | None
    extractor: str
    status: str
    ocr: bool
    detail: str
    content_sha256: str | None
    first_seen: dt.datetime


@dataclass(frozen=True, slots=True)
class SightingView:
    url: str
    portal: str | None
    http_status: int | None
    first_seen: dt.datetime
    last_seen: dt.datetime
    withdrawn_at: dt.datetime | None = None
    withdrawn_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReportView:
    id: int
    title: str | None
    organ: str | None
    report_year: int | None
    report_year_source: str
    published: dt.date | None
    content_sha256: str
    body: str
    meta: dict[str, Any]
    first_seen: dt.datetime
    sightings: tuple[SightingView, ...]


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: int
    title: str | None
    organ: str | None
    report_year: int | None
    published: dt.date | None
    url: str | None
    snippet: str


@dataclass(frozen=True, slots=True)
class RunView:
    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    finish_reason: str | None
    portals: tuple[str, ...]
    stats: dict[str, Any]
    errors: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class VersionView:
    """One distinct text a report's URL(s) carried, numbered from 1 (oldest) in the order seen."""

    number: int
    report_id: int
    content_sha256: str
    seen_at: dt.datetime
    url: str | None
    title: str | None
    chars: int


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """A new, changed or withdrawn report, as announced in the feed and the webhook."""

    kind: str  # "new" | "changed" | "withdrawn"
    at: dt.datetime
    report_id: int
    title: str | None
    url: str | None
    portal: str | None
    detail: str = ""


HIGHLIGHT = ("«", "»")
_SNIPPET_CHARS = 60


def _insert(engine: Engine) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


def _portal_spec(row: Portal) -> PortalSpec:
    return PortalSpec(name=row.name, homepage=row.homepage, column_urls=tuple(row.column_urls or ()),
                      display_name=row.display_name, region=row.region, region_code=row.region_code,
                      level=row.level, cms=row.cms)


MAX_EVIDENCE = 20  # evidence entries kept per portal


@dataclass(frozen=True, slots=True)
class PortalHealth:
    """How a portal answered the last crawl (see ``Archive.set_portal_status``)."""

    name: str
    status: str | None
    evidence: tuple[dict[str, Any], ...]
    since: dt.datetime | None
    verified: bool
    discovered_columns: tuple[dict[str, Any], ...]
    challenged_runs: int

    @property
    def discovered_urls(self) -> tuple[str, ...]:
        return tuple(c["url"] for c in self.discovered_columns if c.get("url"))


def _portal_health(row: Portal) -> PortalHealth:
    return PortalHealth(name=row.name, status=row.status, evidence=tuple(row.status_evidence or ()),
                        since=row.status_since, verified=bool(row.verified),
                        discovered_columns=tuple(row.discovered_columns or ()),
                        challenged_runs=row.challenged_runs or 0)


def _python_snippet(body: str, terms: Sequence[str]) -> str:
    """A window of the body around the first match, with every term highlighted."""
    pos = min((i for i in (body.find(t) for t in terms) if i >= 0), default=0)
    start = max(0, pos - _SNIPPET_CHARS // 2)
    window = body[start : start + _SNIPPET_CHARS + max(map(len, terms), default=0)].replace("\n", " ")
    for term in terms:
        window = window.replace(term, f"{HIGHLIGHT[0]}{term}{HIGHLIGHT[1]}")
    return ("…" if start else "") + window + ("…" if start + len(window) < len(body) else "")


def query_module() -> Any:
    """``storage.query``, imported late: it builds on this module's records (SearchHit, ArchiveError)."""
    from storage import query

    return query


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Archive:
    """Registry, reports and crawl runs behind any SQLAlchemy URL."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_db_url()
        self.engine = get_engine(self.url)
        self._read = read_sessions(self.engine)

    # -- registry ---------------------------------------------------------------------------------

    def add_portal(self, spec: PortalSpec, *, replace: bool = False) -> bool:
        """Add a portal; with ``replace`` update an existing one. Returns True when it was new."""
        values = {f.name: getattr(spec, f.name) for f in fields(spec)}
        values["column_urls"] = list(spec.column_urls)
        with write_session(self.engine) as s:
            existing = s.scalar(select(Portal).where(Portal.name == spec.name))
            if existing is None:
                s.execute(_insert(self.engine)(Portal).values(**values, created_at=utcnow())
                          .on_conflict_do_nothing(index_elements=["name"]))
                return True
            if not replace:
                raise ArchiveError(f"portal {spec.name!r} already exists (use --replace to update it)")
            for key, value in values.items():
                setattr(existing, key, value)
            return False

    def get_portal(self, name: str) -> PortalSpec | None:
        with self._read() as s:
            row = s.scalar(select(Portal).where(Portal.name == name))
            return _portal_spec(row) if row else None

    def list_portals(self) -> list[PortalSpec]:
        with self._read() as s:
            return [_portal_spec(p) for p in s.scalars(select(Portal).order_by(Portal.name))]

    def remove_portal(self, name: str) -> bool:
        """Remove a registry entry; reports seen on it stay in the archive."""
        with write_session(self.engine) as s:
            row = s.scalar(select(Portal).where(Portal.name == name))
            if row is None:
                return False
            s.execute(update(Sighting).where(Sighting.portal_id == row.id).values(portal_id=None))
            s.delete(row)
            return True

    def import_portals(self, path: str | Path, *, replace: bool = True) -> int:
        """Load portals from CSV (header row), JSON (a list) or JSON Lines; returns how many were read.

        CSV ``column_urls`` may hold several URLs separated by whitespace, ``;`` or ``|``.
        """
        specs = list(read_portal_file(Path(path)))
        for spec in specs:
            self.add_portal(spec, replace=replace)
        return len(specs)

    # -- portal health and discovered columns (issue 4) -------------------------------------------

    def portal_health(self, name: str) -> PortalHealth | None:
        with self._read() as s:
            row = s.scalar(select(Portal).where(Portal.name == name))
            return _portal_health(row) if row else None

    def portal_healths(self) -> dict[str, PortalHealth]:
        with self._read() as s:
            return {p.name: _portal_health(p) for p in s.scalars(select(Portal))}

    def set_portal_status(self, name: str, status: str, evidence: Sequence[dict[str, Any]] = ()) -> None:
        """Record what a crawl saw of a portal; ``status_since`` moves only when the status changes.

        ``challenged_runs`` counts consecutive challenged runs (the spider backs off on it); a run that
        reads the portal resets it and marks the portal verified.
        """
        with write_session(self.engine) as s:
            row = s.scalar(select(Portal).where(Portal.name == name))
            if row is None:
                return
            if row.status != status:
                row.status, row.status_since = status, utcnow()
            row.status_evidence = [_jsonable(e) for e in evidence][:MAX_EVIDENCE]
            row.challenged_runs = (row.challenged_runs or 0) + 1 if status == "challenged" else 0
            if status == "ok":
                row.verified = True

    def record_discovery(self, name: str, columns: Sequence[dict[str, Any]]) -> None:
        """Keep the report columns found from a portal's homepage, so later runs go straight there."""
        with write_session(self.engine) as s:
            row = s.scalar(select(Portal).where(Portal.name == name))
            if row is not None:
                row.discovered_columns = [_jsonable(c) for c in columns]

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Which of ``urls`` already have a sighting (list paging stops at a page of known links)."""
        wanted = list(dict.fromkeys(urls))
        found: set[str] = set()
        with self._read() as s:
            for start in range(0, len(wanted), 500):
                found.update(s.scalars(select(Sighting.url).where(Sighting.url.in_(wanted[start:start + 500]))))
        return found

    # -- reports ----------------------------------------------------------------------------------

    def touch_if_unchanged(self, url: str, content_sha256: str, *, run_id: int | None = None,
                           http_status: int | None = 200) -> bool:
        """Mark a URL as seen again when it still carries this content; False when it does not.

        A read first: only an unchanged page (the usual case on re-crawls) takes the write lock, so a
        page with new content costs no empty write transaction before the store stage writes it.
        """
        same = (select(Sighting.id).join(Report, Sighting.report_id == Report.id)
                .where(Sighting.url == url, Report.content_sha256 == content_sha256))
        with self._read() as s:
            if s.scalar(same) is None:
                return False
        with write_session(self.engine) as s:
            result = s.execute(update(Sighting)
                               .where(Sighting.id.in_(same))
                               .values(last_seen=utcnow(), run_id=run_id, http_status=http_status,
                                       withdrawn_at=None, withdrawn_reason=None))
            return result.rowcount == 1

    def record(self, rec: ReportRecord) -> Outcome:
        """Store one fetched report idempotently and say what that changed."""
        insert = _insert(self.engine)
        now = utcnow()
        with write_session(self.engine) as s:
            created = s.execute(
                insert(Report).values(content_sha256=rec.content_sha256, title=rec.title, organ=rec.organ,
                                      report_year=rec.report_year, report_year_source=rec.report_year_source,
                                      published=rec.published, body=rec.body, meta=rec.meta, first_seen=now)
                .on_conflict_do_nothing(index_elements=["content_sha256"]).returning(Report.id)
            ).scalar()
            report_id = created or s.scalar(select(Report.id).where(Report.content_sha256 == rec.content_sha256))
            previous = s.scalar(select(Sighting.report_id).where(Sighting.url == rec.url))
            portal_id = (s.scalar(select(Portal.id).where(Portal.name == rec.portal))
                         if rec.portal else None)
            s.execute(
                insert(Sighting).values(url=rec.url, report_id=report_id, portal_id=portal_id, run_id=rec.run_id,
                                        http_status=rec.http_status, first_seen=now, last_seen=now)
                .on_conflict_do_update(index_elements=["url"],
                                       set_={"report_id": report_id, "last_seen": now, "run_id": rec.run_id,
                                             "http_status": rec.http_status, "withdrawn_at": None,
                                             "withdrawn_reason": None,
                                             "portal_id": func.coalesce(portal_id, Sighting.portal_id)})
            )
            if previous is not None and previous != report_id:  # an edited page: keep the link between versions
                s.add(ReportVersion(url=rec.url, old_report_id=previous, new_report_id=report_id,
                                    run_id=rec.run_id, seen_at=now))
            self._record_attachments(s, report_id, rec.attachments, now)
        if previous is None:
            return Outcome.NEW if created else Outcome.DUPLICATE
        return Outcome.UNCHANGED if previous == report_id else Outcome.CHANGED

    def _record_attachments(self, s: Any, report_id: int, attachments: Sequence[AttachmentRecord],
                            now: dt.datetime) -> None:
        """Attachment rows in the report's own transaction; a file seen again updates its row."""
        for att in attachments:
            values = {f.name: getattr(att, f.name) for f in fields(att)}
            s.execute(_insert(self.engine)(Attachment).values(**values, report_id=report_id, first_seen=now)
                      .on_conflict_do_update(index_elements=["report_id", "url"],
                                             set_={k: v for k, v in values.items() if k != "url"}))

    def attachments(self, report_id: int | None = None, *, status: str | None = None) -> list[AttachmentView]:
        """Attachment records of one report (or of every report), optionally only those with ``status``."""
        stmt = select(Attachment).order_by(Attachment.id)
        if report_id is not None:
            stmt = stmt.where(Attachment.report_id == report_id)
        if status is not None:
            stmt = stmt.where(Attachment.status == status)
        with self._read() as s:
            return [AttachmentView(**{f.name: getattr(row, f.name) for f in fields(AttachmentView)})
                    for row in s.scalars(stmt)]

    def update_attachment(self, attachment_id: int, result: AttachmentRecord) -> None:
        """Store what a new extraction of an attachment's bytes made of them (``nianbao reextract``)."""
        with write_session(self.engine) as s:
            s.execute(update(Attachment).where(Attachment.id == attachment_id).values(
                status=result.status, extractor=result.extractor, pages=result.pages, ocr=result.ocr,
                detail=result.detail, format=result.format, content_sha256=result.content_sha256))

    def replace_report_text(self, report_id: int, body: str, content_sha256: str, meta: dict[str, Any]) -> bool:
        """Give a report the text newly extracted from its attachments; False when another report has it."""
        with write_session(self.engine) as s:
            taken = s.scalar(select(Report.id).where(Report.content_sha256 == content_sha256,
                                                     Report.id != report_id))
            if taken is not None:
                return False
            s.execute(update(Report).where(Report.id == report_id)
                      .values(body=body, content_sha256=content_sha256, meta=meta))
            return True

    def get_report(self, report_id: int) -> ReportView | None:
        with self._read() as s:
            row = s.scalar(select(Report).where(Report.id == report_id)
                           .options(selectinload(Report.sightings).selectinload(Sighting.portal)))
            if row is None:
                return None
            sightings = tuple(SightingView(url=x.url, portal=x.portal.name if x.portal else None,
                                           http_status=x.http_status, first_seen=x.first_seen,
                                           last_seen=x.last_seen, withdrawn_at=x.withdrawn_at,
                                           withdrawn_reason=x.withdrawn_reason) for x in row.sightings)
            return ReportView(id=row.id, title=row.title, organ=row.organ, report_year=row.report_year,
                              report_year_source=row.report_year_source, published=row.published,
                              content_sha256=row.content_sha256, body=row.body, meta=dict(row.meta or {}),
                              first_seen=row.first_seen, sightings=sightings)

    def count_reports(self) -> int:
        with self._read() as s:
            return s.scalar(select(func.count(Report.id))) or 0

    def count_sightings(self) -> int:
        with self._read() as s:
            return s.scalar(select(func.count(Sighting.id))) or 0

    def iter_reports(self) -> Iterable[ReportView]:
        """Every report, in id order (for checks and exports)."""
        with self._read() as s:
            ids = list(s.scalars(select(Report.id).order_by(Report.id)))
        for report_id in ids:
            view = self.get_report(report_id)
            if view is not None:
                yield view

    def search(self, query: str | None, *, limit: int = 20, offset: int = 0, sort: str = "newest",
               **filters: Any) -> list[SearchHit]:
        """Reports whose title or text contains every whitespace-separated term, newest first.

        Keyword filters (``year``, ``region``, ``organ``, ``portal``, ``published_from``/``_to``, ``level``,
        ``has_attachment``) and sorts are those of ``storage.query``, which does the work (SQLite FTS5
        trigram / PostgreSQL pg_trgm, same answers on both). ``query=None`` lists by filters only.
        """
        return self.query.search(query, query_module().Filters.of(**filters), sort=sort, limit=limit,
                                 offset=offset)

    # -- search, facets and export (storage/query.py) ---------------------------------------------

    @property
    def query(self) -> Any:
        """The ``storage.query.Query`` over this archive: pages with totals, facets, streaming export."""
        return query_module().Query(self.engine)

    def export(self, query: str | None = None, *, sort: str = "id", with_body: bool = True,
               **filters: Any) -> Iterable[dict[str, Any]]:
        """Every matching report with metadata and sightings, streamed (constant memory)."""
        return self.query.export(query, query_module().Filters.of(**filters), sort=sort, with_body=with_body)

    def facets(self, query: str | None = None, **filters: Any) -> dict[str, list[tuple[Any, int]]]:
        """Matching reports counted by report year, region and portal level."""
        return self.query.facets(query, query_module().Filters.of(**filters))

    def search_warnings(self) -> list[str]:
        """Why searches on this database would be slow (e.g. PostgreSQL without a UTF-8 LC_CTYPE)."""
        return query_module().backend_warnings(self.engine)

    # -- history, withdrawals and incremental re-crawls -------------------------------------------

    def last_checked(self, url: str) -> dt.datetime | None:
        """When this URL's content was last fetched and stored or confirmed; None if unknown or withdrawn.

        Re-crawls skip a detail page whose last check is recent (crawler.incremental); a withdrawn URL
        is fetched again when it is listed again, so its return is noticed.
        """
        with self._read() as s:
            row = s.execute(select(Sighting.last_seen, Sighting.withdrawn_at).where(Sighting.url == url)).first()
        return _utc(row.last_seen) if row is not None and row.withdrawn_at is None else None

    def due_for_recheck(self, portal: str, checked_before: dt.datetime) -> list[str]:
        """URLs of a portal's live sightings not checked since ``checked_before``, oldest first."""
        with self._read() as s:
            return list(s.scalars(
                select(Sighting.url).join(Portal, Portal.id == Sighting.portal_id)
                .where(Portal.name == portal, Sighting.withdrawn_at.is_(None), Sighting.last_seen < checked_before)
                .order_by(Sighting.last_seen)))

    def mark_withdrawn(self, url: str, reason: str) -> bool:
        """Mark an archived URL as withdrawn by its portal (the report stays); True when newly marked."""
        with write_session(self.engine) as s:
            result = s.execute(update(Sighting).where(Sighting.url == url, Sighting.withdrawn_at.is_(None))
                               .values(withdrawn_at=utcnow(), withdrawn_reason=reason[:300]))
            return result.rowcount == 1

    def versions(self, report_id: int) -> list[VersionView]:
        """Every distinct text seen at the URL(s) of this report, oldest first (a report never edited has one).

        Follows ``report_version`` links through every URL that ever carried the report, so asking with
        the id of any version gives the same list. A text that comes back after an edit is listed once,
        at its first appearance.
        """
        with self._read() as s:
            if s.get(Report, report_id) is None:
                raise ArchiveError(f"no report with id {report_id}")
            urls = set(s.scalars(select(Sighting.url).where(Sighting.report_id == report_id)))
            urls |= set(s.scalars(select(ReportVersion.url).where(or_(ReportVersion.old_report_id == report_id,
                                                                      ReportVersion.new_report_id == report_id))))
            changes = s.scalars(select(ReportVersion).where(ReportVersion.url.in_(urls))
                                .order_by(ReportVersion.seen_at, ReportVersion.id)).all() if urls else []
            entries: list[tuple[int, dt.datetime | None, str | None]] = []
            for change in changes:
                if not any(url == change.url for _, _, url in entries):
                    entries.append((change.old_report_id, None, change.url))  # seen since its first_seen
                entries.append((change.new_report_id, change.seen_at, change.url))
            if not entries:
                entries = [(report_id, None, min(urls) if urls else None)]
            reports = {r.id: r for r in s.scalars(select(Report).where(Report.id.in_({e[0] for e in entries})))}
        timed = sorted(((rid, _utc(at or reports[rid].first_seen), url) for rid, at, url in entries),
                       key=lambda e: e[1])
        out: list[VersionView] = []
        for rid, at, url in timed:
            if all(v.report_id != rid for v in out):
                r = reports[rid]
                out.append(VersionView(number=len(out) + 1, report_id=rid, content_sha256=r.content_sha256,
                                       seen_at=at, url=url, title=r.title, chars=len(r.body)))
        return out

    def diff(self, report_id: int, v1: int | None = None, v2: int | None = None) -> str:
        """A readable diff between two versions (default: the last two) of the report's text.

        Paragraph by paragraph; a paragraph edited in place is shown once with ``[-removed-]`` and
        ``{+added+}`` inside it, because Chinese paragraphs are long and a whole-line diff hides the edit.
        """
        versions = self.versions(report_id)
        newest = len(versions)
        a_no = v1 if v1 is not None else max(1, newest - 1)
        b_no = v2 if v2 is not None else newest
        for number in (a_no, b_no):
            if not 1 <= number <= newest:
                raise ArchiveError(f"report {report_id} has version(s) 1..{newest}, not {number}")
        if a_no == b_no:
            raise ArchiveError(f"report {report_id} has a single version: nothing to compare" if newest == 1
                               else "name two different versions")
        a, b = versions[a_no - 1], versions[b_no - 1]
        with self._read() as s:
            bodies = dict(s.execute(select(Report.id, Report.body)
                                    .where(Report.id.in_((a.report_id, b.report_id)))).all())
        head = [f"{mark} v{v.number}: report {v.report_id}, sha256 {v.content_sha256[:12]}, "
                f"seen {v.seen_at:%Y-%m-%d %H:%M}" for mark, v in (("---", a), ("+++", b))]
        return "\n".join(head + _paragraph_diff(bodies[a.report_id].splitlines(), bodies[b.report_id].splitlines()))

    def recent_changes(self, limit: int = 100) -> list[ChangeEvent]:
        """The newest new, changed and withdrawn reports, newest first (what the Atom feed shows)."""
        with self._read() as s:
            first_url = (select(Sighting.url).where(Sighting.report_id == Report.id)
                         .order_by(Sighting.id).limit(1).scalar_subquery())
            first_portal = (select(Portal.name).join(Sighting, Sighting.portal_id == Portal.id)
                            .where(Sighting.report_id == Report.id).order_by(Sighting.id).limit(1).scalar_subquery())
            edited = select(ReportVersion.new_report_id)
            events = [ChangeEvent("new", _utc(r.first_seen), r.id, r.title, r.url, r.portal)
                      for r in s.execute(select(Report.id, Report.title, Report.first_seen,
                                                first_url.label("url"), first_portal.label("portal"))
                                         .where(Report.id.not_in(edited))
                                         .order_by(Report.first_seen.desc()).limit(limit))]
            events += [ChangeEvent("changed", _utc(r.seen_at), r.new_report_id, r.title, r.url, r.portal,
                                   f"replaces report {r.old_report_id}")
                       for r in s.execute(select(ReportVersion.new_report_id, ReportVersion.old_report_id,
                                                 ReportVersion.url, ReportVersion.seen_at, Report.title,
                                                 Portal.name.label("portal"))
                                          .join(Report, Report.id == ReportVersion.new_report_id)
                                          .outerjoin(Sighting, Sighting.url == ReportVersion.url)
                                          .outerjoin(Portal, Portal.id == Sighting.portal_id)
                                          .order_by(ReportVersion.seen_at.desc()).limit(limit))]
            events += [ChangeEvent("withdrawn", _utc(r.withdrawn_at), r.report_id, r.title, r.url, r.portal,
                                   r.withdrawn_reason or "")
                       for r in s.execute(select(Sighting.report_id, Sighting.url, Sighting.withdrawn_at,
                                                 Sighting.withdrawn_reason, Report.title, Portal.name.label("portal"))
                                          .join(Report, Report.id == Sighting.report_id)
                                          .outerjoin(Portal, Portal.id == Sighting.portal_id)
                                          .where(Sighting.withdrawn_at.is_not(None))
                                          .order_by(Sighting.withdrawn_at.desc()).limit(limit))]
        return sorted(events, key=lambda e: e.at, reverse=True)[:limit]

    def mark_interrupted(self, pid: int, host: str | None = None) -> list[int]:
        """Record the runs of a crawl process stopped on purpose (scheduler shutdown) as ``interrupted``.

        Covers a run Scrapy closed itself after the signal (reason ``shutdown``) and one whose process
        had to be killed (no reason yet).
        """
        host = host or socket.gethostname()
        with write_session(self.engine) as s:
            runs = list(s.scalars(select(CrawlRun).where(
                CrawlRun.pid == pid, CrawlRun.host == host,
                or_(CrawlRun.finish_reason.is_(None), CrawlRun.finish_reason == "shutdown"))))
            for run in runs:
                run.finish_reason = "interrupted"
                run.finished_at = run.finished_at or utcnow()
            return [run.id for run in runs]

    # -- crawl runs -------------------------------------------------------------------------------

    def start_run(self, portals: Sequence[str]) -> int:
        """Open a run; first mark runs on this host whose process died (SIGKILL, crash) as killed."""
        host = socket.gethostname()
        with write_session(self.engine) as s:
            for run in s.scalars(select(CrawlRun).where(CrawlRun.finished_at.is_(None),
                                                        CrawlRun.finish_reason.is_(None),
                                                        CrawlRun.host == host)):
                if run.pid is not None and not _pid_alive(run.pid):
                    run.finish_reason = "killed"
            run = CrawlRun(portals=list(portals), stats={}, errors=[], pid=os.getpid(), host=host)
            s.add(run)
            s.flush()
            return run.id

    def finish_run(self, run_id: int, reason: str, stats: dict[str, Any],
                   errors: Sequence[dict[str, Any]]) -> None:
        with write_session(self.engine) as s:
            s.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
                finished_at=utcnow(), finish_reason=reason, stats=_jsonable(stats), errors=list(errors)))

    def get_run(self, run_id: int) -> RunView | None:
        with self._read() as s:
            row = s.get(CrawlRun, run_id)
            return _run_view(row) if row else None

    def list_runs(self, limit: int = 20) -> list[RunView]:
        with self._read() as s:
            return [_run_view(r) for r in s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit))]


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything is stored as UTC, so say so."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _paragraph_diff(old: list[str], new: list[str], context: int = 1) -> list[str]:
    """Lines prefixed ``-``/``+``/``~`` (edited in place, with inline marks), with a little context."""
    out: list[str] = []
    for group in difflib.SequenceMatcher(None, old, new, autojunk=False).get_grouped_opcodes(context):
        out.append("@@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [f"  {line}" for line in old[i1:i2]]
            elif tag == "replace" and i2 - i1 == j2 - j1:
                out += [f"~ {_inline_diff(a, b)}" for a, b in zip(old[i1:i2], new[j1:j2], strict=True)]
            else:
                out += [f"- {line}" for line in old[i1:i2]] + [f"+ {line}" for line in new[j1:j2]]
    return out


def _inline_diff(a: str, b: str) -> str:
    parts = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(a[i1:i2])
        else:
            parts.append((f"[-{a[i1:i2]}-]" if i2 > i1 else "") + (f"{{+{b[j1:j2]}+}}" if j2 > j1 else ""))
    return "".join(parts)


def _run_view(row: CrawlRun) -> RunView:
    return RunView(id=row.id, started_at=row.started_at, finished_at=row.finished_at,
                   finish_reason=row.finish_reason, portals=tuple(row.portals or ()),
                   stats=dict(row.stats or {}), errors=tuple(row.errors or ()))


def _jsonable(stats: dict[str, Any]) -> dict[str, Any]:
    """Scrapy stats hold datetimes and the odd object; keep what JSON can carry, as text otherwise."""
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, int | float | str | bool) or value is None:
            out[key] = value
        elif isinstance(value, dt.datetime | dt.date):
            out[key] = value.isoformat()
        else:
            out[key] = json.loads(json.dumps(value, default=str))
    return out


_SPEC_FIELDS = {f.name for f in fields(PortalSpec)}


def _split_urls(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(u for u in str(value or "").replace(";", " ").replace("|", " ").split() if u)


def portal_spec_from_mapping(data: dict[str, Any]) -> PortalSpec:
    unknown = set(data) - _SPEC_FIELDS
    if unknown:
        raise ArchiveError(f"unknown portal field(s): {', '.join(sorted(unknown))}")
    values = {k: (v.strip() if isinstance(v, str) else v) or None for k, v in data.items()}
    values["column_urls"] = _split_urls(data.get("column_urls"))
    return PortalSpec(**values)


def read_portal_file(path: Path) -> Iterable[PortalSpec]:
    """Parse a registry file, naming the file and line of the first bad entry."""
    if not path.is_file():
        raise ArchiveError(f"no such file: {path}")
    raw = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        rows: list[dict[str, Any]] = list(csv.DictReader(raw.splitlines()))
    elif path.suffix.lower() == ".jsonl":
        rows = [json.loads(line) for line in raw.splitlines() if line.strip()]
    else:
        loaded = json.loads(raw)
        rows = loaded if isinstance(loaded, list) else [loaded]
    for number, row in enumerate(rows, start=1):
        try:
            yield portal_spec_from_mapping(row)
        except ArchiveError as exc:
            raise ArchiveError(f"{path}: entry {number}: {exc}") from None


def portal_spec_to_mapping(spec: PortalSpec) -> dict[str, Any]:
    data = asdict(spec)
    data["column_urls"] = list(spec.column_urls)
    return data
