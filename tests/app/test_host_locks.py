"""The host locks a worker holds while it crawls a portal (nianbao.worker.HostLocks), on the real Redis: renewed by
their heartbeat thread for as long as the crawl runs, so a crawl longer than the locks' time to live keeps its hosts
(another worker cannot take them), and given back when it ends."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from redis import Redis

from nianbao.worker import HostBusy, HostLocks, host_key
from tests.support.workers import redis_or_reason, unique_queue


@pytest.fixture
def queue() -> Iterator[tuple[Redis, str]]:
    client, reason = redis_or_reason()
    if client is None:
        pytest.skip(reason)
    with unique_queue(client) as name:
        yield client, name


def test_locks_outlive_their_ttl_while_held(queue: tuple[Redis, str], caplog: pytest.LogCaptureFixture) -> None:
    redis, name = queue
    hosts = ["a.example.gov.cn", "b.example.gov.cn"]
    with HostLocks(redis, name, hosts, ttl=1.5):
        time.sleep(4.0)  # over twice the time to live: only the heartbeat's renewals keep the keys
        assert all(redis.exists(host_key(name, h)) for h in hosts)
        with pytest.raises(HostBusy), HostLocks(redis, name, hosts[1:], ttl=1.5):
            pass
    assert not any(redis.exists(host_key(name, h)) for h in hosts)
    assert "lost the lock" not in caplog.text
