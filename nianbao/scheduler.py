"""Scheduled background crawls: one plan per registry portal, each crawl in its own subprocess.

APScheduler 3.x (not the 4.x alpha) with these guarantees:

* **one crawl per portal at a time**: ``max_instances=1`` per portal job; a run that comes due while
  the previous one is still going is skipped, never started beside it;
* **downtime is caught up once**: ``coalesce=True`` folds every run missed while the service was down
  into one, provided it is less than ``misfire_grace_time`` late (default 2 days; older ones are dropped
  and the plan simply continues);
* **the plan survives restarts**: jobs and their next run times live in a SQLAlchemy job store, a
  SQLite file beside the archive (``<archive>.jobs.db``) unless ``--jobs-db`` names another database.
  Keeping it out of the archive keeps the archive's schema ours alone (Alembic, tests);
* **a subprocess per crawl**: a Twisted reactor cannot be restarted, and a crashed crawl cannot take
  the service down;
* **clean stop, no run lost**: on SIGTERM/SIGINT no new run starts; running crawls get SIGTERM (Scrapy
  closes the spider gracefully: every stored item is a whole transaction), are killed if still alive
  after ``stop_timeout``, and their ``crawl_run`` rows are recorded as ``interrupted``. Every run that
  did not happen — interrupted, still queued for a free slot, or falling due while stopping — is left
  due in the job store at its scheduled time, so the next start runs it (coalesced, within the grace
  time). Two things in APScheduler 3 work against that and are handled here: its thread pool starts
  queued jobs after shutdown began (the job returns at once and is logged "executed successfully",
  its next run time already moved on), hence :class:`CrawlExecutor`; and ``shutdown()`` lets the
  scheduler thread make one more pass over due jobs, handing them to the closed executor ("cannot
  schedule new futures after shutdown") while still advancing their next run time, hence
  :meth:`CrawlService.stop` detaches the job stores first;
* **reading the plan never changes it**: ``nianbao schedule --list`` reads the job store's table
  (:func:`preview`) instead of starting a scheduler, which would process (or skip) due runs.

The default plan follows the reporting season: reports appear in January–March (the legal deadline is
31 January, late ones trickle in), so every portal is crawled daily in January–April and weekly
otherwise, each portal at its own time of day (derived from its name, so stable across restarts) plus
random jitter, spreading the load over the day. A TOML file can override it per portal or per level.
"""

from __future__ import annotations

import datetime as dt
import logging
import pickle
import re
import signal
import subprocess
import sys
import threading
import tomllib
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.base import run_job
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import MetaData, Table, create_engine, inspect, select
from sqlalchemy.engine import make_url

from storage import Archive, ArchiveError, PortalSpec, open_archive
from storage.paths import beside_archive

logger = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Asia/Shanghai"  # the portals' clock: "daily in January" means China's January
SEASON_MONTHS = "1-4"  # reports appear January–March; April catches the late ones
JITTER_SECONDS = 900
GRACE = dt.timedelta(days=2)
SYNC_MINUTES = 10  # how often the registry is re-read for added/removed portals
JOB_PREFIX = "crawl:"
JOBS_TABLE = "nianbao_jobs"
_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class ScheduleError(ArchiveError):
    """A schedule configuration the service cannot use, worded for the command line."""


def parse_every(text: str) -> dt.timedelta:
    """``30m``, ``6h``, ``2d``, ``1w`` → a timedelta (at least 5 minutes: these are someone's servers)."""
    match = _EVERY.match(str(text))
    if not match:
        raise ScheduleError(f"bad interval {text!r}: use a number and m/h/d/w, e.g. 12h")
    every = dt.timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    if every < dt.timedelta(minutes=5):
        raise ScheduleError(f"interval {text!r} is shorter than 5 minutes")
    return every


def default_trigger(portal: str, tz: dt.tzinfo, jitter: int = JITTER_SECONDS) -> BaseTrigger:
    """Daily in January–April, weekly otherwise, at a time of day (and weekday) fixed per portal."""
    slot = zlib.crc32(portal.encode("utf-8"))
    hour, minute, weekday = slot // 60 % 24, slot % 60, slot // 1440 % 7
    return OrTrigger([
        CronTrigger(month=SEASON_MONTHS, hour=hour, minute=minute, timezone=tz, jitter=jitter),
        CronTrigger(month="5-12", day_of_week=weekday, hour=hour, minute=minute, timezone=tz, jitter=jitter),
    ])


