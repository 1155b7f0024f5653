"""Live progress of `nianbao crawl` / `nianbao demo` on a terminal (rich), and nothing at all elsewhere.

The display runs on stderr and only when rich sees an interactive terminal there (rich's own rules:
``TTY_COMPATIBLE``/``FORCE_COLOR``/``TTY_INTERACTIVE`` override the detection), so output piped to a
file, a log or a test is exactly what it was without it. Scrapy's log lines, opened after the display
starts, print above it instead of tearing it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nianbao.demo.showcase import DeliberateFailure, deliberate
from nianbao.runner import CrawlProgress


def counts_line(p: CrawlProgress, expected: Sequence[DeliberateFailure] = ()) -> str:
    """Pages, reports new/changed and errors, with the demo's deliberate failures counted apart."""
    expected_now = sum(1 for err in p.errors if deliberate(expected, err))
    line = f"{p.pages} pages, {p.new} new, {p.changed} changed, {p.error_count - expected_now} errors"
    return line + (f" (+{expected_now} expected)" if expected_now else "")


@contextmanager
def live_progress(expected: Sequence[DeliberateFailure] = (),
                  console: Console | None = None) -> Iterator[Callable[[CrawlProgress], None] | None]:
    """Yield a progress callback for :func:`nianbao.runner.run_crawl`, or None when not on a terminal.

    The display is transient: when the crawl ends it gives way to the run's summary.
    """
    console = console or Console(stderr=True)
    if not console.is_interactive:
        yield None
        return
    # on 80 columns the counts and the clock keep their room; a wider terminal gives it to the bar
    with Progress(MofNCompleteColumn(), TextColumn("portals"), BarColumn(bar_width=None),
                  TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), console=console, expand=True,
                  transient=True) as bar:
        task = bar.add_task("crawl", total=None, counts="starting")

        def show(p: CrawlProgress) -> None:
            bar.update(task, completed=p.portals_done, total=p.portals_total or None, counts=counts_line(p, expected))

        yield show
