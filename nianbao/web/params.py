"""The search form's parameters, shared by the search page and its export links: one parsing of q, filters and
sort, so an export downloads exactly the query the page shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException

from storage import ArchiveError
from storage.archive.query import Filters

# facet → the field its links set: region and organ links name one region / organ exactly (the form's region and
# organ fields match parts of names, which would find more reports than the facet counted); "yes"/"no" for
# attachments
FACET_PARAMS = {"year": "year", "region": "region_is", "level": "level", "organ": "organ_is", "format": "format",
                "attachments": "has_attachment", "statistics": "statistics"}
FIELDS = ("q", "year", "region", "organ", "portal", "published_from", "published_to", "level", "format",
          "has_attachment", "statistics", "region_is", "organ_is", "sort")
HIDDEN = ("region_is", "organ_is")  # set by facet links only: carried through the form as hidden fields
YES_NO = {"yes": True, "no": False}


def blank_to_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


@dataclass(frozen=True, slots=True)
class SearchForm:
    """The form as typed (every field a string, "" when untouched), and what it means for the archive."""

    values: dict[str, str]
    filters: Filters

    @property
    def query(self) -> str | None:
        return blank_to_none(self.values["q"])

    @property
    def sort(self) -> str:
        return self.values["sort"] or "newest"

    def link(self, path: str = "/", **changes: Any) -> str:
        """``path`` with this form's non-empty fields, ``changes`` applied (``""`` removes a field)."""
        params = {k: v for k, v in {**self.values, **changes}.items() if v not in ("", None)}
        return path + ("?" + urlencode(params) if params else "")

    def active(self) -> list[tuple[str, str]]:
        """The filters in force, as (field, value), for the "remove this filter" links."""
        return [(k, v) for k, v in self.values.items() if k not in ("q", "sort") and v]


def search_form(q: str | None = None, year: str | None = None, region: str | None = None,
                organ: str | None = None, portal: str | None = None, published_from: str | None = None,
                published_to: str | None = None, level: str | None = None, format: str | None = None,
                has_attachment: str | None = None, statistics: str | None = None, region_is: str | None = None,
                organ_is: str | None = None, sort: str = "newest") -> SearchForm:
    """FastAPI dependency: the form from the query string; 422 for a value that is no usable filter."""
    raw = dict(zip(FIELDS, (q, year, region, organ, portal, published_from, published_to, level, format,
                            has_attachment, statistics, region_is, organ_is, sort), strict=True))
    values = {k: (v or "").strip() for k, v in raw.items()}
    try:
        attachment = values["has_attachment"].lower()
        if attachment and attachment not in YES_NO:
            raise ValueError(f"has_attachment must be yes or no, not {attachment!r}")
        filters = Filters.of(
            year=int(values["year"]) if values["year"] else None,
            published_from=dt.date.fromisoformat(values["published_from"]) if values["published_from"] else None,
            published_to=dt.date.fromisoformat(values["published_to"]) if values["published_to"] else None,
            has_attachment=YES_NO.get(attachment),
            **{k: values[k] or None for k in ("region", "organ", "portal", "level", "format", "statistics",
                                              "region_is", "organ_is")})
    except (ValueError, ArchiveError) as exc:
        raise HTTPException(422, f"bad filter value: {exc}") from None
    return SearchForm(values=values, filters=filters)