def trigger_from(entry: dict[str, Any], where: str, tz: dt.tzinfo, jitter: int) -> BaseTrigger:
    """``{cron = "m h dom mon dow"}`` or ``{every = "12h"}`` from the schedule file."""
    if ("cron" in entry) == ("every" in entry):
        raise ScheduleError(f"{where}: give exactly one of cron = \"m h dom mon dow\" or every = \"12h\"")
    if "every" in entry:
        return IntervalTrigger(seconds=int(parse_every(entry["every"]).total_seconds()), timezone=tz, jitter=jitter)
    try:
        trigger = CronTrigger.from_crontab(str(entry["cron"]), timezone=tz)
    except ValueError as exc:
        raise ScheduleError(f"{where}: bad cron expression {entry['cron']!r}: {exc}") from None
    trigger.jitter = jitter
    return trigger


def load_config(path: str | Path | None) -> dict[str, Any]:
    """Read a schedule TOML file (see the README); {} when none is given."""
    if path is None:
        return {}
    try:
        config = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScheduleError(f"no such schedule file: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"{path}: {exc}") from None
    unknown = set(config) - {"default", "portals", "levels"}
    if unknown:
        raise ScheduleError(f"{path}: unknown section(s) {', '.join(sorted(unknown))} (use default, portals, levels)")
    return config


def plan_trigger(spec: PortalSpec, config: dict[str, Any], tz: dt.tzinfo, jitter: int) -> BaseTrigger:
    """The most specific rule wins: ``[portals.NAME]``, then ``[levels.LEVEL]``, then ``[default]``."""
    for section, key in (("portals", spec.name), ("levels", spec.level)):
        entry = config.get(section, {}).get(key) if key else None
        if entry:
            return trigger_from(entry, f"[{section}.{key}]", tz, jitter)
    if config.get("default"):
        return trigger_from(config["default"], "[default]", tz, jitter)
    return default_trigger(spec.name, tz, jitter)


@dataclass(frozen=True, slots=True)
class Upcoming:
    portal: str
    trigger: str
    next_run: dt.datetime | None
    note: str = ""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:
        raise ScheduleError(f"unknown time zone {name!r}") from exc


def default_jobs_url(db_url: str) -> str:
    return f"sqlite:///{beside_archive(db_url, '.jobs.db')}"


def stored_jobs(jobs_url: str) -> list[Job]:
    """The jobs in the store, read from its table without a scheduler and without writing (no store: [])."""
    url = make_url(jobs_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).expanduser().exists()):
        return []
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table(JOBS_TABLE):
                return []
            table = Table(JOBS_TABLE, MetaData(), autoload_with=conn)
            states = conn.scalars(select(table.c.job_state)).all()
    finally:
        engine.dispose()
    jobs = []
    for state in states:
        job = Job.__new__(Job)
        job.__setstate__(pickle.loads(state))  # our own job store, as SQLAlchemyJobStore itself reads it
        jobs.append(job)
    return jobs


def preview(archive: Archive, jobs_url: str, config: dict[str, Any], tz: dt.tzinfo,
            jitter: int = JITTER_SECONDS) -> list[Upcoming]:
    """Each registry portal's next run, soonest first, as the stored plan has it; read-only.

    A portal the store has no job for yet, or whose plan the configuration changes, is shown with the
    plan the service gives it at its next start.
    """
    stored = {job.id: job for job in stored_jobs(jobs_url)}
    now = dt.datetime.now(tz)
    out = []
    for spec in archive.list_portals():
        trigger = plan_trigger(spec, config, tz, jitter)
        job = stored.get(JOB_PREFIX + spec.name)
        if job is not None and str(job.trigger) == str(trigger):
            out.append(Upcoming(spec.name, str(trigger), job.next_run_time,
                                "due" if job.next_run_time and job.next_run_time <= now else ""))
        else:
            out.append(Upcoming(spec.name, str(trigger), trigger.get_next_fire_time(None, now),
                                "new plan, from the next start"))
    return sorted(out, key=lambda u: (u.next_run is None, u.next_run or now, u.portal))


