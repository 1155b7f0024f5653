"""`nianbao export`: stream matching reports with their metadata as JSON Lines, CSV or Parquet.

Rows come from ``Archive.export`` (one streaming cursor, a batch at a time) and are written as they
arrive, so memory stays flat however large the archive is. Parquet is an optional extra
(``pip install "nianbao[parquet]"``), written one row group per batch.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click

from nianbao.cli.options import existing_db_option
from nianbao.cli.query import filter_options, filters_from, warn_if_slow
from nianbao.cli.spreadsheet import safe_cell
from nianbao.cli.stats import statistics_cells, write_cells
from storage import ArchiveError, open_archive
from storage.archive.query import EXPORT_BATCH
from storage.archive.rows import EXPORT_FIELDS

LIST_FIELDS = ("urls", "portals", "regions", "region_codes", "levels")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[bytes]) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, default=_plain).encode() + b"\n")
        n += 1
    return n


def write_csv(rows: Iterable[dict[str, Any]], out: IO[bytes], *, with_body: bool) -> int:
    """One report a line; lists joined with spaces (URLs hold none), ``meta`` as JSON. UTF-8 with BOM for Excel;
    cells a spreadsheet would run as formulas neutralised (nianbao.cli.spreadsheet)."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    header = [f for f in EXPORT_FIELDS if with_body or f != "body"]
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow([safe_cell(" ".join(row[f]) if f in LIST_FIELDS else
                                   json.dumps(row[f], ensure_ascii=False) if f == "meta" else _plain(row[f]))
                         for f in header])
        n += 1
    text.flush()
    text.detach()
    return n


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ArchiveError('Parquet export needs pyarrow: pip install "nianbao[parquet]"') from None
    return pyarrow


def write_parquet(rows: Iterable[dict[str, Any]], out: IO[bytes], *, with_body: bool) -> int:
    pa = _pyarrow()
    pq = pa.parquet
    text, strings = pa.string(), pa.list_(pa.string())
    schema = pa.schema([("id", pa.int64()), ("title", text), ("organ", text), ("report_year", pa.int32()),
                        ("report_year_source", text), ("published", pa.date32()),
                        ("first_seen", pa.timestamp("us", tz="UTC")), ("content_sha256", text),
                        *[(f, strings) for f in LIST_FIELDS], ("superseded", pa.bool_()),
                        ("superseded_by", pa.int64()), ("withdrawn", pa.bool_()), ("meta", text),
                        *([("body", text)] if with_body else [])])
    n = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for batch in _batches(rows, EXPORT_BATCH):
            for row in batch:
                row["meta"] = json.dumps(row["meta"], ensure_ascii=False)
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            n += len(batch)
    return n


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


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
            _pyarrow()  # before the output file is created
        with _open_output(output) as out:
            if what == "statistics":
                cells = statistics_cells(archive.iter_statistics())
                n = write_jsonl(cells, out) if fmt == "jsonl" else write_cells(cells, out, fmt, _pyarrow)
            elif fmt == "jsonl":
                n = write_jsonl(rows, out)
            elif fmt == "csv":
                n = write_csv(rows, out, with_body=not no_body)
            else:
                n = write_parquet(rows, out, with_body=not no_body)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{n} {'cell' if what == 'statistics' else 'report'}(s) exported", err=True)
