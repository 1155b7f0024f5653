"""Filters from HTML form fields and query strings, where an untouched field arrives as an empty string."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

from fastapi import HTTPException

from storage import ArchiveError
from storage.archive.query import Filters

_DATES = ("published_from", "published_to")


def blank_to_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def form_filters(**values: str | None) -> Filters:
    """``Filters`` from form fields: blanks mean "no filter"; a value that is no year or date is a 422."""
    try:
        given = {k: blank_to_none(v) for k, v in values.items()}
        typed: dict[str, Any] = {k: (int(v) if k == "year" else dt.date.fromisoformat(v) if k in _DATES else v)
                                 for k, v in given.items() if v is not None}
        return Filters.of(**typed)
    except (ValueError, ArchiveError) as exc:
        raise HTTPException(422, f"bad filter value: {exc}") from None


def filter_fields(filters: Filters) -> Iterator[tuple[str, Any]]:
    """The filters that are set, as (name, value), for titles and links."""
    for f in fields(filters):
        value = getattr(filters, f.name)
        if value is not None:
            yield f.name, value
