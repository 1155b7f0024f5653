"""The crawl scheduler with a fast clock (APScheduler's own clock moved by the test, no sleeping for hours):
runs fire, never overlap, catch up once after downtime, keep their plan across restarts; and for real,
`nianbao schedule` stopped by SIGTERM mid-crawl records the crawl as interrupted."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import signal
import subprocess
import sys
import threading
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
from nianbao.scheduler import CrawlService, ScheduleError, default_trigger, load_config, parse_every, stored_jobs
from storage import Archive, PortalSpec
from tests.support import ROOT
from tests.support.commands import run_cmd
from tests.support.monitoring import register

START = dt.datetime(2027, 6, 1, 0, 0, tzinfo=dt.UTC)
HOURLY = {"default": {"every": "1h"}}
# A stand-in crawl: logs its start, waits while the gate file exists, logs its end. Like Scrapy, it takes
# SIGTERM as "finish what is in flight" (here: wait for the gate) and then exits with an error.
FAKE_CRAWL = """import os, signal, sys, time
log, portal, gate = sys.argv[1:]
stopped = []
signal.signal(signal.SIGTERM, lambda *_: stopped.append(open(log, "a").write(f"term {portal}\\n")))
open(log, "a").write(f"start {portal}\\n")
deadline = time.monotonic() + 60
while os.path.exists(gate) and time.monotonic() < deadline:
    time.sleep(0.02)
open(log, "a").write(f"end {portal}\\n")
sys.exit(1 if stopped else 0)
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
        service.stop()


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
    first.stop()  # the service goes down before its first run
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
    first.stop()
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


def test_shutdown_leaves_every_run_that_did_not_happen_due_and_restart_runs_them(
        clock: Clock, setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    """One crawl at a time: at the stop one portal is crawling, one waits in the queue, and a third falls due
    while the running crawl finishes its stop. All three are due after the stop and run once after a restart."""
    caplog.set_level(logging.INFO)
    Archive(setup.db).add_portal(PortalSpec(name="changbai", column_urls=("http://www.changbai.nianbao.test/",)))
    config = {**HOURLY, "portals": {"changbai": {"every": "90m"}}}
    setup.gate.touch()
    first = setup.service(config=config, max_parallel=1)
    first.start()
    tick(clock, first, hours=1)  # daan and xinfu due: one crawls, the other waits for the free slot
    running = setup.wait_for(lambda lines: len(lines) == 1)[0].split()[1]
    (queued,) = {"daan", "xinfu"} - {running}
    due: list[int] = []
    stopper = threading.Thread(target=lambda: due.append(first.stop()))
    stopper.start()
    setup.wait_for(lambda lines: f"term {running}" in lines)
    tick(clock, first, minutes=30)  # changbai falls due while the service is stopping
    setup.gate.unlink()  # the running crawl finishes its stop
    stopper.join(30)
    assert due == [3] and setup.lines() == [f"start {running}", f"term {running}", f"end {running}"]
    assert {job.id: job.next_run_time for job in stored_jobs(first.jobs_url)} == {
        "crawl:daan": START + dt.timedelta(hours=1), "crawl:xinfu": START + dt.timedelta(hours=1),
        "crawl:changbai": START + dt.timedelta(minutes=90)}
    assert "cannot schedule new futures" not in caplog.text and "Error submitting job" not in caplog.text
    assert not [r for r in caplog.records if "executed successfully" in r.getMessage()
                and (queued in r.getMessage() or "changbai" in r.getMessage())]
    again = setup.service(config=config, max_parallel=3)
    again.start()
    setup.wait_done(**{running: 2, queued: 1, "changbai": 1})  # the interrupted crawl's first "done" was at the stop
    time.sleep(0.3)
    assert sorted(line for line in setup.lines() if line.startswith("start")) == sorted(
        [f"start {running}", f"start {running}", f"start {queued}", "start changbai"])  # each once, coalesced
    assert {u.portal: u.next_run for u in again.upcoming()} == {
        "daan": START + dt.timedelta(hours=2), "xinfu": START + dt.timedelta(hours=2),
        "changbai": START + dt.timedelta(hours=3)}


@pytest.mark.e2e
def test_list_is_read_only(tmp_path: Path) -> None:
    """`schedule --list` shows an overdue run as due and leaves it so; it never creates a job store."""
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    config = tmp_path / "hourly.toml"
    config.write_text('[default]\nevery = "1h"\n', encoding="utf-8")
    archive = Archive(db)
    archive.add_portal(PortalSpec(name="daan", column_urls=("http://www.daan.nianbao.test/",)))
    service = CrawlService(db, config=load_config(config), jitter=0, command=lambda p: ["true"])
    service.start(paused=True)
    overdue = dt.datetime.now(service.tz).replace(microsecond=0) - dt.timedelta(hours=3)
    service.scheduler.modify_job("crawl:daan", jobstore="default", next_run_time=overdue)
    service.stop()
    jobs_file = tmp_path / "archive.jobs.db"
    stored = jobs_file.read_bytes()
    assert [job.next_run_time for job in stored_jobs(service.jobs_url)] == [overdue]
    archive.add_portal(PortalSpec(name="xinfu", column_urls=("http://www.xinfu.nianbao.test/",)))
    listed = run_cmd(["nianbao", "schedule", "--list", "--db", db, "--config", str(config)])
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[1].startswith("daan") and f"{overdue:%Y-%m-%d %H:%M}" in lines[1] and lines[1].endswith("(due)")
    assert lines[2].startswith("xinfu") and lines[2].endswith("(new plan, from the next start)")
    assert jobs_file.read_bytes() == stored
    assert [job.next_run_time for job in stored_jobs(service.jobs_url)] == [overdue]
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    Archive(fresh).add_portal(PortalSpec(name="daan", column_urls=("http://www.daan.nianbao.test/",)))
    assert run_cmd(["nianbao", "schedule", "--list", "--db", fresh]).returncode == 0
    assert not (tmp_path / "fresh.jobs.db").exists()


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


@pytest.mark.e2e
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


@pytest.mark.e2e
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
