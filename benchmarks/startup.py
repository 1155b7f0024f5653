"""Start-up time of the `nianbao` command against `python -c pass` and `scrapy version`, in the same run.

Each command is a fresh process, as a user types it: ``nianbao --help``, ``nianbao search`` on a small
SQLite archive, ``nianbao portals list`` on the same archive, and the two baselines (the interpreter
alone, and Scrapy's own command, which imports what a crawl imports). Rounds are interleaved (every
command once per round, in a rotating order) after one warm-up round, so a busy moment of the shared
machine hits all commands alike. Prints the median and the fastest round of each, and the ratios of
the medians to both baselines. Goal: `nianbao --help` under 0.3 s.

Usage: python benchmarks/startup.py [--rounds 9]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storage import Archive, PortalSpec

ROOT = Path(__file__).resolve().parents[1]
GOAL_HELP_S = 0.3


def _script(name: str) -> list[str]:
    """The installed console script beside this interpreter (what a user runs), else ``python -m``."""
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", {"nianbao": "nianbao.cli"}.get(name, name)]


def commands(db_url: str) -> dict[str, list[str]]:
    nianbao = _script("nianbao")
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "scrapy version": [*_script("scrapy"), "version"],
        "nianbao --help": [*nianbao, "--help"],
        "nianbao search": [*nianbao, "search", "年度报告", "--db", db_url],
        "nianbao portals list": [*nianbao, "portals", "list", "--db", db_url],
    }


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'startup.db'}"
        Archive(db_url).add_portal(PortalSpec(name="daan", homepage="http://www.daan.gov.cn/"))
        env = {k: v for k, v in os.environ.items() if k not in ("NIANBAO_DB", "NIANBAO_DEMO_PROXY")}
        cmds = commands(db_url)
        names = list(cmds)
        times: dict[str, list[float]] = {name: [] for name in names}
        for name in names:  # warm-up: file cache, .pyc files
            timed(cmds[name], env)
        for r in range(args.rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                times[name].append(timed(cmds[name], env))
    median = {name: statistics.median(t) for name, t in times.items()}
    python, scrapy = median["python -c pass"], median["scrapy version"]
    print(f"start-up, {args.rounds} interleaved rounds (seconds; ratios of medians)\n")
    print(f"| {'command':<22} | median | fastest | × python -c pass | × scrapy version |")
    print(f"|{'-' * 24}|-------:|--------:|-----------------:|-----------------:|")
    for name in names:
        print(f"| {name:<22} | {median[name]:6.3f} | {min(times[name]):7.3f} | "
              f"{median[name] / python:16.1f} | {median[name] / scrapy:16.2f} |")
    help_s = median["nianbao --help"]
    print(f"\nnianbao --help: {help_s:.3f} s median ({'meets' if help_s < GOAL_HELP_S else 'misses'} "
          f"the {GOAL_HELP_S} s goal), {help_s / scrapy:.2f}× scrapy version")


if __name__ == "__main__":
    main()
