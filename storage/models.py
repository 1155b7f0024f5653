"""The archive's tables.

A *report* is unique content (its SHA-256 over the normalised text), not a URL: the same text reached
through two URLs or reposted by two portals is one report with several sightings. A *sighting* is one
URL where a report was seen; the URL is unique, so a re-crawl updates it instead of adding rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    """Timezone-aware now; stored as UTC so SQLite and PostgreSQL agree."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A UTC timestamp that reads back timezone-aware on both backends.

    PostgreSQL's ``timestamptz`` returns aware values; SQLite stores no zone and hands back naive ones, which
    would compare wrongly with aware ones and leave the API's RFC 3339 date-times without their "Z". The column
    is the same ``DateTime(timezone=True)`` as before, so the schema (and the migrations) do not change.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return value.astimezone(dt.UTC) if value is not None and value.tzinfo is not None else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[dict[str, Any]]: JSON,
        dt.datetime: UTCDateTime(),
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
    # What the crawler last saw (migration 0002): None until crawled, then ok / challenged / gone /
    # trapped / unreachable, with the evidence (status, challenge type, URL) behind it.
    status: Mapped[str | None] = mapped_column(String(20))
    status_evidence: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    status_since: Mapped[dt.datetime | None]
    verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Report columns found from the homepage, so later runs go straight there: [{url, title, source, depth}]
    discovered_columns: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    challenged_runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    sightings: Mapped[list[Sighting]] = relationship(back_populates="portal")


class Report(Base):
    """One distinct report text with the metadata taken from the page that first carried it."""

    __tablename__ = "report"
    # Substring search is indexed outside the models: FTS5 tables on SQLite (0001, 0013), a gram index on
    # PostgreSQL (0014, which replaced 0005's pg_trgm indexes).

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    organ: Mapped[str | None] = mapped_column(String(200))
    report_year: Mapped[int | None] = mapped_column(Integer, index=True)
    report_year_source: Mapped[str] = mapped_column(String(20), default="unknown")
    published: Mapped[dt.date | None] = mapped_column(Date, index=True)
    body: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)  # the feeds' order (0016)

    sightings: Mapped[list[Sighting]] = relationship(back_populates="report", order_by="Sighting.id")


class Sighting(Base):
    """A URL where a report was found, with when and how it answered."""

    __tablename__ = "sighting"
    __table_args__ = (Index("ix_sighting_withdrawn_at", "withdrawn_at", sqlite_where=text("withdrawn_at IS NOT NULL"),
                            postgresql_where=text("withdrawn_at IS NOT NULL")),)  # few: the feeds' (0016)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    portal_id: Mapped[int | None] = mapped_column(ForeignKey("portal.id", ondelete="SET NULL"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))
    http_status: Mapped[int | None] = mapped_column(Integer)
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Set when the URL answers 404/410 or a meta-refresh back to its column (migration 0003); the report
    # stays archived, and the mark is cleared if the page comes back.
    withdrawn_at: Mapped[dt.datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(String(300))

    report: Mapped[Report] = relationship(back_populates="sightings")
    portal: Mapped[Portal | None] = relationship(back_populates="sightings")


class ReportVersion(Base):
    """One change of content at a URL (migration 0003): the text it carried before and after.

    Reports are unique content, so an edited page yields a new report row; this row links the two,
    which is what ``Archive.versions`` and ``Archive.diff`` walk.
    """

    __tablename__ = "report_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), index=True)
    old_report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    new_report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))
    seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)  # the feeds' order (0016)


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
    # the run-wide counters a list of runs shows, written with the close (``Archive.finish_run``, migration 0012):
    # a crawl of every portal keeps megabytes of stats, and a page of 50 runs needs these four of each. NULL while
    # the run is open (or when it was killed before it closed): readers then take them from ``stats``
    pages_fetched: Mapped[int | None] = mapped_column(Integer)
    reports_new: Mapped[int | None] = mapped_column(Integer)
    reports_changed: Mapped[int | None] = mapped_column(Integer)
    error_count: Mapped[int | None] = mapped_column(Integer)


