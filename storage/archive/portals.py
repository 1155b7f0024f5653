"""The portal registry: portals, their health and discovered columns, and registry files (CSV/JSON/JSONL)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update

from storage.archive.base import ArchiveBase, _insert
from storage.archive.records import MAX_EVIDENCE, ArchiveError, PortalHealth, PortalSpec, _jsonable
from storage.models import Portal, Sighting, utcnow
from storage.session import write_session


def _portal_spec(row: Portal) -> PortalSpec:
    return PortalSpec(name=row.name, homepage=row.homepage, column_urls=tuple(row.column_urls or ()),
                      display_name=row.display_name, region=row.region, region_code=row.region_code,
                      level=row.level, cms=row.cms)


def _portal_health(row: Portal) -> PortalHealth:
    return PortalHealth(name=row.name, status=row.status, evidence=tuple(row.status_evidence or ()),
                        since=row.status_since, verified=bool(row.verified),
                        discovered_columns=tuple(row.discovered_columns or ()),
                        challenged_runs=row.challenged_runs or 0)


class Portals(ArchiveBase):
    # -- registry ---------------------------------------------------------------------------------

    def add_portal(self, spec: PortalSpec, *, replace: bool = False) -> bool:
        """Add a portal; with ``replace`` update an existing one. Returns True when it was new."""
        problems = portal_problems(spec)
        if problems:
            raise ArchiveError(f"portal {spec.name!r}: {'; '.join(problems)}")
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
        self._portal_ids.pop(name, None)
        return True

    def import_portals(self, path: str | Path) -> int:
        """Load portals from a UTF-8 registry file (see :func:`parse_portal_file`); returns how many were read.

        Raises ArchiveError naming every bad entry, and then imports nothing."""
        specs = read_portal_file(Path(path))
        self.import_specs(specs)
        return len(specs)

    def import_specs(self, specs: Sequence[PortalSpec]) -> tuple[int, int]:
        """Add or update portals in one transaction; returns (added, updated).

        An existing portal takes the fields the entry gives; a field the entry leaves blank keeps its
        stored value, so re-importing a file of homepages never wipes column URLs configured since
        (``portals add --replace`` sets a portal exactly)."""
        added = updated = 0
        with write_session(self.engine) as s:
            for spec in specs:
                values = {f.name: getattr(spec, f.name) for f in fields(spec)}
                values["column_urls"] = list(spec.column_urls)
                row = s.scalar(select(Portal).where(Portal.name == spec.name))
                if row is None:
                    s.add(Portal(**values, created_at=utcnow()))
                    added += 1
                    continue
                for key, value in values.items():
                    if value:
                        setattr(row, key, value)
                updated += 1
        return added, updated

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


_SPEC_FIELDS = {f.name for f in fields(PortalSpec)}
LEVELS = ("province", "prefecture", "county", "district", "township", "street", "department", "central")


def _split_urls(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(u for u in str(value or "").replace(";", " ").replace("|", " ").split() if u)


def portal_spec_from_mapping(data: dict[str, Any]) -> PortalSpec:
    """A valid registry entry from a mapping (a file's row), or ArchiveError saying what is wrong with it."""
    if not isinstance(data, dict):
        raise ArchiveError(f"expected an object with portal fields, not {type(data).__name__}")
    if None in data:
        raise ArchiveError("more cells than the header has columns")
    unknown = set(data) - _SPEC_FIELDS
    if unknown:
        raise ArchiveError(f"unknown portal field(s): {', '.join(sorted(unknown))}")
    values = {k: (v.strip() if isinstance(v, str) else v) or None for k, v in data.items()}
    values["column_urls"] = _split_urls(data.get("column_urls"))
    spec = PortalSpec(**values)
    problems = portal_problems(spec)
    if problems:
        raise ArchiveError("; ".join(problems))
    return spec


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url)
    except ValueError:  # e.g. an unclosed [IPv6 bracket
        return False


def portal_problems(spec: PortalSpec) -> list[str]:
    """What makes an entry unusable: a level not in :data:`LEVELS`, a URL that is not http(s)://host/…, a value
    longer than its column (which PostgreSQL would refuse and SQLite store)."""
    problems = []
    if spec.level is not None and spec.level not in LEVELS:
        problems.append(f"level {spec.level!r} is not one of {', '.join(LEVELS)}")
    for url in (spec.homepage, *spec.column_urls):
        if url and not _is_http_url(url):
            problems.append(f"{url!r} is not an http(s) URL")
    for f in fields(spec):
        value = getattr(spec, f.name)
        limit = getattr(Portal.__table__.columns[f.name].type, "length", None)
        if isinstance(value, str) and limit and len(value) > limit:
            problems.append(f"{f.name} longer than {limit} characters")
    return problems


def _rows(text: str, kind: str) -> Iterable[tuple[str, Any]]:
    """(where, row) of a registry file's entries: CSV lines, JSON Lines lines or JSON list entries."""
    if kind == "csv":
        reader = csv.DictReader(io.StringIO(text))
        for row in reader:
            yield f"line {reader.line_num}", row
        return
    if kind == "jsonl":
        lines = [(f"line {n}", line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    else:
        lines = [("file", text)]
    for where, line in lines:
        try:
            loaded = json.loads(line)
        except json.JSONDecodeError as exc:
            yield where, ArchiveError(f"not JSON: {exc}")
            continue
        if kind == "jsonl" or not isinstance(loaded, list):
            yield where, loaded
        else:
            yield from ((f"entry {n}", entry) for n, entry in enumerate(loaded, start=1))


def parse_portal_file(name: str, text: str) -> tuple[list[PortalSpec], list[str]]:
    """Every entry of a registry file's text checked: the valid portals and one problem line per bad entry.

    ``name`` decides the format (``.csv`` with a header row, ``.jsonl``, else JSON) and starts each problem
    line. CSV ``column_urls`` may hold several URLs separated by whitespace, ``;`` or ``|``. A name given
    twice in one file is a problem: one entry would silently overwrite the other.
    """
    kind = Path(name).suffix.lower().lstrip(".")
    specs: list[PortalSpec] = []
    problems: list[str] = []
    first_seen: dict[str, str] = {}
    try:
        entries = list(_rows(text, kind))
    except csv.Error as exc:
        return [], [f"{name}: not a readable CSV file: {exc}"]
    for where, row in entries:
        try:
            if isinstance(row, ArchiveError):
                raise row
            spec = portal_spec_from_mapping(row)
        except ArchiveError as exc:
            problems.append(f"{name}: {where}: {exc}")
            continue
        if spec.name in first_seen:
            problems.append(f"{name}: {where}: portal {spec.name!r} is already defined at {first_seen[spec.name]}")
            continue
        first_seen[spec.name] = where
        specs.append(spec)
    return specs, problems


def read_portal_file(path: Path) -> list[PortalSpec]:
    """The portals of a UTF-8 registry file, or ArchiveError with one line per bad entry."""
    if not path.is_file():
        raise ArchiveError(f"no such file: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ArchiveError(f"{path} is not UTF-8 (`nianbao portals import` reads GBK too)") from None
    specs, problems = parse_portal_file(str(path), text)
    if problems:
        raise ArchiveError("\n".join(problems))
    return specs


def portal_spec_to_mapping(spec: PortalSpec) -> dict[str, Any]:
    data = asdict(spec)
    data["column_urls"] = list(spec.column_urls)
    return data
