"""The portal registry: portals, their health and discovered columns, and registry files (CSV/JSON/JSONL)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

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
