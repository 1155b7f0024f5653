"""Helpers for the worker tests and benchmark: a unique queue in the real Redis, `nianbao worker` subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from redis import Redis

REDIS_URL = os.environ.get("NIANBAO_TEST_REDIS_URL")
NO_DELAY = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=0")  # the demo portals are ours, on loopback


def redis_or_reason() -> tuple[Redis | None, str]:
    """The test Redis, or why the worker tests cannot run."""
    if not REDIS_URL:
        return None, "NIANBAO_TEST_REDIS_URL is not set (.ci/run sets it when Redis answers on 127.0.0.1:6379)"
    redis = Redis.from_url(REDIS_URL)
    try:
        redis.ping()
    except OSError as exc:
        return None, f"Redis at {REDIS_URL} does not answer: {exc}"
    return redis, ""


@contextmanager
def unique_queue(redis: Redis) -> Iterator[str]:
    """A queue name no other (parallel) test uses; its keys are deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        keys = [*redis.scan_iter(f"nianbao:{name}:*"), *redis.scan_iter(f"rq:*{name}*")]
        if keys:
            redis.delete(*keys)
        redis.srem("rq:queues", f"rq:queue:{name}")  # RQ's set of every queue name


def start_worker(queue: str, db_url: str, proxy: str, cwd: Path, *, name: str, settings: Sequence[str] = NO_DELAY,
                 visibility: float = 120, burst: bool = False, redis_url: str | None = None,
                 log: str | None = None) -> subprocess.Popen[str]:
    """A real `nianbao worker` process (its own session, so the test can kill exactly it).

    ``cwd``: where a PostgreSQL archive's HTTP cache and file store go (storage/paths.py): per test.
    """
    args = [sys.executable, "-m", "nianbao.cli", "worker", "--queue", redis_url or REDIS_URL or "", "--db", db_url,
            "--queue-name", queue, "--name", name, "--visibility", str(visibility),
            *(["--burst"] if burst else []), *[a for s in settings for a in ("-s", s)]]
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - the child owns it
    return subprocess.Popen(args, cwd=cwd, env={**os.environ, "NIANBAO_DEMO_PROXY": proxy, "PYTHONUNBUFFERED": "1"},
                            stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)
