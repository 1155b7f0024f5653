"""The ``nianbao`` command: one module per group of commands, all reading the archive through storage."""

from __future__ import annotations

import click

from crawler.cli.crawl import crawl, demo, runs
from crawler.cli.export import export
from crawler.cli.extract import extract
from crawler.cli.history import diff
from crawler.cli.portals import portals
from crawler.cli.query import search, show
from crawler.cli.reextract import reextract
from crawler.cli.schedule import schedule
from crawler.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nianbao")
def main() -> None:
    """nianbao (年报): crawl and archive Chinese government information-disclosure annual reports."""


for command in (demo, crawl, portals, search, show, runs, export, serve, extract, schedule, diff, reextract):
    main.add_command(command)

__all__ = ["main"]
