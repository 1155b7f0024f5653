"""Scaling out: the demo portals cloned to ≥ 60 portals on loopback, crawled by 1, 2 and 4 `nianbao worker`
processes (Redis queue, RQ) into one fresh PostgreSQL archive each, with the default politeness delay ON
(DOWNLOAD_DELAY 1 s, AutoThrottle from 2 s), so each crawl is bound by per-host waiting, as in reality.

Printed per worker count: wall time (first job queued → last worker exited), speed-up over one worker
(the first row, in the same run), the archive's report and sighting counts and a digest of its reports
(title + clean text): identical digests = identical archives. Goal: 4 workers ≥ 3× one worker.

Usage: python benchmarks/workers.py [--copies 20] [--workers 1 2 4] [--parallel]
       [--pg postgresql://postgres@127.0.0.1:5432/test] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nianbao.demo import DemoServer, demo_portals
from nianbao.worker import dispatch, queue_state
from storage import Archive, PortalSpec
from storage.session import dispose_engine


def fresh_database(admin_url: str) -> str:
    name = f"nianbao_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'"))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    dispose_engine(url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)"))
    admin.dispose()


def digest(archive: Archive) -> str:
    rows = sorted(f"{r.title}\x00{r.body}" for r in archive.iter_reports())
    return hashlib.sha256("\x01".join(rows).encode()).hexdigest()[:12]


def prepare(copies: int, admin_url: str) -> str:
    """A fresh archive with the cloned portals registered (in this process, one at a time: Alembic's
    migration context is process-global, so archives are not opened from parallel threads)."""
    db_url = fresh_database(admin_url)
    archive = Archive(db_url)
    for p in demo_portals(copies):
        archive.add_portal(PortalSpec(name=p.name, homepage=p.homepage, column_urls=p.column_urls, cms=p.cms,
                                      level=p.level, region=p.region, region_code=p.region_code))
    return db_url


def run(workers: int, copies: int, db_url: str, redis_url: str) -> float:
    """Queue every portal and let ``workers`` `nianbao worker --burst` processes empty the queue; the wall time."""
    portals = demo_portals(copies)
    redis, queue = Redis.from_url(redis_url), f"bench-{uuid.uuid4().hex[:8]}"
    try:
        with DemoServer(portals) as server, tempfile.TemporaryDirectory() as work:
            env = {**os.environ, "NIANBAO_DEMO_PROXY": server.proxy_url}
            started = time.perf_counter()
            for p in portals:
                dispatch(redis, queue, p.name)
            procs = [subprocess.Popen([sys.executable, "-m", "nianbao.cli", "worker", "--queue", redis_url,
                                       "--db", db_url, "--queue-name", queue, "--burst", "--name", f"{queue}-{i}"],
                                      cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for i in range(workers)]
            for proc in procs:
                proc.wait()
            wall = time.perf_counter() - started
        print(f"  {workers} worker(s): {wall:.1f} s", flush=True)
        state = queue_state(redis, queue)
        if state.failed or state.queued:
            sys.exit(f"{workers} worker(s): {state.failed} failed, {state.queued} left in the queue")
        return wall
    finally:
        keys = [*redis.scan_iter(f"nianbao:{queue}:*"), *redis.scan_iter(f"rq:*{queue}*")]
        if keys:
            redis.delete(*keys)
        redis.srem("rq:queues", f"rq:queue:{queue}")  # RQ's set of every queue name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=20, help="clones of each of the 3 demo portals")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--pg", default=os.environ.get("NIANBAO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--redis", default=os.environ.get("NIANBAO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--parallel", action="store_true",
                        help="run the worker counts side by side (each its own server, queue and archive): the "
                             "whole benchmark takes as long as one worker alone; all rows share the machine alike")
    args = parser.parse_args()
    print(f"{3 * args.copies} portals, default politeness delay, one PostgreSQL archive per row"
          + (", rows run side by side" if args.parallel else ""), flush=True)
    archives = [prepare(args.copies, args.pg) for _ in args.workers]
    try:
        if args.parallel:
            with ThreadPoolExecutor(len(args.workers)) as pool:
                walls = list(pool.map(lambda job: run(job[0], args.copies, job[1], args.redis),
                                      zip(args.workers, archives, strict=True)))
        else:
            walls = [run(n, args.copies, url, args.redis) for n, url in zip(args.workers, archives, strict=True)]
        print(f"{'workers':>7} {'wall s':>8} {'speed-up':>8} {'reports':>8} {'URLs':>6}  archive digest")
        for n, wall, url in zip(args.workers, walls, archives, strict=True):
            archive = Archive(url)
            print(f"{n:>7} {wall:>8.1f} {walls[0] / wall:>7.2f}× {archive.count_reports():>8} "
                  f"{archive.count_sightings():>6}  {digest(archive)}")  # speed-up over the first row
    finally:
        for url in archives:
            drop_database(args.pg, url)

if __name__ == "__main__":
    main()
