"""`nianbao stats` and `nianbao export statistics` over a real archive holding the real Pingtan report."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.cli.stats import width
from pipelines.statistics import store_statistics
from pipelines.text.fingerprint import fingerprint
from storage import Archive, ReportRecord
from tests.support.statistics import pingtan_text


@pytest.fixture
def archive_url(tmp_path: Path) -> str:
    """Pingtan 2023 as published, and a 2022 copy with a printed inconsistency and many more requests."""
    url = f"sqlite:///{tmp_path / 'stats.db'}"
    archive = Archive(url)
    text = pingtan_text()
    new = "一、本年新收政府信息公开申请数量\t"
    variant = text.replace("1\t1\t0\t0\t2\t", "10\t1\t0\t0\t0\t").replace(
        new + "80\t1\t0\t0\t0\t0\t81", new + "20\t1\t0\t0\t0\t0\t21")
    for year, body in ((2022, variant), (2023, text)):
        sha = fingerprint(body)
        archive.record(ReportRecord(url=f"http://pt.gov.cn/{year}.htm", content_sha256=sha, body=body,
                                    title=f"平潭综合实验区{year}年度政府信息公开工作年度报告", organ="平潭综合实验区",
                                    report_year=year))
        store_statistics(archive, sha, body)
    return url


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_stats_report_prints_aligned_chinese_tables_and_findings(archive_url: str) -> None:
    out = run("stats", "1", "--db", archive_url)
    assert "三、收到和处理政府信息公开申请情况" in out
    lines = out.splitlines()
    new = next(line for line in lines if line.startswith("一、本年新收"))
    assert new.split()[-7:] == ["20", "1", "0", "0", "0", "0", "21"]
    review = next(line for line in lines if line.startswith("行政复议"))
    assert review.split()[1:] == ["10", "1", "0", "0", "0"]
    assert "appeal_total: appeals.review.total printed 0, cells add up to 11" in out
    header = next(i for i, line in enumerate(lines) if "自然人" in line)
    block = lines[header:lines.index("", header)]
    assert len(block) == 1 + 26 and len({width(line) for line in block}) == 1  # aligned columns
    assert "  3.其他" in out and "  1.申请人逾期不补正" in out  # the printed （六） sub-rows under their sum
    assert "findings: none" in run("stats", "2", "--db", archive_url)


def test_stats_json_and_series_flags_jumps(archive_url: str) -> None:
    doc = json.loads(run("stats", "2", "--json", "--db", archive_url))
    assert doc["statistics"]["applications"]["new"]["total"] == 81 and doc["statistics_findings"] == []
    series = json.loads(run("stats", "--organ", "平潭", "--json", "--db", archive_url))
    assert [(r["report_year"], r["received"], r["findings"]) for r in series] == [(2022, 21, 3), (2023, 81, 0)]
    assert series[1]["jumps"] == ["received 21→81"] and series[1]["refused_share"] == round(5 / 81, 4)
    assert series[0]["reviews_lost"] == 1
    text = run("stats", "--organ", "平潭", "--db", archive_url)
    assert "received 21→81" in text and "6.2%" in text


def test_stats_errors_are_one_line(archive_url: str) -> None:
    result = CliRunner().invoke(main, ["stats", "9", "--db", archive_url])
    assert result.exit_code == 1 and "report 9: no such report" in result.output
    result = CliRunner().invoke(main, ["stats", "--db", archive_url])
    assert result.exit_code == 2


def test_export_statistics_long_format_csv_jsonl_parquet(archive_url: str, tmp_path: Path) -> None:
    rows = [json.loads(line) for line in run("export", "statistics", "--db", archive_url).splitlines()
            if line.startswith("{")]
    per_report = len(rows) // 2
    assert per_report == 207  # every cell of a 2021 report, as in the Huaian gold
    cell = next(r for r in rows if r["report_id"] == 2 and r["row"] == "new" and r["column"] == "total")
    assert cell == {"report_id": 2, "organ": "平潭综合实验区", "report_year": 2023, "format": "2021",
                    "table": "applications", "row": "new", "column": "total", "value": 81}
    out = tmp_path / "cells.csv"
    run("export", "statistics", "--format", "csv", "-o", str(out), "--db", archive_url)
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(table) == len(rows) and table[0].keys() == cell.keys()
    out = tmp_path / "cells.parquet"
    run("export", "statistics", "--format", "parquet", "-o", str(out), "--db", archive_url)
    frame = pq.read_table(out).to_pylist()
    assert len(frame) == len(rows)
    assert next(r for r in frame if r["column"] == "amount_wan_yuan")["value"] == 5949.088667
