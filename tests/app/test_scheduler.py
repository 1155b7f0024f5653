"""The crawl scheduler with a fast clock (APScheduler's own clock moved by the test, no sleeping for hours):
runs fire, never overlap, catch up once after downtime, keep their plan across restarts; and for real,
`nianbao schedule` stopped by SIGTERM mid-crawl records the crawl as interrupted."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import apscheduler.executors.base
import apscheduler.schedulers.base
import apscheduler.triggers.interval
import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES

from nianbao.demo import DemoServer, demo_portals
from nianbao.scheduler import CrawlService, ScheduleError, default_trigger, load_config, parse_every
from storage import Archive, PortalSpec
from tests.conftest import ROOT, run_cmd
from tests.e2e.test_end_to_end import register

START = dt.datetime(2027, 6, 1, 0, 0, tzinfo=dt.UTC)
HOURLY = {"default": {"every": "1h"}}
# A stand-in crawl: logs its start, waits while the gate file exists, logs its end.
FAKE_CRAWL = """import os, sys, time
log, portal, gate = sys.argv[1:]
open(log, "a").write(f"start {portal}\\n")
deadline = time.monotonic() + 60
while os.path.exists(gate) and time.monotonic() < deadline:
    time.sleep(0.02)
open(log, "a").write(f"end {portal}\\n")
"""


class Clock:
    """The time APScheduler sees; tests move it forward."""

    def __init__(self) -> None:
        self.now = START

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class FakeDatetime(dt.datetime):
    """``datetime`` whose ``now()`` reads :attr:`clock` (module level: jobs holding one get pickled)."""

    clock = Clock()

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
        return cls.clock.now.astimezone(tz) if tz else cls.clock.now.replace(tzinfo=None)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    monkeypatch.setattr(FakeDatetime, "clock", Clock())
    for module in (apscheduler.schedulers.base, apscheduler.executors.base, apscheduler.triggers.interval):
        monkeypatch.setattr(module, "datetime", FakeDatetime)
    return FakeDatetime.clock


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        self.db = f"sqlite:///{tmp_path / 'archive.db'}"
        self.log = tmp_path / "runs.log"
        self.gate = tmp_path / "gate"
        archive = Archive(self.db)
        for name in ("daan", "xinfu"):
            archive.add_portal(PortalSpec(name=name, column_urls=(f"http://www.{name}.nianbao.test/",)))
        self.services: list[CrawlService] = []
        self.done: list[str] = []  # job ids, as APScheduler finishes them (its instance count is down by then)

    def command(self, portal: str) -> list[str]:
        return [sys.executable, "-c", FAKE_CRAWL, str(self.log), portal, str(self.gate)]

    def service(self, **kw: object) -> CrawlService:
        s = CrawlService(self.db, config=kw.pop("config", HOURLY), jitter=0, command=self.command, **kw)
        s.scheduler.add_listener(lambda event: self.done.append(event.job_id), EVENT_JOB_EXECUTED)
        self.services.append(s)
        return s

    def wait_done(self, **runs: int) -> None:
        """Until each named portal's job has finished that many times."""
        deadline = time.monotonic() + 20
        while any(self.done.count(f"crawl:{p}") < n for p, n in runs.items()):
            assert time.monotonic() < deadline, f"timed out; finished: {self.done}; log: {self.lines()}"
            time.sleep(0.02)

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def wait_for(self, condition: Callable[[list[str]], bool], timeout: float = 20) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition(self.lines()):
                return self.lines()
            time.sleep(0.02)
        raise AssertionError(f"timed out; log: {self.lines()}")


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    s = Setup(tmp_path)
    yield s
    s.gate.unlink(missing_ok=True)
    for service in s.services:
        service.close()


def tick(clock: Clock, service: CrawlService, **delta: float) -> None:
    clock.advance(**delta)
    service.scheduler.wakeup()


def test_runs_fire_on_plan(clock: Clock, setup: Setup) -> None:
    service = setup.service()
    service.start()
    assert {u.next_run for u in service.upcoming()} == {START + dt.timedelta(hours=1)}
    tick(clock, service, minutes=59)
    time.sleep(0.2)
    assert setup.lines() == []  # not yet due
    tick(clock, service, minutes=1)
    setup.wait_done(daan=1, xinfu=1)
    tick(clock, service, hours=1)
    setup.wait_done(daan=2, xinfu=2)
    assert setup.lines().count("start daan") == 2
    assert {u.next_run for u in service.upcoming()} == {START + dt.timedelta(hours=3)}


def test_a_portal_never_runs_twice_at_once(clock: Clock, setup: Setup) -> None:
    setup.gate.touch()  # the stand-in crawl blocks until the gate goes
    service = setup.service()
    skipped: list[str] = []
    service.scheduler.add_listener(lambda event: skipped.append(event.job_id), EVENT_JOB_MAX_INSTANCES)
    service.start()
    tick(clock, service, hours=1)
    setup.wait_for(lambda lines: lines.count("start daan") == 1)
    for _ in range(3):  # three more runs come due while the first is still crawling
        tick(clock, service, hours=1)
        time.sleep(0.1)
    assert setup.lines().count("start daan") == 1 and "crawl:daan" in skipped
    setup.gate.unlink()
    setup.wait_done(daan=1)
    tick(clock, service, hours=1)
    setup.wait_done(daan=2)
    lines = setup.lines()
    assert lines.index("end daan") < lines.index("start daan", lines.index("start daan") + 1)


