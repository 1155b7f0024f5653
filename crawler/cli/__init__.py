"""The ``nianbao`` command: one module per group of commands, all reading the archive through storage."""

from __future__ import annotations

import click

from crawler.cli.crawl import crawl, demo, runs
from crawler.cli.portals import portals
from crawler.cli.query import search, show


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nianbao")
def main() -> None:
    """nianbao (年报): crawl and archive Chinese government information-disclosure annual reports."""


for command in (demo, crawl, portals, search, show, runs):
    main.add_command(command)

__all__ = ["main"]