class CrawlExecutor(ThreadPoolExecutor):
    """APScheduler's thread pool, except that a run that did not happen because the service is stopping is
    noted in :attr:`unrun` (job id, scheduled time) instead of being started, or logged as done.

    That covers runs still waiting for a free thread (APScheduler would start them after shutdown began)
    and crawls the stop interrupted (their job function returns False).
    """

    def __init__(self, max_workers: int, stopping: threading.Event) -> None:
        super().__init__(max_workers, {"thread_name_prefix": "nianbao-crawl"})
        self.stopping = stopping
        self.unrun: list[tuple[str, dt.datetime]] = []

    def _do_submit_job(self, job: Job, run_times: list[dt.datetime]) -> None:
        def done(future: Any) -> None:
            if future.exception() is None:
                self._run_job_success(job.id, future.result())
            else:
                self._run_job_error(job.id, future.exception(), future.exception().__traceback__)

        self._pool.submit(self._run, job, run_times).add_done_callback(done)

    def _run(self, job: Job, run_times: list[dt.datetime]) -> list[Any]:
        if self.stopping.is_set():
            self.unrun.append((job.id, run_times[0]))
            return []
        events = run_job(job, job._jobstore_alias, run_times, self._logger.name)
        if any(getattr(event, "retval", None) is False for event in events):
            self.unrun.append((job.id, run_times[0]))
        return events


_ACTIVE: list[CrawlService] = []  # the service of this process, for the job function below


def run_scheduled_crawl(portal: str) -> bool:
    """The job function (stored by reference in the job store, so it must live at module level).

    False: the crawl did not run to its end because the service is stopping (the run stays due).
    """
    if _ACTIVE:
        return _ACTIVE[0].run_portal(portal)
    logger.error("scheduled crawl of %s fired with no running service", portal)
    return True


