"""Per-portal crawl locks: two crawls of one portal never run at once, across processes and hosts.

An orphaned crawl left by a killed service, or a manual ``nianbao crawl`` while the scheduler runs,
would otherwise crawl the same portal twice at once (twice the load on someone's server, and runs
whose counts contradict each other). A lock a dead process left behind must free itself:

* **PostgreSQL**: a session advisory lock on a connection the crawl keeps open; the server drops it
  the moment that process's connection goes, however the process died. The ``portal_lock`` row beside
  it only says who holds it, for the message the skipped crawl records.
* **SQLite** (no locks outlive a transaction there): the ``portal_lock`` row is the lock. It holds while
  its process is alive (checked by pid on the same host) and its heartbeat is fresher than the time to
  live (the only test possible for another host's process, and the guard against a reused pid).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import uuid
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, select, text, update
from sqlalchemy.orm import Session

from storage.archive.base import ArchiveBase, _insert
from storage.archive.records import ArchiveError
from storage.models import PortalLock, utcnow
from storage.session import write_session


class PortalLocked(ArchiveError):
    """Another live process is crawling this portal; the message says which."""


@dataclass(slots=True)
class HeldLock:
    """A lock this process holds; give it back with :meth:`Locks.unlock_portal`."""

    portal: str
    token: str
    connection: Connection | None = field(default=None, repr=False)  # PostgreSQL: holds the advisory lock


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (one we may not signal still counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _advisory_key(portal: str) -> int:
    """A stable signed 64-bit key per portal name (PostgreSQL's advisory lock key space)."""
    return int.from_bytes(hashlib.sha256(f"nianbao:portal:{portal}".encode()).digest()[:8], "big", signed=True)



class Locks(ArchiveBase):
    def lock_portal(self, portal: str, ttl: dt.timedelta) -> HeldLock:
        """Take the portal's crawl lock or raise :class:`PortalLocked` naming the live holder."""
        held = HeldLock(portal, uuid.uuid4().hex)
        if self.engine.dialect.name == "postgresql":
            conn = self.engine.connect()
            got = conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": _advisory_key(portal)})
            conn.commit()  # the session lock stays; no transaction is left open for the whole crawl
            if not got:
                conn.close()
                raise PortalLocked(self._holder(portal))
            held.connection = conn
            self._claim(held)
            return held
        with write_session(self.engine) as s:  # BEGIN IMMEDIATE: one process at a time decides
            row = s.get(PortalLock, portal)
            if row is not None and self._alive(row, ttl):
                raise PortalLocked(_describe(row))
            self._claim(held, s)
        return held

    def renew_portal_lock(self, held: HeldLock) -> None:
        """The heartbeat: call well within the time to live while the crawl goes on."""
        with write_session(self.engine) as s:
            s.execute(update(PortalLock).where(PortalLock.portal == held.portal, PortalLock.token == held.token)
                      .values(heartbeat_at=utcnow()))

    def unlock_portal(self, held: HeldLock) -> None:
        with write_session(self.engine) as s:
            s.execute(delete(PortalLock).where(PortalLock.portal == held.portal, PortalLock.token == held.token))
        if held.connection is not None:
            try:
                held.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _advisory_key(held.portal)})
                held.connection.commit()
            finally:
                held.connection.close()
                held.connection = None

    def _claim(self, held: HeldLock, s: Session | None = None) -> None:
        """Write (or overwrite a dead holder's) row naming this process."""
        now = utcnow()
        values = {"portal": held.portal, "token": held.token, "pid": os.getpid(), "host": socket.gethostname(),
                  "acquired_at": now, "heartbeat_at": now}
        stmt = _insert(self.engine)(PortalLock).values(**values).on_conflict_do_update(
            index_elements=["portal"], set_={k: v for k, v in values.items() if k != "portal"})
        if s is None:
            with write_session(self.engine) as own:
                own.execute(stmt)
        else:
            s.execute(stmt)

    @staticmethod
    def _alive(row: PortalLock, ttl: dt.timedelta) -> bool:
        if row.heartbeat_at + ttl < utcnow():
            return False  # no heartbeat for too long: dead, hung or on a host we cannot see
        return row.host != socket.gethostname() or pid_alive(row.pid)

    def _holder(self, portal: str) -> str:
        with self._read() as s:
            row = s.scalar(select(PortalLock).where(PortalLock.portal == portal))
            return _describe(row) if row is not None else f"portal {portal} is being crawled by another process"


def _describe(row: PortalLock) -> str:
    return (f"portal {row.portal} is being crawled by pid {row.pid} on {row.host} "
            f"since {row.acquired_at:%Y-%m-%d %H:%M:%S} UTC")
