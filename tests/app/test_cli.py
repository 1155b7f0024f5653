"""The `nianbao` command: lazy start-up, live crawl progress on a terminal only, and a demo summary that
marks the demo's deliberate failures as expected while real errors stay errors."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from rich.console import Console

from nianbao.cli import COMMANDS, main
from nianbao.cli.progress import counts_line, live_progress
from nianbao.cli.summary import render
from nianbao.demo import DemoServer, demo_portals
from nianbao.demo.showcase import deliberate_failures, showcase_portals
from nianbao.runner import CrawlProgress
from storage import Archive, RunView
from tests.support import ROOT
from tests.support.monitoring import crawl, register
from tests.support.sample_archive import load

HEAVY = ("scrapy", "sqlalchemy", "alembic", "storage", "twisted")
# terminal detection as rich does it: these variables would force it either way
TERMINAL_ENV = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR")


def run_in_fresh_python(args: list[str]) -> dict[str, object]:
    """Run `nianbao ARGS` in a new interpreter; its output and which heavy packages it imported."""
    code = ("import io, json, sys, contextlib\nfrom nianbao.cli import main\nout = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n"
            "    try:\n        main(sys.argv[1:], standalone_mode=False)\n"
            "    except SystemExit:\n        pass\n"
            f"print(json.dumps({{'out': out.getvalue(), 'imported': [m for m in {HEAVY!r} if m in sys.modules]}}))")
    result = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_help_lists_every_command_without_importing_any() -> None:
    shown = run_in_fresh_python(["--help"])
    assert shown["imported"] == []
    listed = re.findall(r"^  (\w+)  ", str(shown["out"]).split("Commands:")[1], re.M)
    assert listed == list(COMMANDS)


def test_every_listed_command_loads_under_its_name() -> None:
    ctx = click.Context(main)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name
    assert main.get_command(ctx, "nope") is None


@pytest.mark.e2e
def test_search_runs_without_scrapy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    load(url)
    found = run_in_fresh_python(["search", "站前街道", "--db", url])
    assert "新抚区站前街道2017年政府信息公开工作年度报告" in str(found["out"])
    assert "scrapy" not in found["imported"] and "twisted" not in found["imported"]


def _frames(stderr: str) -> list[str]:
    """The progress lines a terminal was sent, escape sequences removed, in order."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", stderr).replace("\r", "\n")
    return [line for line in text.splitlines() if re.match(r"\s*\d+/(\d+|\?) portals ", line)]


