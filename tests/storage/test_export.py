"""`nianbao export` as JSON Lines, CSV and Parquet, run for real, and the streaming export's flat memory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
import tracemalloc
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import insert

from storage import Archive
from storage.models import Report
from tests.support import ROOT
from tests.support.commands import run_cmd
from tests.support.sample_archive import SAMPLES, SECOND_URL, load
from tests.support.search_oracle import oracle

FILTERS = ["--year", "2021", "--region", "抚顺"]  # the repost: seen on 大安 and on 站前街道
REPOST = SAMPLES[6]


@pytest.mark.e2e
def test_jsonl_export_with_filters(db_url: str, tmp_path: Path) -> None:
    load(db_url)
    out = tmp_path / "out.jsonl"
    result = run_cmd(["nianbao", "export", "--format", "jsonl", "-o", str(out), *FILTERS], env={"NIANBAO_DB": db_url})
    assert result.returncode == 0, result.stderr
    assert "1 report(s) exported" in result.stderr
    (row,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["title"] == REPOST.title and row["body"] == REPOST.body
    assert row["published"] == REPOST.published.isoformat() and row["report_year"] == 2021
    assert row["urls"] == [REPOST.url, SECOND_URL]
    assert row["portals"] == ["daan", "zhanqian"] and row["levels"] == ["county", "street"]
    assert row["region_codes"] == ["220882", "210402001"]
    assert not (tmp_path / "out.jsonl.part").exists()


def test_every_report_in_archive_order(db_url: str) -> None:
    archive, _ = load(db_url)
    rows = list(archive.export())
    assert [r["title"] for r in rows] == oracle(None, {}, "id")
    assert [r["title"] for r in archive.export("依申请公开", year=2023)] == oracle("依申请公开", {"year": 2023}, "id")
    assert "body" not in next(iter(archive.export(with_body=False)))


@pytest.mark.e2e
def test_csv_export_opens_as_a_spreadsheet(sqlite_url: str, tmp_path: Path) -> None:
    load(sqlite_url)
    out = tmp_path / "xinfu.csv"
    result = run_cmd(["nianbao", "export", "--format", "csv", "--no-body", "--region", "210402", "--sort", "newest",
                      "-o", str(out)], env={"NIANBAO_DB": sqlite_url})
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())  # BOM: Excel then reads UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["title"] for r in rows] == oracle(None, {"region": "210402"}, "newest")
    assert "body" not in rows[0]
    repost = next(r for r in rows if r["title"] == REPOST.title)
    assert repost["urls"] == f"{REPOST.url} {SECOND_URL}" and json.loads(repost["meta"]) == {}


@pytest.mark.e2e
def test_parquet_export(sqlite_url: str, tmp_path: Path) -> None:
    load(sqlite_url)
    out = tmp_path / "all.parquet"
    result = run_cmd(["nianbao", "export", "--format", "parquet", "-o", str(out)], env={"NIANBAO_DB": sqlite_url})
    assert result.returncode == 0, result.stderr
    table = pq.read_table(out).to_pylist()
    assert [r["title"] for r in table] == oracle(None, {}, "id")
    repost = next(r for r in table if r["title"] == REPOST.title)
    assert repost["urls"] == [REPOST.url, SECOND_URL] and repost["published"] == REPOST.published
    assert repost["body"] == REPOST.body


@pytest.mark.e2e
def test_parquet_without_pyarrow_is_a_clear_error(sqlite_url: str, tmp_path: Path) -> None:
    """Without the optional extra: a one-line reason, a non-zero exit, and no output file at all."""
    load(sqlite_url)
    out = tmp_path / "all.parquet"
    code = "import sys; sys.modules['pyarrow'] = None; from nianbao.cli import main; main()"
    result = run_cmd([sys.executable, "-c", code, "export", "--format", "parquet", "-o", str(out)],
                     env={"NIANBAO_DB": sqlite_url}, cwd=ROOT)
    assert result.returncode != 0 and 'pip install "nianbao[parquet]"' in result.stderr
    assert not out.exists() and not (tmp_path / "all.parquet.part").exists()


@pytest.mark.e2e
def test_bad_filter_leaves_no_file(sqlite_url: str, tmp_path: Path) -> None:
    Archive(sqlite_url)  # export only reads: the archive must exist
    out = tmp_path / "x.jsonl"
    result = run_cmd(["nianbao", "export", "--query", "  ", "-o", str(out)], env={"NIANBAO_DB": sqlite_url})
    assert result.returncode != 0 and "empty search query" in result.stderr
    assert not out.exists()


@pytest.mark.e2e
def test_export_streams_in_flat_memory(db_url: str) -> None:
    """2,000 reports of 5,000 characters (40 MB as Python text) export with < 8 MB of Python memory: nothing holds
    more than one batch. The characters are beyond the BMP (4 bytes each in a Python string), so the texts are
    that big with half as many characters for PostgreSQL's gram indexes to compute on insert (CPU per character)."""
    archive = Archive(db_url)
    text = "依申请公开" + "𠀀𠀁𠀂𠀃" * 1250
    now = dt.datetime.now(dt.UTC)
    with archive.engine.begin() as conn:
        for start in range(0, 2000, 500):
            conn.execute(insert(Report), [
                {"content_sha256": f"{i:064d}", "title": f"报告{i}", "body": f"{i}{text}", "meta": {},
                 "report_year_source": "title", "first_seen": now} for i in range(start, start + 500)])
    tracemalloc.start()
    try:
        n = size = 0
        for row in archive.export("依申请公开"):
            n, size = n + 1, size + sys.getsizeof(row["body"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 2000 and size > 40_000_000
    assert peak < 8_000_000, f"peak {peak / 1e6:.1f} MB"


@pytest.mark.e2e
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_to_stdout(sqlite_url: str, fmt: str) -> None:
    load(sqlite_url)
    result = run_cmd(["nianbao", "export", "--format", fmt, "--portal", "changbai", "--no-body"],
                     env={"NIANBAO_DB": sqlite_url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("长白县2023年政府信息公开工作年度报告") == 1
    assert "2 report(s) exported" in result.stderr  # 长白县 and the hostile page
