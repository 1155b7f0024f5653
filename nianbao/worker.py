"""Portal crawls dispatched through Redis to many ``nianbao worker`` processes feeding one archive (RQ).

The unit of work is a whole portal crawl, never a request: per-host politeness (delay, AutoThrottle,
≤2 requests per host, challenge back-off) lives inside one Scrapy process, so it only holds while one
worker owns a host. RQ (a well-kept Redis task queue) carries the jobs; this module adds what a crawl
needs on top of it (why RQ and not Scrapyd, Celery or scrapy-redis: docs/deployment.md):

* **a visibility timeout**: :class:`CrawlWorker` runs one job at a time in-process and heartbeats it
  every quarter of ``visibility``; a worker that dies stops heartbeating, and the next maintenance pass
  of any live worker finds the job abandoned and re-queues it (``Retry``), so another worker crawls
  the portal again. The crawl subprocess dies with its worker (``PR_SET_PDEATHSIG``); a killed crawl
  leaves only whole rows, as a single-machine crawl does;
* **one worker per host**: before crawling, the job takes a Redis lock on every host of the portal
  (homepage and columns), with a time to live of ``visibility`` renewed while the crawl runs, so it
  frees itself when its worker dies. A portal whose host is busy goes back to the end of the queue;
* **no portal queued twice**: ``nianbao:<queue>:portal:<name>`` names the job that owns the portal while
  it is queued, running or waiting for a retry; :func:`dispatch` enqueues only when there is none;
* **nothing dropped silently**: a crawl that fails (a lost database included) raises, RQ retries it with
  back-off (:data:`RETRY_BACKOFF`), and a job out of retries stays in RQ's failed registry, which
  ``nianbao workers`` counts. A worker that cannot reach the database waits with back-off before it
  takes the crawl.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import hashlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from redis import Redis
from redis.exceptions import LockError
from redis.lock import Lock
from rq import Queue, Retry, SimpleWorker, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.worker import WorkerStatus
from sqlalchemy import text

from nianbao.scheduler import CrawlService
from storage import Archive, ArchiveError, PortalSpec, open_archive

logger = logging.getLogger(__name__)

DEFAULT_QUEUE = "nianbao"
VISIBILITY = 120  # seconds without a heartbeat after which a crawl counts as abandoned and is crawled again
CRAWL_TIMEOUT = 6 * 3600  # a portal crawl longer than this is stuck
RETRY_BACKOFF = [60, 300, 1800]  # a failed crawl is tried again after these pauses, then left in the failed registry
HOST_BUSY_PAUSE = 1.0  # before a portal whose host another worker holds goes back to the end of the queue
DB_BACKOFF = (5.0, 300.0)  # first and longest wait while the database does not answer
LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
_PR_SET_PDEATHSIG = 1

_ACTIVE: list[CrawlWorker] = []  # the worker of this process, for the job function (RQ stores it by name)


class HostBusy(Exception):
    """Another worker holds one of the portal's hosts."""


def portal_key(queue: str, portal: str) -> str:
    return f"nianbao:{queue}:portal:{portal}"


def host_key(queue: str, host: str) -> str:
    return f"nianbao:{queue}:host:{host}"


def portal_hosts(spec: PortalSpec) -> list[str]:
    """Every host the portal's crawl starts on, sorted (locks are taken in one order: no deadlock)."""
    urls = [spec.homepage, *spec.column_urls] if spec.homepage else list(spec.column_urls)
    return sorted({(urlsplit(u).hostname or "").lower() for u in urls} - {""})


def connect(url: str) -> Redis:
    return Redis.from_url(url)


def live_job(redis: Redis, queue: str, portal: str) -> Job | None:
    """The job that owns the portal now (queued, running or waiting for a retry), if any."""
    job_id = redis.get(portal_key(queue, portal))
    if job_id is None:
        return None
    try:
        job = Job.fetch(job_id.decode(), connection=redis)
    except NoSuchJobError:
        return None
    return job if job.get_status() in LIVE else None