@pytest.mark.e2e
def test_crawl_shows_live_progress_on_a_terminal_only(demo: DemoServer, tmp_path: Path) -> None:
    """A real crawl of the three CMS demo portals with stderr taken for a terminal: portals done only go up, and
    the last frame shows the run's own counts; the re-crawl with stderr a pipe prints the summary and nothing else."""
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    register(db, demo_portals())
    plain = {k: v for k, v in os.environ.items() if k not in TERMINAL_ENV}
    shown = crawl(demo, db, env={**plain, "TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "200"})
    run = Archive(db).list_runs()[0]
    frames = _frames(shown.stderr)
    assert frames, shown.stderr[-2000:]
    assert frames[-1].startswith("3/3 portals ")
    assert (f" {run.stats['downloader/response_count']} pages, {run.stats['nianbao/reports/new']} new, 0 changed, "
            "0 errors ") in frames[-1]
    assert run.stats["nianbao/reports/new"] > 0
    done = [int(m) for f in frames for m in re.findall(r"(\d+)/3 portals", f)]
    assert done == sorted(done) and done[-1] == 3  # a portal once done stays done
    assert shown.stdout.startswith(f"crawl run {run.id}: finished\n")

    quiet = crawl(demo, db, env=plain)
    assert _frames(quiet.stderr) == [] and "portals" not in quiet.stderr
    assert quiet.stdout.startswith(f"crawl run {run.id + 1}: finished\n")
    assert "nothing new" in quiet.stdout


def _demo_run(errors: list[dict[str, str]]) -> RunView:
    """A finished run of the showcase portals with ``errors`` (and their per-portal error counters)."""
    stats: dict[str, int] = {"nianbao/errors": len(errors)}
    for p in showcase_portals():
        stats[f"nianbao/portal/{p.name}/list_pages"] = 0 if p.name == "tongyu" else 2
        stats[f"nianbao/portal/{p.name}/reports/new"] = 0 if p.name == "tongyu" else 3
    for err in errors:
        key = f"nianbao/portal/{err['portal']}/errors"
        stats[key] = stats.get(key, 0) + 1
    now = dt.datetime(2024, 3, 1, 8, 0)
    return RunView(id=7, started_at=now, finished_at=now, finish_reason="finished",
                   portals=tuple(p.name for p in showcase_portals()), stats=stats, errors=tuple(errors))


def test_summary_marks_the_demos_deliberate_failures_and_keeps_real_errors() -> None:
    expected = deliberate_failures(showcase_portals())
    broken = sorted(next(f.urls for f in expected if f.portal == "minhou"))
    challenged = {"portal": "tongyu", "stage": "list", "reason": "challenged: HTTP 412 (瑞数 $_ts cookie script)",
                  "url": "http://www.tongyu.nianbao.test/zwgk/zfxxgknb/"}
    deliberate = [challenged, *({"portal": "minhou", "stage": "attachment", "reason": "attachment corrupt",
                                 "url": u} for u in broken)]
    real = [{"portal": "minhou", "stage": "attachment", "reason": "attachment corrupt",
             "url": "http://www.minhou.nianbao.test/zwgk/zfxxgknb/202401/P0202401181181.pdf"},
            {"portal": "daan", "stage": "list", "reason": "HTTP 500", "url": "http://www.daan.nianbao.test/zwgk/"}]
    out = render(_demo_run([*deliberate, *real]), expected)
    assert "; 2 error(s); 3 expected failure(s)" in out
    assert "  error [minhou] attachment: attachment corrupt <http://www.minhou.nianbao.test/zwgk/zfxxgknb/202401/" \
           "P0202401181181.pdf>" in out
    assert "  error [daan] list: HTTP 500" in out
    assert "error [tongyu]" not in out and not any(f"error [minhou] attachment: attachment corrupt <{u}>" in out
                                                    for u in broken)
    assert "  expected [tongyu] this demo portal simulates a 瑞数 anti-bot gateway" in out
    assert "      list: challenged: HTTP 412 (瑞数 $_ts cookie script) <http://www.tongyu.nianbao.test/" in out
    assert "  expected [minhou] this demo portal links a truncated PDF" in out
    tongyu_row = next(line for line in out.splitlines() if line.startswith("tongyu "))
    assert tongyu_row.split()[-4:] == ["0", "0", "(+1", "expected)"]  # skipped, errors, note

    plain = render(_demo_run(deliberate))  # a registry crawl: no failure is anyone's plan
    assert "; 3 error(s)\n" in plain and "expected" not in plain
    assert "  error [tongyu] list: challenged: HTTP 412" in plain


def test_progress_renders_counts_on_a_terminal_and_nothing_elsewhere() -> None:
    expected = deliberate_failures(showcase_portals())
    challenged = {"portal": "tongyu", "stage": "list", "reason": "challenged", "url": "http://x/"}
    real = {"portal": "daan", "stage": "list", "reason": "HTTP 500", "url": "http://y/"}
    step = CrawlProgress(portals_done=4, portals_total=6, pages=87, new=51, changed=2, errors=(challenged, real),
                         error_count=2)
    assert counts_line(step, expected) == "87 pages, 51 new, 2 changed, 1 errors (+1 expected)"
    assert counts_line(step) == "87 pages, 51 new, 2 changed, 2 errors"

    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, force_interactive=True, width=160)
    with live_progress(expected, terminal) as show:
        assert show is not None
        show(step)
    frames = _frames(screen.getvalue())
    assert frames and frames[-1].startswith("4/6 portals ")
    assert " 87 pages, 51 new, 2 changed, 1 errors (+1 expected) " in frames[-1]

    pipe = io.StringIO()
    with live_progress(expected, Console(file=pipe, force_terminal=False)) as show:
        assert show is None
    assert pipe.getvalue() == ""
