"""The ``nianbao`` command: one module per group of commands, all reading the archive through storage."""

from __future__ import annotations

import click

from nianbao.cli.crawl import crawl, demo, runs
from nianbao.cli.export import export
from nianbao.cli.extract import extract
from nianbao.cli.gc import gc
from nianbao.cli.history import diff
from nianbao.cli.portals import portals
from nianbao.cli.query import search, show
from nianbao.cli.reextract import reextract
from nianbao.cli.schedule import schedule
from nianbao.cli.serve import serve
from nianbao.cli.stats import stats
from nianbao.cli.worker import worker, workers


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nianbao")
def main() -> None:
    """nianbao (年报): crawl and archive Chinese government information-disclosure annual reports."""


for command in (demo, crawl, portals, search, show, runs, export, serve, extract, schedule, diff, reextract, gc, stats,
                worker, workers):
    main.add_command(command)

__all__ = ["main"]
