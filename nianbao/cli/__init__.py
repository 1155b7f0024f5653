"""The ``nianbao`` command: one module per group of commands, all reading the archive through storage.

Each command's module is imported only when that command runs (or shows its own ``--help``): Scrapy,
SQLAlchemy and Alembic take a second or two to import, and ``nianbao --help`` or ``nianbao search``
should not wait for what they do not use. These are lazy imports for start-up time, wanted here; they
dodge no import cycle. The one-line summaries below are what ``nianbao --help`` lists, so listing the
commands imports none of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click

# name → ("module:command", summary for `nianbao --help`), in the order a newcomer meets them
COMMANDS: Mapping[str, tuple[str, str]] = {
    "demo": ("nianbao.cli.crawl:demo", "Try it: crawl the bundled demo portals, served on 127.0.0.1."),
    "crawl": ("nianbao.cli.crawl:crawl", "Crawl the registry's portals, politely, into the archive."),
    "search": ("nianbao.cli.query:search", "Find reports by words of their title or text, with filters."),
    "show": ("nianbao.cli.query:show", "Print one report: metadata, the URLs it was seen at, clean text."),
    "diff": ("nianbao.cli.history:diff", "Show how an edited report's text changed between versions."),
    "export": ("nianbao.cli.export:export", "Stream matching reports as JSON Lines, CSV or Parquet."),
    "portals": ("nianbao.cli.portals:portals", "Manage the portal registry: add, list, import, discover, remove."),
    "runs": ("nianbao.cli.crawl:runs", "List crawl runs: counts, finish reason, health alarms."),
    "schedule": ("nianbao.cli.schedule:schedule", "Run scheduled crawls in the foreground (e.g. under systemd)."),
    "serve": ("nianbao.cli.serve:serve", "Serve the archive read-only: web search, report pages, JSON API."),
    "extract": ("nianbao.cli.extract:extract", "Print one page's clean text (file or URL), without storing it."),
    "reextract": ("nianbao.cli.reextract:reextract", "Read archived attachments again from their kept bytes."),
    "stats": ("nianbao.cli.stats:stats", "Print a report's statistics tables and the identities they fail."),
    "gc": ("nianbao.cli.gc:gc", "Free unreferenced files and expired cache entries (dry run unless --delete)."),
    "compliance": ("nianbao.cli.compliance:compliance", "Organs × years: report found, on time, standard tables."),
    "worker": ("nianbao.cli.worker:worker", "Take portal crawls from a Redis queue (one of many workers)."),
    "workers": ("nianbao.cli.worker:workers", "List workers, what each is crawling, and the queue length."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are named ``module:attribute`` and imported on first use.

    The pattern of click's documentation ("Lazily Loading Subcommands"), plus a command list for the
    group's help drawn from the summaries, which click would otherwise get by importing every command.
    """

    def __init__(self, *args: Any, lazy: Mapping[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.lazy, *super().list_commands(ctx)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = self.lazy[cmd_name][0].partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[cmd_name][0]} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary) for name, (_, summary) in self.lazy.items()])


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nianbao")
def main() -> None:
    """nianbao (年报): crawl and archive Chinese government information-disclosure annual reports."""


__all__ = ["COMMANDS", "main"]
