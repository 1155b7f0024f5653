"""Per-portal crawl locks on SQLite and PostgreSQL: one holder at a time, a dead holder frees the lock (killed
with SIGKILL for real), a stale heartbeat from another host is taken over, and a real crawl of a portal another
process is crawling skips it with the holder named in the run's errors."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time

import pytest

from nianbao.demo import DemoServer, demo_portals
from storage import Archive
from storage.archive import PortalLocked
from storage.models import PortalLock, utcnow
from storage.session import write_session
from tests.support import ROOT
from tests.support.monitoring import crawl, register

TTL = dt.timedelta(minutes=10)
HOLD = """import datetime as dt, sys, time
from storage import open_archive
open_archive(sys.argv[1]).lock_portal(sys.argv[2], dt.timedelta(minutes=10))
print("locked", flush=True)
time.sleep(120)
"""


def test_one_holder_at_a_time(db_url: str) -> None:
    archive = Archive(db_url)
    held = archive.lock_portal("daan", TTL)
    with pytest.raises(PortalLocked, match=r"portal daan is being crawled by pid \d+ on "):
        archive.lock_portal("daan", TTL)
    other = archive.lock_portal("xinfu", TTL)  # other portals are free
    archive.renew_portal_lock(held)
    archive.unlock_portal(held)
    again = archive.lock_portal("daan", TTL)
    archive.unlock_portal(again)
    archive.unlock_portal(other)


@pytest.mark.e2e
def test_a_killed_holder_frees_the_lock(db_url: str) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, db_url, "daan"], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(PortalLocked, match=f"pid {holder.pid} "):
            Archive(db_url).lock_portal("daan", TTL)
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 20  # PostgreSQL drops the session lock once it sees the connection gone
    while True:
        try:
            Archive(db_url).lock_portal("daan", TTL)
            break
        except PortalLocked:
            assert time.monotonic() < deadline, "the dead holder's lock was never freed"
            time.sleep(0.1)


def test_sqlite_lock_of_another_host_holds_until_its_heartbeat_is_stale(sqlite_url: str) -> None:
    archive = Archive(sqlite_url)
    now = utcnow()
    with write_session(archive.engine) as s:
        s.add(PortalLock(portal="daan", token="t" * 32, pid=1, host="elsewhere", acquired_at=now, heartbeat_at=now))
    with pytest.raises(PortalLocked, match="pid 1 on elsewhere"):
        archive.lock_portal("daan", TTL)
    with write_session(archive.engine) as s:
        s.get(PortalLock, "daan").heartbeat_at = now - TTL - dt.timedelta(seconds=1)
    archive.lock_portal("daan", TTL)


@pytest.mark.e2e
def test_crawl_skips_a_portal_another_process_is_crawling(db_url: str) -> None:
    daan = demo_portals()[0]
    register(db_url, [daan])
    archive = Archive(db_url)
    held = archive.lock_portal(daan.name, TTL)  # this test process is "the other crawl"
    with DemoServer([daan]) as server:
        skipped = crawl(server, db_url, check=False)
        assert skipped.returncode == 1 and "portal_locked" in skipped.stderr + skipped.stdout
        (run,) = archive.list_runs()
        assert run.finish_reason == "portal_locked" and run.portals == ()
        assert [(e["portal"], e["stage"]) for e in run.errors] == [(daan.name, "lock")]
        assert f"skipped: portal {daan.name} is being crawled by pid " in run.errors[0]["reason"]
        assert archive.count_reports() == 0 and server.requests == []
        archive.unlock_portal(held)
        crawl(server, db_url)  # free again: crawled, and its lock given back
    assert archive.count_reports() > 0
    archive.unlock_portal(archive.lock_portal(daan.name, TTL))
