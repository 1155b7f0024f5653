"""History: versions of an edited report, diffs, withdrawals, and when a URL is due for a recheck."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Integer, or_, select, update

from storage.archive.base import ArchiveBase, _insert, among
from storage.archive.query import Filters, Query, parse_terms
from storage.archive.records import ArchiveError, ChangeEvent, VersionView
from storage.models import Attachment, Portal, Report, ReportVersion, Sighting, utcnow
from storage.session import write_session


class History(ArchiveBase):
    # -- history, withdrawals and incremental re-crawls -------------------------------------------

    def last_checked(self, url: str) -> dt.datetime | None:
        """When this URL's content was last fetched and stored or confirmed; None if unknown or withdrawn.

        Re-crawls skip a detail page whose last check is recent (crawler.incremental); a withdrawn URL
        is fetched again when it is listed again, so its return is noticed.
        """
        return self.last_checked_many([url]).get(url)

    def last_checked_many(self, urls: Iterable[str]) -> dict[str, dt.datetime]:
        """:meth:`last_checked` of many URLs in one query per 500: {url: when} for those known and not withdrawn.

        A list page names its report links together, so the crawl asks once per page instead of once per link.
        """
        wanted = list(dict.fromkeys(urls))
        found: dict[str, dt.datetime] = {}
        with self._read() as s:
            for start in range(0, len(wanted), 500):
                rows = s.execute(select(Sighting.url, Sighting.last_seen)
                                 .where(Sighting.url.in_(wanted[start:start + 500]), Sighting.withdrawn_at.is_(None)))
                found.update((row.url, row.last_seen) for row in rows)
        return found

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
        timed = sorted(((rid, at or reports[rid].first_seen, url) for rid, at, url in entries),
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

    def add_text_version(self, report_id: int, body: str, content_sha256: str, meta: dict[str, Any]) -> int | None:
        """Give a report a new text (``nianbao reextract``) as its next version; the old text stays, as history.

        Recorded like an edited page: the new text is a report of its own (or the report that already has
        it), every URL of the old one now points there with a ``report_version`` link per URL, so
        ``versions``/``diff``/the feed show the change; the file records are copied to the new version.
        Returns the new version's report id, None when the text is the same.
        """
        now = utcnow()
        with write_session(self.engine) as s:
            old = s.get(Report, report_id)
            if old is None:
                raise ArchiveError(f"no report with id {report_id}")
            if old.content_sha256 == content_sha256:
                return None
            new_id = s.scalar(select(Report.id).where(Report.content_sha256 == content_sha256))
            if new_id is None:
                new = Report(content_sha256=content_sha256, title=old.title, organ=old.organ,
                             report_year=old.report_year, report_year_source=old.report_year_source,
                             published=old.published, body=body, meta=meta, first_seen=now)
                s.add(new)
                s.flush()
                new_id = new.id
            for url in s.scalars(select(Sighting.url).where(Sighting.report_id == report_id)).all():
                s.add(ReportVersion(url=url, old_report_id=report_id, new_report_id=new_id, seen_at=now))
            s.execute(update(Sighting).where(Sighting.report_id == report_id).values(report_id=new_id))
            copied = [c.key for c in Attachment.__table__.columns if c.key not in ("id", "report_id")]
            for att in s.scalars(select(Attachment).where(Attachment.report_id == report_id)).all():
                s.execute(_insert(self.engine)(Attachment)
                          .values(**{k: getattr(att, k) for k in copied}, report_id=new_id)
                          .on_conflict_do_nothing(index_elements=["report_id", "url"]))
            return new_id

    def recent_changes(self, limit: int = 100, query: str | None = None, filters: Filters | None = None
                       ) -> list[ChangeEvent]:
        """The newest new, changed and withdrawn reports, newest first (what the Atom feed shows).

        ``query`` and ``filters`` are those of search (a portal's feed, a saved search's feed): only events of
        reports that match them, found in the database rather than among the newest events of all.
        """
        terms, filters = parse_terms(query), filters or Filters()
        search = Query(self.engine)
        where = search.conditions(terms, filters)
        chosen, dialect = where, self.engine.dialect.name
        if terms and (filters or dialect == "sqlite"):
            with self.engine.connect() as conn:
                # a query with filters: its ids as its results page reads them (Query.matching_list: 200 → 36 ms
                # on SQLite for 公开 on one portal, 595 → 150 on PostgreSQL for 公开 and a level), then the events
                # among them. SQLite without filters: the ids from the FTS5 indexes alone, as a statement. Filters
                # alone, and PostgreSQL without filters, keep the planner's own plan (an array of 97,940 ids for
                # 公开 made PostgreSQL sort them all: 47 → 294 ms). "+ 0" keeps the planners walking the events' own
                # order (first_seen: 0016) rather than reading each listed report to sort them (SQLite read every
                # body, stored inline before first_seen: 450 ms for 公开; PostgreSQL 179 → 145 ms for 公开 and a level)
                chosen = [among(dialect, Report.id + 0, search.matching_list(conn, terms, filters, where), Integer)
                          if filters else (Report.id + 0).in_(search.matching_ids(conn, terms, filters, where))]
        with self._read() as s:
            first_url = (select(Sighting.url).where(Sighting.report_id == Report.id)
                         .order_by(Sighting.id).limit(1).scalar_subquery())
            first_portal = (select(Portal.name).join(Sighting, Sighting.portal_id == Portal.id)
                            .where(Sighting.report_id == Report.id).order_by(Sighting.id).limit(1).scalar_subquery())
            edited = select(ReportVersion.new_report_id)
            events = [ChangeEvent("new", r.first_seen, r.id, r.title, r.url, r.portal)
                      for r in s.execute(select(Report.id, Report.title, Report.first_seen,
                                                first_url.label("url"), first_portal.label("portal"))
                                         .where(Report.id.not_in(edited), *chosen)
                                         .order_by(Report.first_seen.desc()).limit(limit))]
            events += [ChangeEvent("changed", r.seen_at, r.new_report_id, r.title, r.url, r.portal,
                                   f"replaces report {r.old_report_id}")
                       for r in s.execute(select(ReportVersion.new_report_id, ReportVersion.old_report_id,
                                                 ReportVersion.url, ReportVersion.seen_at, Report.title,
                                                 Portal.name.label("portal"))
                                          .join(Report, Report.id == ReportVersion.new_report_id)
                                          .outerjoin(Sighting, Sighting.url == ReportVersion.url)
                                          .outerjoin(Portal, Portal.id == Sighting.portal_id)
                                          .where(*chosen)
                                          .order_by(ReportVersion.seen_at.desc()).limit(limit))]
            events += [ChangeEvent("withdrawn", r.withdrawn_at, r.report_id, r.title, r.url, r.portal,
                                   r.withdrawn_reason or "")
                       for r in s.execute(select(Sighting.report_id, Sighting.url, Sighting.withdrawn_at,
                                                 Sighting.withdrawn_reason, Report.title, Portal.name.label("portal"))
                                          .join(Report, Report.id == Sighting.report_id)
                                          .outerjoin(Portal, Portal.id == Sighting.portal_id)
                                          .where(Sighting.withdrawn_at.is_not(None), *chosen)
                                          .order_by(Sighting.withdrawn_at.desc()).limit(limit))]
        return sorted(events, key=lambda e: e.at, reverse=True)[:limit]


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
