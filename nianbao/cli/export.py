"""`nianbao export`: stream matching reports with their metadata as JSON Lines, CSV or Parquet.

Rows come from ``Archive.export`` (one streaming cursor, a batch at a time) and are written as they
arrive by the writers in ``nianbao.export_formats`` (shared with the web's export buttons), so memory stays
flat however large the archive is.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click

from nianbao.cli.options import existing_db_option
from nianbao.cli.query import filter_options, filters_from, warn_if_slow
from nianbao.cli.stats import statistics_cells, write_cells
from nianbao.export_formats import load_pyarrow, write_csv, write_jsonl, write_parquet
from storage import ArchiveError, open_archive


@contextmanager
def _open_output(path: str) -> Iterator[IO[bytes]]:
    """stdout, or PATH written as PATH.part and renamed when complete, so a failed export leaves no half file."""
    if path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    final = Path(path)
    part = final.with_name(final.name + ".part")
    try:
        with part.open("wb") as f:
            yield f
        part.replace(final)
    finally:
        part.unlink(missing_ok=True)


@click.command()
@existing_db_option
@click.argument("what", type=click.Choice(["reports", "statistics"]), default="reports")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl", show_default=True)
@click.option("-o", "--output", default="-", show_default=True, metavar="PATH", help="File to write; - is stdout.")
@click.option("--query", "query", metavar="TEXT", help="Only reports containing every term of TEXT.")
@click.option("--no-body", is_flag=True, help="Leave out the report texts (metadata only).")
@filter_options(default_sort="id")  # archive order streams without a sort step
def export(db_url: str, what: str, fmt: str, output: str, query: str | None, no_body: bool, sort: str,
           **options: Any) -> None:
    """Stream the matching reports with their metadata (constant memory; archive order by default), or with
    ``statistics`` every report's statistics tables, one row per report per cell (long format).

    Example: every 2023 report of 新抚区 as a spreadsheet:
    nianbao export --format csv --year 2023 --region 新抚区 -o xinfu-2023.csv
    """
    try:
        archive = open_archive(db_url)
        warn_if_slow(archive)
        rows = archive.query.export(query, filters_from(options), sort=sort, with_body=not no_body)
        if fmt == "parquet":
            load_pyarrow()  # before the output file is created
        with _open_output(output) as out:
            if what == "statistics":
                cells = statistics_cells(archive.iter_statistics())
                n = write_jsonl(cells, out) if fmt == "jsonl" else write_cells(cells, out, fmt, load_pyarrow)
            elif fmt == "jsonl":
                n = write_jsonl(rows, out)
            elif fmt == "csv":
                n = write_csv(rows, out, with_body=not no_body)
            else:
                n = write_parquet(rows, out, with_body=not no_body)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{n} {'cell' if what == 'statistics' else 'report'}(s) exported", err=True)
