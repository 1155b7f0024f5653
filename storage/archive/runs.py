"""Crawl runs: opened and closed by the crawl, dead runs marked killed, scheduler stops marked interrupted;
and the webhook messages runs leave for delivery."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from storage.archive.base import ArchiveBase
from storage.archive.locks import pid_alive
from storage.archive.records import RunView, _jsonable
from storage.archive.runcounters import run_totals, write_portal_rows
from storage.models import CrawlRun, Notification, utcnow
from storage.session import write_session


class Runs(ArchiveBase):
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

    def mark_dead_runs(self) -> list[int]:
        """Mark runs on this host whose process died (SIGKILL, crash) as killed; done before runs are listed.

        A read first, so listing runs takes no write lock unless a run has died."""
        unfinished = select(CrawlRun.id, CrawlRun.pid).where(CrawlRun.finished_at.is_(None),
                                                             CrawlRun.finish_reason.is_(None),
                                                             CrawlRun.host == socket.gethostname())
        with self._read() as s:
            dead = [run_id for run_id, pid in s.execute(unfinished) if pid is not None and not pid_alive(pid)]
        if dead:
            with write_session(self.engine) as s:
                s.execute(update(CrawlRun).where(CrawlRun.id.in_(dead), CrawlRun.finish_reason.is_(None))
                          .values(finish_reason="killed"))
        return dead

    def start_run(self, portals: Sequence[str]) -> int:
        """Open a run; first mark the dead runs as killed."""
        self.mark_dead_runs()
        with write_session(self.engine) as s:
            run = CrawlRun(portals=list(portals), stats={}, errors=[], pid=os.getpid(), host=socket.gethostname())
            s.add(run)
            s.flush()
            return run.id

    def finish_run(self, run_id: int, reason: str, stats: dict[str, Any],
                   errors: Sequence[dict[str, Any]]) -> None:
        """Close the run with its stats and errors, and in the same transaction its run-wide counters as columns
        and its per-portal counters as rows (what the pages read)."""
        with write_session(self.engine) as s:
            portals = s.scalar(update(CrawlRun).where(CrawlRun.id == run_id).values(
                finished_at=utcnow(), finish_reason=reason, stats=_jsonable(stats), errors=list(errors),
                **run_totals(stats, errors))
                .returning(CrawlRun.portals))
            if portals is not None:
                write_portal_rows(s, run_id, stats, list(portals))

    def get_run(self, run_id: int) -> RunView | None:
        with self._read() as s:
            row = s.get(CrawlRun, run_id)
            return _run_view(row) if row else None

    def list_runs(self, limit: int = 20) -> list[RunView]:
        with self._read() as s:
            return [_run_view(r) for r in s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit))]


    # -- the webhook outbox (nianbao.notify) -------------------------------------------------------

    def queue_notification(self, payload: dict[str, Any]) -> int:
        with write_session(self.engine) as s:
            row = Notification(payload=_jsonable(payload), created_at=utcnow())
            s.add(row)
            s.flush()
            return row.id

    def queued_notifications(self, limit: int = 100) -> list[tuple[int, dict[str, Any]]]:
        """The oldest undelivered notifications, oldest first, as (id, payload)."""
        with self._read() as s:
            return [(r.id, dict(r.payload)) for r in s.scalars(select(Notification).order_by(Notification.id)
                                                                .limit(limit))]

    def count_queued_notifications(self) -> int:
        with self._read() as s:
            return s.scalar(select(func.count(Notification.id))) or 0

    def notification_delivered(self, notification_id: int) -> None:
        with write_session(self.engine) as s:
            s.execute(delete(Notification).where(Notification.id == notification_id))

    def notification_failed(self, notification_id: int, problem: str) -> None:
        with write_session(self.engine) as s:
            s.execute(update(Notification).where(Notification.id == notification_id)
                      .values(attempts=Notification.attempts + 1, last_error=problem[:300]))


def _run_view(row: CrawlRun) -> RunView:
    return RunView(id=row.id, started_at=row.started_at, finished_at=row.finished_at,
                   finish_reason=row.finish_reason, portals=tuple(row.portals or ()),
                   stats=dict(row.stats or {}), errors=tuple(row.errors or ()))
