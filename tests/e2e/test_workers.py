"""Portal crawls dispatched through the real Redis to real `nianbao worker` processes feeding one real
PostgreSQL archive: the reports of a single-process crawl, a SIGKILLed worker's portal finished by another,
one host never crawled by two workers at once, and a scheduler that never queues a portal twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.job import JobStatus

from nianbao.demo import DemoServer, demo_portals
from nianbao.worker import DispatchService, dispatch, live_job, queue_state
from storage import Archive, PortalSpec
from tests.support.commands import run_cmd
from tests.support.crawls import assert_archive_matches_demo, register
from tests.support.workers import REDIS_URL, redis_or_reason, start_worker, unique_queue, wait_until

PORTALS = demo_portals()


@pytest.fixture
def redis() -> Redis:
    client, reason = redis_or_reason()
    if client is None:
        pytest.skip(reason)
    return client


@pytest.fixture
def queue(redis: Redis) -> Iterator[str]:
    with unique_queue(redis) as name:
        yield name


def finish(workers: list[subprocess.Popen[str]], timeout: float = 240) -> None:
    for w in workers:
        try:
            w.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            w.kill()
            raise


def stop(workers: list[subprocess.Popen[str]]) -> None:
    for w in workers:
        if w.poll() is None:
            os.killpg(w.pid, signal.SIGKILL)
            w.wait()


@pytest.mark.e2e
def test_two_workers_crawl_the_demo_portals_into_one_archive(redis: Redis, queue: str, pg_url: str,
                                                             demo: DemoServer, tmp_path: Path) -> None:
    register(pg_url, PORTALS)
    logs = [str(tmp_path / f"w{i}.log") for i in (1, 2)]
    workers = [start_worker(queue, pg_url, demo.proxy_url, tmp_path, name=f"{queue}-w{i}", log=logs[i - 1])
               for i in (1, 2)]
    try:
        wait_until(lambda: len(queue_state(redis, queue).workers) == 2, 60, "both workers to listen")
        for p in PORTALS:
            assert dispatch(redis, queue, p.name) is not None
        wait_until(lambda: all(live_job(redis, queue, p.name) is None for p in PORTALS), 240, "the crawls")
        for w in workers:
            w.terminate()  # SIGTERM: idle workers exit at once
        finish(workers)
    finally:
        stop(workers)
    assert [w.returncode for w in workers] == [0, 0]
    assert_archive_matches_demo(Archive(pg_url))  # exactly what one `nianbao crawl` of these portals stores
    done = [Path(log).read_text().count("Job OK") for log in logs]
    assert sum(done) == len(PORTALS) and all(done), done  # both workers crawled, each portal once
    assert not Queue(queue, connection=redis).failed_job_registry.count


@pytest.mark.e2e
def test_a_worker_killed_mid_crawl_has_its_portal_finished_by_another(redis: Redis, queue: str, pg_url: str,
                                                                      demo: DemoServer, tmp_path: Path) -> None:
    register(pg_url, PORTALS)
    for p in PORTALS:
        dispatch(redis, queue, p.name, backoff=[1, 1, 1])
    slow = ("DOWNLOAD_DELAY=0.3", "AUTOTHROTTLE_ENABLED=0")  # long enough to be caught mid-crawl
    first = start_worker(queue, pg_url, demo.proxy_url, tmp_path, name=f"{queue}-a", settings=slow, visibility=6,
                         log=str(tmp_path / "a.log"))
    second: subprocess.Popen[str] | None = None
    try:
        wait_until(lambda: any(w.portal for w in queue_state(redis, queue).workers), 60, "the first crawl")
        victim = next(w.portal for w in queue_state(redis, queue).workers if w.portal)
        host = next(p.host for p in PORTALS if p.name == victim)
        wait_until(lambda: sum(h == host for h, _, _ in demo.requests) > 5, 60, "the crawl to be under way")
        first.kill()  # SIGKILL: no clean-up of any kind; its crawl subprocess dies with it
        first.wait()
        second = start_worker(queue, pg_url, demo.proxy_url, tmp_path, name=f"{queue}-b", visibility=6,
                              log=str(tmp_path / "b.log"))
        wait_until(lambda: all(live_job(redis, queue, p.name) is None for p in PORTALS), 180,
                   "every portal, the killed worker's included, to be crawled")
    finally:
        stop([w for w in (first, second) if w is not None])
    assert_archive_matches_demo(Archive(pg_url))
    assert not Queue(queue, connection=redis).failed_job_registry.count
    assert f"crawl {victim}" in (tmp_path / "b.log").read_text()


@pytest.mark.e2e
def test_two_portals_on_one_host_are_never_crawled_at_once(redis: Redis, queue: str, pg_url: str,
                                                           tmp_path: Path) -> None:
    daan = next(p for p in PORTALS if p.name == "daan")
    county, towns = daan.column_urls  # two registry portals, one per column, on the same host
    archive = Archive(pg_url)
    for name, column in (("daan-county", county), ("daan-towns", towns)):
        archive.add_portal(PortalSpec(name=name, column_urls=(column,), cms=daan.cms))
    with DemoServer([daan]) as server:  # its own server: its request log is this test's alone
        for name in ("daan-county", "daan-towns"):
            dispatch(redis, queue, name)
        workers = [start_worker(queue, pg_url, server.proxy_url, tmp_path, name=f"{queue}-w{i}", burst=True)
                   for i in (1, 2)]
        try:
            finish(workers)
        finally:
            stop(workers)
        log = [target for host, target, _ in server.requests if host == daan.host]
    # Each crawl starts with robots.txt. The second crawl's robots.txt comes only after every report page of
    # the portal crawled first (the demo's own list of them): the first crawl had ended when the second began.
    robots = [i for i, target in enumerate(log) if target == "/robots.txt"]
    assert len(robots) == 2, log
    starts = {column: log.index(column.removeprefix(f"http://{daan.host}")) for column in (county, towns)}
    first_towns = starts[towns] < starts[county]
    first_pages = {path for d in daan.documents if d.kind == "report" for path in d.paths
                   if ("/jdnb/" in path) == first_towns}
    assert first_pages and first_pages <= set(log[:robots[1]]), log
    runs = sorted(Archive(pg_url).list_runs(10), key=lambda r: r.started_at)
    assert len(runs) == 2 and runs[0].finished_at is not None and runs[0].finished_at <= runs[1].started_at


def test_the_dispatching_scheduler_never_queues_a_portal_twice(redis: Redis, queue: str, sqlite_url: str) -> None:
    register(sqlite_url, PORTALS)
    service = DispatchService(sqlite_url, REDIS_URL or "", queue=queue)
    q = Queue(queue, connection=redis)
    for _ in range(3):  # every run of the plan, coming due again and again
        for p in PORTALS:
            assert service.run_portal(p.name)
    assert sorted(j.args[0] for j in q.jobs) == sorted(p.name for p in PORTALS)
    job = q.jobs[0]
    portal = job.args[0]
    q.remove(job)  # as a worker takes it: out of the queue, started
    job.set_status(JobStatus.STARTED)
    service.run_portal(portal)
    assert portal not in [j.args[0] for j in q.jobs]  # running: not queued again
    job.set_status(JobStatus.FINISHED)
    service.run_portal(portal)
    assert [j.args[0] for j in q.jobs].count(portal) == 1  # done: the next due run queues it again
    assert queue_state(redis, queue).queued == len(PORTALS)


@pytest.mark.e2e
def test_a_worker_without_its_database_waits_and_keeps_the_crawl(redis: Redis, queue: str, tmp_path: Path) -> None:
    dispatch(redis, queue, "daan")
    log = tmp_path / "w.log"
    gone = "postgresql://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
    worker = start_worker(queue, gone, "http://127.0.0.1:1", tmp_path, name=f"{queue}-w", log=str(log))
    try:
        wait_until(lambda: log.exists() and "does not answer" in log.read_text(), 60, "the database back-off")
        state = queue_state(redis, queue)
        assert (state.queued, state.running, state.failed) == (0, 1, 0)  # held, not failed, not dropped
        assert [w.portal for w in state.workers] == ["daan"]
        shown = run_cmd(["nianbao", "workers", "--queue", REDIS_URL or "", "--queue-name", queue])
        assert shown.returncode == 0, shown.stderr
        assert f"{queue}-w" in shown.stdout and "daan since" in shown.stdout
        assert "0 queued, 1 running, 0 waiting to retry, 0 failed" in shown.stdout
    finally:
        stop([worker])


@pytest.mark.e2e
def test_nianbao_schedule_dispatch_queues_each_due_portal_once(redis: Redis, queue: str, sqlite_url: str,
                                                               tmp_path: Path) -> None:
    register(sqlite_url, PORTALS)
    q = Queue(queue, connection=redis)
    for _ in range(2):  # started twice with --run-now: every portal due twice, queued once
        service = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "schedule", "--db", sqlite_url, "--run-now",
                                    "--dispatch", REDIS_URL or "", "--queue-name", queue], cwd=tmp_path,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert service.stdout is not None
            while "scheduler running" not in (line := service.stdout.readline()):  # the plan is live from here
                assert line, "the scheduler exited"
            wait_until(lambda: len(q) == len(PORTALS), 60, "the due portals to be queued")
            time.sleep(2)  # every portal has come due by now; a double queueing would show
        finally:
            service.send_signal(signal.SIGTERM)
            out, _ = service.communicate(timeout=60)
        assert service.returncode == 0, out
    assert sorted(j.args[0] for j in q.jobs) == sorted(p.name for p in PORTALS)