class RunPortal(Base):
    """One portal in one closed crawl run: the counters the portal and run pages show (migration 0011).

    The same numbers as the run's ``nianbao/portal/NAME/…`` entries in ``crawl_run.stats`` (which stays whole for
    other readers), one row per portal the run crawled or counted, written with the run's close
    (``Archive.finish_run``). A crawl of every portal stores megabytes of such counters in one JSON document;
    here one portal's runs are an index range instead of a parse of every run's stats. Column names are the
    counter names with "/" as "_" (``COUNTERS``).
    """

    __tablename__ = "crawl_run_portal"
    __table_args__ = (Index("ix_crawl_run_portal_portal_run", "portal", "run_id"),)
    COUNTERS: ClassVar[tuple[str, ...]] = (
        "list_pages", "list_pages_capped", "links/report", "links/related", "links/other", "extracted",
        "reports/new", "reports/changed", "reports/unchanged", "reports/withdrawn", "errors",
        "hostile/challenged", "hostile/gone", "hostile/trapped")

    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), primary_key=True)
    portal: Mapped[str] = mapped_column(Text, primary_key=True)  # as the run named it: never refused
    list_pages: Mapped[int] = mapped_column(Integer, server_default="0")
    list_pages_capped: Mapped[int] = mapped_column(Integer, server_default="0")
    links_report: Mapped[int] = mapped_column(Integer, server_default="0")
    links_related: Mapped[int] = mapped_column(Integer, server_default="0")
    links_other: Mapped[int] = mapped_column(Integer, server_default="0")
    extracted: Mapped[int] = mapped_column(Integer, server_default="0")
    reports_new: Mapped[int] = mapped_column(Integer, server_default="0")
    reports_changed: Mapped[int] = mapped_column(Integer, server_default="0")
    reports_unchanged: Mapped[int] = mapped_column(Integer, server_default="0")
    reports_withdrawn: Mapped[int] = mapped_column(Integer, server_default="0")
    errors: Mapped[int] = mapped_column(Integer, server_default="0")
    hostile_challenged: Mapped[int] = mapped_column(Integer, server_default="0")
    hostile_gone: Mapped[int] = mapped_column(Integer, server_default="0")
    hostile_trapped: Mapped[int] = mapped_column(Integer, server_default="0")


class Attachment(Base):
    """A file a report was published as or with (migration 0004): PDF, DOCX, DOC/WPS, OFD or an image.

    The bytes live in the content-addressed file store (storage/archive/files.py) under ``sha256``, so text can be
    extracted again later; ``status`` says what extraction made of them (pipelines.text.documents.Status).
    """

    __tablename__ = "attachment"
    __table_args__ = (UniqueConstraint("report_id", "url", name="uq_attachment_report_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    file_name: Mapped[str] = mapped_column(String(500))
    mime: Mapped[str | None] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    pages: Mapped[int | None] = mapped_column(Integer)
    extractor: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), index=True)
    ocr: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[str] = mapped_column(Text, default="")
    # Hash of the extracted text in the report's own hash form: equal to Report.content_sha256 when the file
    # carries the same text as the page (one report, both sources kept).
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)


# -- upkeep of a long-running archive (migration 0008): crawl locks, the notification outbox ---------------


class PortalLock(Base):
    """Which process is crawling a portal, so two crawls of it never run at once (storage/archive/locks.py).

    On SQLite this row is the lock: it holds while its process lives (same host) and its heartbeat is
    fresh. On PostgreSQL a session advisory lock is the lock and this row only says who holds it.
    """

    __tablename__ = "portal_lock"

    portal: Mapped[str] = mapped_column(String(100), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    pid: Mapped[int] = mapped_column(BigInteger)
    host: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """A webhook message not delivered yet (nianbao/notify.py): kept until a run delivers it, oldest first."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(300))


class ReportStatistics(Base):
    """The statistics tables read from a report's text (migration 0009) and the identities they fail.

    One row per report, replaced whenever the text is read again; ``received`` (applications.new.total) and
    ``findings_count`` are copies of the JSON kept as columns so search can filter on them on both backends.
    """

    __tablename__ = "report_statistics"

    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), primary_key=True)
    format: Mapped[str] = mapped_column(String(10))
    statistics: Mapped[dict[str, Any]] = mapped_column(JSON)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    findings_count: Mapped[int] = mapped_column(Integer, index=True)
    received: Mapped[int | None] = mapped_column(Integer, index=True)
    read_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class JournalEntry(Base):
    """A report or portal whose values the in-memory indexes hold has changed (migration 0017).

    Written by triggers only, in the writing transaction, whatever writes (the archive, a migration, a hand-made
    UPDATE): the facet index and the compliance grid read the entries since they were built and update just those
    reports and portals (storage/archive/changes.py) instead of reading the whole archive again. ``xid`` is the
    writing transaction's id on PostgreSQL, where sequence numbers can commit out of order; SQLite has one writer
    at a time, so ``seq`` order is commit order there. Entries are kept, like the versions: a few per report stored.
    """

    __tablename__ = "archive_journal"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    report_id: Mapped[int | None] = mapped_column(Integer)
    portal_id: Mapped[int | None] = mapped_column(Integer)
    xid: Mapped[int | None] = mapped_column(BigInteger, index=True)


class KeptLookup(Base):
    """The ids of the reports holding a common query term, stored for every process (migration 0019).

    The term cache (storage/archive/termcache.py) keeps a lookup that found many reports in memory; it also writes
    it here, so that another web process, or this one after a restart, reads it (a few ms) instead of looking the
    term up again (0.3–1.6 s for a phrase every report prints, at 100,000 reports). ``ids`` are the sorted report
    ids as 4-byte little-endian integers; ``position`` is the journal position they are exact at: whoever reads the
    row checks the reports journaled since again. A cache: deleting any row, or all, loses nothing.
    """

    __tablename__ = "kept_lookup"

    terms: Mapped[str] = mapped_column(Text, primary_key=True)  # the sorted terms, one per line
    ids: Mapped[bytes] = mapped_column(LargeBinary)
    reports: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(BigInteger)
    used: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
