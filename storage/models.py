"""The archive's tables.

A *report* is unique content (its SHA-256 over the normalised text), not a URL: the same text reached
through two URLs or reposted by two portals is one report with several sightings. A *sighting* is one
URL where a report was seen; the URL is unique, so a re-crawl updates it instead of adding rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    """Timezone-aware now; stored as UTC so SQLite and PostgreSQL agree."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[dict[str, Any]]: JSON,
        dt.datetime: DateTime(timezone=True),
    }


class Portal(Base):
    """One government portal in the registry: where its annual-report columns are."""

    __tablename__ = "portal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    homepage: Mapped[str | None] = mapped_column(String(2000))
    column_urls: Mapped[list[str]] = mapped_column(default=list)
    region: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(12))
    level: Mapped[str | None] = mapped_column(String(40))
    cms: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    sightings: Mapped[list[Sighting]] = relationship(back_populates="portal")


class Report(Base):
    """One distinct report text with the metadata taken from the page that first carried it."""

    __tablename__ = "report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    organ: Mapped[str | None] = mapped_column(String(200))
    report_year: Mapped[int | None] = mapped_column(Integer, index=True)
    report_year_source: Mapped[str] = mapped_column(String(20), default="unknown")
    published: Mapped[dt.date | None] = mapped_column(Date, index=True)
    body: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)

    sightings: Mapped[list[Sighting]] = relationship(back_populates="report", order_by="Sighting.id")


class Sighting(Base):
    """A URL where a report was found, with when and how it answered."""

    __tablename__ = "sighting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    portal_id: Mapped[int | None] = mapped_column(ForeignKey("portal.id", ondelete="SET NULL"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))
    http_status: Mapped[int | None] = mapped_column(Integer)
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)

    report: Mapped[Report] = relationship(back_populates="sightings")
    portal: Mapped[Portal | None] = relationship(back_populates="sightings")


class CrawlRun(Base):
    """One crawl: what it covered, its Scrapy stats, per-portal errors and why it ended.

    ``pid``/``host`` let a later run tell a crawl that was killed (its process is gone) from one
    that is still running.
    """

    __tablename__ = "crawl_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    finish_reason: Mapped[str | None] = mapped_column(String(60))
    portals: Mapped[list[str]] = mapped_column(default=list)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    pid: Mapped[int | None] = mapped_column(BigInteger)
    host: Mapped[str | None] = mapped_column(String(255))
