"""Export rows written as JSON Lines, CSV or Parquet, as they arrive: `nianbao export` and the web's export
buttons (nianbao/web/export.py) share these writers.

Each writer takes an iterable of rows (``storage.archive.query.Query.export``) and a binary file, and holds one
batch at most. Parquet is an optional extra (``pip install "nianbao[parquet]"``), written one row group per
batch; :func:`load_pyarrow` says clearly when it is missing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from nianbao.spreadsheet import safe_cell
from storage import ArchiveError
from storage.archive.query import EXPORT_BATCH
from storage.archive.rows import EXPORT_FIELDS

FORMATS = ("csv", "jsonl", "parquet")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson",
               "parquet": "application/vnd.apache.parquet"}
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
    cells a spreadsheet would run as formulas neutralised (nianbao.spreadsheet)."""
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


def load_pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ArchiveError('Parquet export needs pyarrow: pip install "nianbao[parquet]"') from None
    return pyarrow


def write_parquet(rows: Iterable[dict[str, Any]], out: IO[bytes], *, with_body: bool) -> int:
    pa = load_pyarrow()
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