def test_downtime_is_caught_up_once(clock: Clock, setup: Setup) -> None:
    first = setup.service()
    first.start()
    first.close()  # the service goes down before its first run
    clock.advance(hours=5, minutes=30)  # five runs missed
    second = setup.service()
    second.start()
    setup.wait_done(daan=1, xinfu=1)
    time.sleep(0.3)
    assert sorted(setup.lines()) == ["end daan", "end xinfu", "start daan", "start xinfu"]  # once, not five times
    assert {u.next_run for u in second.upcoming()} == {START + dt.timedelta(hours=6)}


def test_plan_survives_a_restart(clock: Clock, setup: Setup) -> None:
    first = setup.service(config={})  # the seasonal default, with jitter: next runs must not be re-rolled
    first.jitter = 900
    first.start(paused=True)
    plan = first.upcoming()
    assert [u.portal for u in plan] and all(u.next_run for u in plan)
    first.close()
    clock.advance(minutes=1)
    again = setup.service(config={})
    again.jitter = 900
    again.start(paused=True)
    assert again.upcoming() == plan
    assert again.sync() == (0, 0, 0)
    Archive(setup.db).remove_portal("xinfu")
    Archive(setup.db).add_portal(PortalSpec(name="changbai", column_urls=("http://c/",)))
    again.config = {"portals": {"daan": {"cron": "0 3 * * *"}}}
    assert again.sync() == (1, 1, 1)  # changbai added, daan re-planned, xinfu dropped
    assert {u.portal: u.trigger for u in again.upcoming()}["daan"].startswith("cron[")


def test_default_plan_is_daily_in_reporting_season_weekly_otherwise() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    trigger = default_trigger("daan", tz, jitter=0)

    def fires(start: dt.datetime, n: int) -> list[dt.datetime]:
        out, previous = [], None
        now = start
        for _ in range(n):
            previous = trigger.get_next_fire_time(previous, now)
            out.append(previous)
            now = previous
        return out

    season = fires(dt.datetime(2027, 1, 10, tzinfo=tz), 10)
    assert {b - a for a, b in itertools.pairwise(season)} == {dt.timedelta(days=1)}
    summer = fires(dt.datetime(2027, 6, 1, tzinfo=tz), 6)
    assert {b - a for a, b in itertools.pairwise(summer)} == {dt.timedelta(days=7)}
    other = default_trigger("xinfu", tz, jitter=0).get_next_fire_time(None, dt.datetime(2027, 1, 10, tzinfo=tz))
    assert other.time() != season[0].time()  # portals spread over the day


def test_bad_schedules_get_clear_errors(tmp_path: Path) -> None:
    for text in ("1s", "2 fortnights", "0.01h"):
        with pytest.raises(ScheduleError):
            parse_every(text)
    assert parse_every("12h") == dt.timedelta(hours=12)
    bad = tmp_path / "bad.toml"
    bad.write_text('[portals.daan]\ncron = "61 * * * *"\n', encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'a.db'}"
    Archive(db).add_portal(PortalSpec(name="daan", column_urls=("http://d/",)))
    result = run_cmd(["nianbao", "schedule", "--list", "--db", db, "--config", str(bad)])
    assert result.returncode == 1 and "[portals.daan]: bad cron expression" in result.stderr
    bad.write_text("[daily]\n", encoding="utf-8")
    with pytest.raises(ScheduleError, match="unknown section"):
        load_config(bad)
    with pytest.raises(ScheduleError, match="no such schedule file"):
        load_config(tmp_path / "missing.toml")


def test_sigterm_stops_a_running_crawl_cleanly_and_records_it_interrupted(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    daan = demo_portals()[0]
    register(db, [daan])
    archive = Archive(db)
    with DemoServer([daan]) as server:
        env = {**os.environ, "NIANBAO_DEMO_PROXY": server.proxy_url, "PYTHONUNBUFFERED": "1"}
        service = subprocess.Popen(
            [sys.executable, "-m", "nianbao.cli", "schedule", "--db", db, "--run-now", "--stop-timeout", "30",
             "-s", "DOWNLOAD_DELAY=0.3", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS=1"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while archive.count_reports() < 2 and time.monotonic() < deadline and service.poll() is None:
            time.sleep(0.05)
        assert service.poll() is None, service.communicate()
        service.send_signal(signal.SIGTERM)
        out, err = service.communicate(timeout=90)
    assert service.returncode == 0, out + err
    assert "SIGTERM: no new runs" in err and "scheduler stopped" in err
    (run,) = archive.list_runs()
    assert run.finish_reason == "interrupted" and run.finished_at is not None
    # stopped midway (Scrapy's clean close only finishes the request in flight), whole rows only
    assert 2 <= archive.count_reports() < len([d for d in daan.documents if d.kind == "report"])
    assert all(r.body and r.sightings for r in archive.iter_reports())
    listed = run_cmd(["nianbao", "schedule", "--list", "--db", db])
    assert listed.returncode == 0 and "daan" in listed.stdout and "1 portal(s) scheduled" in listed.stdout