def dispatch(redis: Redis, queue: str, portal: str, backoff: Sequence[int] = RETRY_BACKOFF) -> Job | None:
    """Queue a crawl of ``portal`` unless one is already queued or running; the new job, or None.

    ``backoff``: the pauses before each retry of a failed or abandoned crawl.
    """
    key = portal_key(queue, portal)
    with redis.lock(f"{key}:enqueue", timeout=10):  # two schedulers never both see "none" and both enqueue
        if live_job(redis, queue, portal) is not None:
            return None
        return _enqueue(redis, queue, portal, backoff)


def _enqueue(redis: Redis, queue: str, portal: str, backoff: Sequence[int]) -> Job:
    job_id = f"crawl-{hashlib.sha1(portal.encode()).hexdigest()[:12]}-{uuid.uuid4().hex[:8]}"
    redis.set(portal_key(queue, portal), job_id)
    return Queue(queue, connection=redis).enqueue(
        crawl_portal, portal, job_id=job_id, job_timeout=CRAWL_TIMEOUT,
        retry=Retry(max=len(backoff), interval=list(backoff)), description=f"crawl {portal}",
        result_ttl=86400, failure_ttl=30 * 86400)


class HostLocks:
    """Redis locks on a portal's hosts with a time to live, renewed by a heartbeat thread while held."""

    def __init__(self, redis: Redis, queue: str, hosts: Sequence[str], ttl: float) -> None:
        # not thread-local: the heartbeat thread renews locks the job's thread took (redis-py keeps a lock's token
        # per thread by default, and a renewal from another thread then fails on its first tick)
        self.locks = [Lock(redis, host_key(queue, h), timeout=ttl, thread_local=False) for h in hosts]
        self.hosts = list(hosts)
        self.ttl = ttl
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def __enter__(self) -> HostLocks:
        taken: list[Lock] = []
        for host, lock in zip(self.hosts, self.locks, strict=True):
            if not lock.acquire(blocking=False, token=uuid.uuid4().hex):
                for held in taken:
                    held.release()
                raise HostBusy(host)
            taken.append(lock)
        self._beat = threading.Thread(target=self._renew, name="nianbao-host-locks", daemon=True)
        self._beat.start()
        return self

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 4):
            for lock in self.locks:
                try:
                    lock.reacquire()
                except LockError:
                    logger.error("lost the lock of host %s (its time to live ran out)", lock.name)

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
        for lock in self.locks:
            with contextlib.suppress(LockError):  # expired meanwhile: nothing left to give back
                lock.release()


