"""The one query API over the archive: the CLI, the crawler's pipelines and the tests all use it.

Writes are idempotent and safe under concurrent crawls: reports are keyed by content hash and
sightings by URL, both behind unique constraints, and every insert is an insert-or-ignore/upsert in
one short transaction, so two crawls at once never store a report twice and a crawl killed midway
leaves only whole rows behind.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, column, func, inspect, literal_column, select, table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from storage.models import CrawlRun, Portal, Report, Sighting, utcnow
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


@dataclass(frozen=True, slots=True)
class SightingView:
    url: str
    portal: str | None
    http_status: int | None
    first_seen: dt.datetime
    last_seen: dt.datetime


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


HIGHLIGHT = ("«", "»")
_SNIPPET_CHARS = 60
_FTS_MIN_CHARS = 3  # the trigram tokenizer cannot match shorter terms


def _insert(engine: Engine) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


def _portal_spec(row: Portal) -> PortalSpec:
    return PortalSpec(name=row.name, homepage=row.homepage, column_urls=tuple(row.column_urls or ()),
                      display_name=row.display_name, region=row.region, region_code=row.region_code,
                      level=row.level, cms=row.cms)


def _python_snippet(body: str, terms: Sequence[str]) -> str:
    """A window of the body around the first match, with every term highlighted."""
    pos = min((i for i in (body.find(t) for t in terms) if i >= 0), default=0)
    start = max(0, pos - _SNIPPET_CHARS // 2)
    window = body[start : start + _SNIPPET_CHARS + max(map(len, terms), default=0)].replace("\n", " ")
    for term in terms:
        window = window.replace(term, f"{HIGHLIGHT[0]}{term}{HIGHLIGHT[1]}")
    return ("…" if start else "") + window + ("…" if start + len(window) < len(body) else "")


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

    # -- reports ----------------------------------------------------------------------------------

    def touch_if_unchanged(self, url: str, content_sha256: str, *, run_id: int | None = None,
                           http_status: int | None = 200) -> bool:
        """Mark a URL as seen again when it still carries this content; False when it does not."""
        with write_session(self.engine) as s:
            report_id = s.scalar(select(Report.id).where(Report.content_sha256 == content_sha256))
            if report_id is None:
                return False
            result = s.execute(update(Sighting)
                               .where(Sighting.url == url, Sighting.report_id == report_id)
                               .values(last_seen=utcnow(), run_id=run_id, http_status=http_status))
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
                                             "http_status": rec.http_status,
                                             "portal_id": func.coalesce(portal_id, Sighting.portal_id)})
            )
        if previous is None:
            return Outcome.NEW if created else Outcome.DUPLICATE
        return Outcome.UNCHANGED if previous == report_id else Outcome.CHANGED

    def get_report(self, report_id: int) -> ReportView | None:
        with self._read() as s:
            row = s.scalar(select(Report).where(Report.id == report_id)
                           .options(selectinload(Report.sightings).selectinload(Sighting.portal)))
            if row is None:
                return None
            sightings = tuple(SightingView(url=x.url, portal=x.portal.name if x.portal else None,
                                           http_status=x.http_status, first_seen=x.first_seen,
                                           last_seen=x.last_seen) for x in row.sightings)
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

    def _has_fts(self) -> bool:
        return self.engine.dialect.name == "sqlite" and inspect(self.engine).has_table("report_fts")

    def search(self, query: str, *, limit: int = 20, offset: int = 0) -> list[SearchHit]:
        """Substring search over title and body; every whitespace-separated term must match.

        Chinese has no spaces between words, so matching is by substring, not by word: SQLite uses
        its FTS5 trigram index when every term has 3+ characters and a scan otherwise (the trigram
        tokenizer cannot match shorter terms); other databases scan with LIKE.
        """
        terms = [t for t in query.split() if t]
        if not terms:
            raise ArchiveError("empty search query")
        first_url = (select(Sighting.url).where(Sighting.report_id == Report.id)
                     .order_by(Sighting.id).limit(1).scalar_subquery())
        columns = (Report.id, Report.title, Report.organ, Report.report_year, Report.published, first_url)
        with self._read() as s:
            if self._has_fts() and all(len(t) >= _FTS_MIN_CHARS for t in terms):
                match = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
                fts = table("report_fts", column("rowid"))
                fts_name = literal_column("report_fts")
                snippet = func.snippet(fts_name, 1, HIGHLIGHT[0], HIGHLIGHT[1], "…", 24)
                stmt = (select(*columns, snippet)
                        .select_from(Report.__table__.join(fts, fts.c.rowid == Report.id))
                        .where(fts_name.op("MATCH")(match)).order_by(literal_column("rank"))
                        .limit(limit).offset(offset))
                rows = s.execute(stmt).all()
                return [SearchHit(*row[:6], snippet=row[6] or "") for row in rows]
            stmt = select(*columns, Report.body)
            for term in terms:
                stmt = stmt.where(Report.title.contains(term, autoescape=True)
                                  | Report.body.contains(term, autoescape=True))
            stmt = stmt.order_by(Report.published.desc(), Report.id).limit(limit).offset(offset)
            return [SearchHit(*row[:6], snippet=_python_snippet(row[6], terms)) for row in s.execute(stmt)]

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