class CrawlService:
    """The scheduler, the plan and the running crawl subprocesses of ``nianbao schedule``."""

    def __init__(self, db_url: str, *, jobs_url: str | None = None, config: dict[str, Any] | None = None,
                 timezone: str = DEFAULT_TIMEZONE, max_parallel: int = 2, grace: dt.timedelta = GRACE,
                 stop_timeout: float = 60.0, jitter: int = JITTER_SECONDS, crawl_args: Sequence[str] = (),
                 command: Callable[[str], list[str]] | None = None) -> None:
        self.db_url = db_url
        self.archive = open_archive(db_url)
        self.jobs_url = jobs_url or default_jobs_url(db_url)
        self.config = config or {}
        self.tz = zone(timezone)
        self.jitter = jitter
        self.stop_timeout = stop_timeout
        self.crawl_args = tuple(crawl_args)
        self.command = command or self.crawl_command
        self.stopping = threading.Event()
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        self.executor = CrawlExecutor(max_parallel, self.stopping)
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=self.jobs_url, tablename=JOBS_TABLE),
                       "memory": MemoryJobStore()},
            executors={"default": self.executor},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(grace.total_seconds())},
            timezone=self.tz)

    def crawl_command(self, portal: str) -> list[str]:
        return [sys.executable, "-m", "nianbao.cli", "crawl", "--portal", portal, "--db", self.db_url,
                *self.crawl_args]

    # -- the plan -------------------------------------------------------------------------------------

    def sync(self) -> tuple[int, int, int]:
        """Bring the jobs in line with the registry: (added, changed, removed).

        A job whose trigger is unchanged is left alone, so its next run time survives a restart.
        """
        wanted = {JOB_PREFIX + spec.name: (spec, plan_trigger(spec, self.config, self.tz, self.jitter))
                  for spec in self.archive.list_portals()}
        existing = {job.id: job for job in self.scheduler.get_jobs(jobstore="default")}
        added = changed = 0
        for job_id, (spec, trigger) in wanted.items():
            job = existing.get(job_id)
            if job is not None and str(job.trigger) == str(trigger):
                continue
            self.scheduler.add_job(run_scheduled_crawl, trigger, args=(spec.name,), id=job_id,
                                   name=f"crawl {spec.name}", jobstore="default", replace_existing=True)
            added, changed = (added + 1, changed) if job is None else (added, changed + 1)
        removed = [job_id for job_id in existing if job_id not in wanted]
        for job_id in removed:
            self.scheduler.remove_job(job_id, jobstore="default")
        return added, changed, len(removed)

    def upcoming(self) -> list[Upcoming]:
        """Scheduled portals, soonest first (the job store keeps them in that order)."""
        return [Upcoming(portal=job.args[0], trigger=str(job.trigger), next_run=job.next_run_time)
                for job in self.scheduler.get_jobs(jobstore="default")]

    def start(self, *, paused: bool = False, run_now: bool = False) -> None:
        """Start the scheduler (missed runs are handled here: coalesced, within the grace time) and sync the plan."""
        _ACTIVE[:] = [self]
        self.scheduler.start(paused=True)
        self.sync()
        if run_now:
            now = dt.datetime.now(self.tz)
            for job in self.scheduler.get_jobs(jobstore="default"):
                job.modify(next_run_time=now)
        self.scheduler.add_job(self.sync, IntervalTrigger(minutes=SYNC_MINUTES, timezone=self.tz),
                               id="sync-registry", jobstore="memory", replace_existing=True)
        if not paused:
            self.scheduler.resume()

    # -- running and stopping -------------------------------------------------------------------------

    def run_portal(self, portal: str) -> bool:
        """Run one crawl subprocess to its end; False when the service stopped it or stopped before it began."""
        with self._lock:
            if self.stopping.is_set():
                return False
            # Own session: a Ctrl-C in the terminal reaches the service only, which then stops the crawl itself.
            child = subprocess.Popen(self.command(portal), start_new_session=True)
            self.children[portal] = child
        logger.info("crawl of %s started (pid %d)", portal, child.pid)
        code = child.wait()
        with self._lock:
            self.children.pop(portal, None)
        if (self.stopping.is_set() and code != 0) or code < 0:  # stopped by us, or killed
            ids = self.archive.mark_interrupted(child.pid)
            logger.warning("crawl of %s interrupted (exit %d); run(s) %s recorded as interrupted", portal, code, ids)
            return not self.stopping.is_set()
        logger.info("crawl of %s ended (exit %d)", portal, code)
        return True

    def stop(self) -> int:
        """No new runs; stop running crawls cleanly (SIGTERM, then SIGKILL after ``stop_timeout``); shut down.

        Returns how many runs did not happen and stay due for the next start.
        """
        if not self.scheduler.running:
            _ACTIVE[:] = [s for s in _ACTIVE if s is not self]
            return 0
        self.scheduler.pause()
        self.scheduler.get_jobs()  # takes the job-store lock: a pass over due jobs already under way ends first
        with self._lock:
            self.stopping.set()
            children = dict(self.children)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.stop_timeout)
        for portal, child in children.items():
            remaining = (deadline - dt.datetime.now(dt.UTC)).total_seconds()
            try:
                child.wait(timeout=max(0.0, remaining))
            except subprocess.TimeoutExpired:
                logger.warning("crawl of %s did not stop within %.0fs; killing it", portal, self.stop_timeout)
                child.kill()
        self.executor.shutdown(wait=True)  # queued runs go by unrun; the job threads record interrupted runs
        due = self._leave_due()
        for alias in ("default", "memory"):  # shutdown()'s last pass over due jobs then finds none
            self.scheduler.remove_jobstore(alias)
        self.scheduler.shutdown(wait=False)
        _ACTIVE[:] = [s for s in _ACTIVE if s is not self]
        return due

    def _leave_due(self) -> int:
        """Put every run that did not happen back at its scheduled time (the earliest, if several)."""
        earliest: dict[str, dt.datetime] = {}
        for job_id, run_time in self.executor.unrun:
            earliest[job_id] = min(run_time, earliest.get(job_id, run_time))
        for job_id, run_time in earliest.items():
            job = self.scheduler.get_job(job_id, jobstore="default")
            if job is None or (job.next_run_time is not None and job.next_run_time <= run_time):
                continue
            try:
                self.scheduler.modify_job(job_id, jobstore="default", next_run_time=run_time)
            except JobLookupError:  # removed from the registry meanwhile
                continue
            logger.info("%s did not run; due again at %s", job.name, run_time)
        return len(earliest)