def _die_with_worker() -> None:
    """In a child of the worker (Linux): killed when its worker dies, so a dead worker leaves no orphan crawl
    holding the portal's lock while another worker takes the portal over, and no orphan RQ scheduler process."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass(frozen=True, slots=True)
class CrawlSettings:
    """What a worker passes to every crawl it runs."""

    db_url: str
    crawl_args: tuple[str, ...] = ()
    visibility: float = VISIBILITY

    def command(self, portal: str) -> list[str]:
        return [sys.executable, "-m", "nianbao.cli", "crawl", "--portal", portal, "--db", self.db_url,
                *self.crawl_args]


def crawl_portal(portal: str) -> int:
    """The job: lock the portal's hosts, crawl it in a subprocess, give the locks back; the crawl's exit code.

    Raises on a failed crawl (RQ retries it with back-off); a portal whose host is busy is re-queued.
    """
    worker, job = _ACTIVE[0], get_current_job()
    assert job is not None
    redis, queue = job.connection, job.origin
    spec = worker.wait_for_archive().get_portal(portal)
    if spec is None:
        redis.delete(portal_key(queue, portal))
        raise ArchiveError(f"no portal named {portal!r} in the registry of {worker.settings.db_url}")
    try:
        with HostLocks(redis, queue, portal_hosts(spec), worker.settings.visibility):
            code = worker.run_crawl(portal)
    except HostBusy as busy:
        logger.info("%s: host %s is being crawled by another worker; back to the queue", portal, busy)
        time.sleep(HOST_BUSY_PAUSE)
        _enqueue(redis, queue, portal, job.retry_intervals or RETRY_BACKOFF)
        return -1
    if code != 0:
        raise RuntimeError(f"crawl of {portal} exited with {code}")
    if redis.get(portal_key(queue, portal)) == job.id.encode():
        redis.delete(portal_key(queue, portal))
    return code


class CrawlWorker(SimpleWorker):
    """An RQ worker running one portal crawl at a time, heartbeating it so a dead worker's crawl is redone.

    ``SimpleWorker`` (no fork) because the crawl already runs in its own subprocess, which must die with
    this process; RQ's own ``Worker`` would put a work horse between them that outlives a killed worker.
    """

    def __init__(self, queues: Sequence[Queue], settings: CrawlSettings, **kwargs: Any) -> None:
        beat = max(1, int(settings.visibility / 4))
        super().__init__(list(queues), job_monitoring_interval=beat, maintenance_interval=max(1, beat * 2),
                         worker_ttl=max(20, int(settings.visibility)), **kwargs)
        self.settings = settings
        self.child: subprocess.Popen[bytes] | None = None
        _ACTIVE[:] = [self]
        os.register_at_fork(after_in_child=_die_with_worker)  # RQ's scheduler process too: no orphan outlives us

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        """The visibility timeout: a job not heartbeaten for this long is abandoned and re-queued."""
        return int(self.settings.visibility)

    def execute_job(self, job: Job, queue: Queue) -> None:
        execution = self.prepare_execution(job)
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.job_monitoring_interval):
                self.maintain_heartbeats(job, execution)

        heart = threading.Thread(target=beat, name="nianbao-heartbeat", daemon=True)
        heart.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            done.set()
            heart.join()
        self.set_state(WorkerStatus.IDLE)

    def wait_for_archive(self) -> Archive:
        """The archive, once its database answers: waits with doubling pauses rather than failing the job."""
        pause, longest = DB_BACKOFF
        while True:
            try:
                archive = open_archive(self.settings.db_url)
                with archive.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return archive
            except Exception as exc:  # any driver error: the database is away, not the job wrong
                logger.warning("database %s does not answer (%s); retrying in %.0fs",
                               self.settings.db_url, exc, pause)
                time.sleep(pause)
                pause = min(pause * 2, longest)

    def run_crawl(self, portal: str) -> int:
        """One ``nianbao crawl --portal`` subprocess to its end; stopped with the job if the worker stops."""
        self.child = subprocess.Popen(self.settings.command(portal), preexec_fn=_die_with_worker)
        try:
            return self.child.wait()
        finally:
            if self.child.poll() is None:  # the worker is being stopped: let Scrapy close the spider cleanly
                self.child.send_signal(signal.SIGTERM)
                try:
                    self.child.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    self.child.kill()
            self.child = None


class DispatchService(CrawlService):
    """``nianbao schedule --dispatch``: the same plan, but a due portal is queued for the workers, not crawled."""

    def __init__(self, db_url: str, redis_url: str, queue: str = DEFAULT_QUEUE, **kwargs: Any) -> None:
        super().__init__(db_url, **kwargs)
        self.redis = connect(redis_url)
        self.queue = queue

    def run_portal(self, portal: str) -> bool:
        job = dispatch(self.redis, self.queue, portal)
        logger.info("%s: %s", portal, f"queued as {job.id}" if job else "already queued or running; not queued again")
        return True


@dataclass(frozen=True, slots=True)
class WorkerState:
    name: str
    state: str
    portal: str | None
    since: dt.datetime | None


@dataclass(frozen=True, slots=True)
class QueueState:
    queued: int
    running: int
    waiting_retry: int
    failed: int
    workers: list[WorkerState]


def queue_state(redis: Redis, queue: str) -> QueueState:
    """What ``nianbao workers`` shows: every live worker of the queue and what it crawls, and the job counts."""
    q = Queue(queue, connection=redis)
    workers = []
    for w in sorted(SimpleWorker.all(queue=q), key=lambda w: w.name):
        job = w.get_current_job()
        workers.append(WorkerState(w.name, str(w.get_state()), job.args[0] if job else None,
                                   job.started_at if job else None))
    return QueueState(queued=len(q), running=q.started_job_registry.count,
                      waiting_retry=q.scheduled_job_registry.count, failed=q.failed_job_registry.count,
                      workers=workers)
