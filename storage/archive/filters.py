"""What a query asks for besides its text (``Filters``), what a results page holds (``Page``), and the checks
on both that every entry point shares (``storage.archive.query`` uses them; the CLI and web build Filters)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from storage.archive.facets import STATISTICS_STATES, Counts
from storage.archive.records import ArchiveError, SearchHit

MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1  # beyond any archive; larger numbers overflow the databases' integers


@dataclass(frozen=True, slots=True)
class Filters:
    """Conditions on report metadata and on the portals a report was seen on.

    ``region`` is a region code prefix when it is all digits (``2104`` = 抚顺市), else part of the
    region name; ``region``, ``level`` and ``portal`` must hold for one and the same portal.
    """

    year: int | None = None
    region: str | None = None
    organ: str | None = None
    portal: str | None = None
    published_from: dt.date | None = None
    published_to: dt.date | None = None
    level: str | None = None
    has_attachment: bool | None = None
    inconsistent: bool | None = None  # statistics tables failing (True) or passing (False) the form's identities
    received_over: int | None = None  # statistics: more than this many requests received (一、本年新收 总计)
    format: str | None = None  # published as: an attachment format (pdf, docx, …) or "html" for none
    statistics: str | None = None  # one of STATISTICS_STATES: consistent / inconsistent / unread
    # exactly this region name / organ name (what a facet value links to; ``region``/``organ`` match parts)
    region_is: str | None = None
    organ_is: str | None = None

    def __post_init__(self) -> None:
        for name in ("region", "organ", "portal", "level", "format", "region_is", "organ_is"):
            value = getattr(self, name)
            if value is not None and not value.strip():
                raise ArchiveError(f"empty --{name.replace('_', '-')} filter")
        if self.statistics is not None and self.statistics not in STATISTICS_STATES:
            raise ArchiveError(f"--statistics {self.statistics!r} is not one of {', '.join(STATISTICS_STATES)}")
        if self.year is not None and not 1 <= self.year <= 9999:
            raise ArchiveError(f"--year {self.year} is not a year (1…9999)")
        if self.published_from and self.published_to and self.published_from > self.published_to:
            raise ArchiveError(f"--published-from {self.published_from} is after --published-to {self.published_to}")

    @classmethod
    def of(cls, **values: Any) -> Filters:
        """Filters from keyword arguments, ignoring ``None`` values and naming unknown ones."""
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ArchiveError(f"unknown filter(s): {', '.join(sorted(unknown))}")
        return cls(**{k: v for k, v in values.items() if v is not None})

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))


@dataclass(frozen=True, slots=True)
class Page:
    """One page of hits, with the total number of matches (for paging) and, when asked for, facet counts."""

    hits: list[SearchHit]
    total: int
    limit: int
    offset: int
    facets: Counts | None = None


def check_page(limit: int, offset: int) -> None:
    if not 0 < limit <= MAX_LIMIT or not 0 <= offset <= MAX_OFFSET:
        raise ArchiveError(f"--limit must be 1…{MAX_LIMIT} and --offset 0…{MAX_OFFSET}")


def parse_terms(query: str | None) -> list[str]:
    """Whitespace-separated terms, each of which must match. ``None`` means "no text condition"."""
    if query is None:
        return []
    terms = query.split()
    if not terms:
        raise ArchiveError("empty search query")
    return terms
