"""`nianbao stats`: one report's statistics tables, readably, with the identities they fail; or an organ's
(or portal's) main figures year by year with the jumps flagged.  Also the long-format cells behind
``nianbao export statistics`` (one row per report per cell, for spreadsheets and pandas).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import click

from nianbao.cli.options import db_option
from nianbao.series import figures, flag_jumps
from pipelines.text.statistics.schema import (
    ACTIVE_COLUMN_LABELS,
    ACTIVE_LABELS,
    APPEAL_GROUP_LABELS,
    APPEAL_GROUPS,
    APPEAL_OUTCOME_LABELS,
    APPEAL_OUTCOMES,
    APPLICANT_LABELS,
    APPLICANTS,
    OTHER_PROCESSING_LABELS,
    RESULT_GROUPS,
    ROW_LABELS,
)
from storage import ArchiveError, StatisticsView, open_archive

CELL_FIELDS = ("report_id", "organ", "report_year", "format", "table", "row", "column", "value")


def width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, size: int, right: bool = False) -> str:
    fill = " " * max(0, size - width(text))
    return fill + text if right else text + fill


def _fmt(value: Any) -> str:
    return "" if value is None else str(value)


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    """Aligned lines: the first column left, numbers right."""
    sizes = [max(width(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return ["  ".join(pad(cell, sizes[i], right=i > 0) for i, cell in enumerate(row)) for row in [head, *rows]]


def _application_rows(apps: dict[str, Any], extra: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    rows = [(ROW_LABELS["new"], apps["new"]), (ROW_LABELS["carried_over"], apps["carried_over"])]
    results = apps["results"]
    rows += [(ROW_LABELS["public"], results["public"]), (ROW_LABELS["partial"], results["partial"])]
    for group, subs in RESULT_GROUPS.items():
        rows += [(f"{ROW_LABELS[group]} {ROW_LABELS[sub]}", results[group][sub]) for sub in subs]
    rows.append((ROW_LABELS["other"], results["other"]))
    for sub, row in (extra.get("other_processing_breakdown") or {}).items():
        rows.append((f"  {OTHER_PROCESSING_LABELS[sub]}", row))
    rows += [(ROW_LABELS["total"], results["total"]), (ROW_LABELS["carried_forward"], apps["carried_forward"])]
    return rows


def render(view: StatisticsView) -> str:
    """The three tables and the findings as aligned text with the form's Chinese labels."""
    stats = view.statistics
    out = [f"report {view.report_id}: {view.title or ''}", f"{view.organ or '?'} · {view.report_year or '?'} · "
           f"{view.format} format", "", "二、主动公开政府信息情况"]
    active = [[f"{ACTIVE_LABELS[item]} {ACTIVE_COLUMN_LABELS[col]}", _fmt(value)]
              for item, cells in stats.get("active", {}).items() for col, value in cells.items()]
    out += _table(["项目", "数量"], active) if active else ["  (not printed)"]
    out += ["", "三、收到和处理政府信息公开申请情况"]
    apps = stats.get("applications")
    if apps:
        rows = _application_rows(apps, stats.get("extra_rows", {}))
        out += _table(["", *(APPLICANT_LABELS[c] for c in APPLICANTS)],
                      [[label, *(_fmt(row[c]) for c in APPLICANTS)] for label, row in rows])
    else:
        out.append("  (not printed)")
    out += ["", "四、政府信息公开行政复议、行政诉讼情况"]
    appeals = stats.get("appeals")
    if appeals:
        out += _table(["", *(APPEAL_OUTCOME_LABELS[o] for o in APPEAL_OUTCOMES)],
                      [[APPEAL_GROUP_LABELS[g], *(_fmt(appeals[g][o]) for o in APPEAL_OUTCOMES)]
                       for g in APPEAL_GROUPS])
    else:
        out.append("  (not printed)")
    out += ["", f"findings: {len(view.findings)}" if view.findings else "findings: none (every identity holds)"]
    out += [f"  {f['check']}: {f['cell']} printed {f['printed']}, cells add up to {f['computed']}"
            for f in view.findings]
    return "\n".join(out)


def render_series(rows: list[dict[str, Any]]) -> str:
    def share(v: float | None) -> str:
        return "" if v is None else f"{v:.1%}"

    body = [[r["organ"] or "?", _fmt(r["report_year"]), _fmt(r["received"]), share(r["refused_share"]),
             _fmt(r["reviews_lost"]), _fmt(r["lawsuits_lost"]), _fmt(r["findings"]), "; ".join(r["jumps"])]
            for r in rows]
    return "\n".join(_table(["机关", "年度", "新收申请", "不予公开占比", "复议纠正", "诉讼纠正", "findings", "jumps"],
                            body))


def statistics_cells(views: Iterable[StatisticsView]) -> Iterator[dict[str, Any]]:
    """Long format: one row per report per printed cell (blank cells as null), for ``export statistics``."""
    for view in views:
        for table in ("active", "applications", "appeals", "extra_rows"):
            yield from _leaves(view, table, view.statistics.get(table) or {}, ())


def _leaves(view: StatisticsView, table: str, node: dict[str, Any], path: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    for key, value in node.items():
        if isinstance(value, dict):
            yield from _leaves(view, table, value, (*path, key))
        else:
            yield {"report_id": view.report_id, "organ": view.organ, "report_year": view.report_year,
                   "format": view.format, "table": table, "row": ".".join(path), "column": key,
                   "value": value}


def write_cells(rows: Iterable[dict[str, Any]], out: IO[bytes], fmt: str, pyarrow: Callable[[], Any]) -> int:
    """CSV (UTF-8 with BOM for Excel) or Parquet (``pyarrow`` loads the optional library) of long-format cells."""
    n = 0
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        writer = csv.DictWriter(text, CELL_FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            n += 1
        text.flush()
        text.detach()
        return n
    pa = pyarrow()
    schema = pa.schema([("report_id", pa.int64()), ("organ", pa.string()), ("report_year", pa.int32()),
                        ("format", pa.string()), ("table", pa.string()), ("row", pa.string()),
                        ("column", pa.string()), ("value", pa.float64())])
    batch = list(rows)
    pa.parquet.write_table(pa.Table.from_pylist(batch, schema=schema), out, compression="zstd")
    return len(batch)


@click.command()
@db_option
@click.argument("report_id", type=int, required=False)
@click.option("--organ", metavar="NAME", help="Compare the reports of organs whose name contains NAME, by year.")
@click.option("--portal", metavar="NAME", help="Compare the reports seen on this portal, by organ and year.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def stats(db_url: str, report_id: int | None, organ: str | None, portal: str | None, as_json: bool) -> None:
    """A report's statistics tables and failed identities, or an organ's/portal's figures year by year.

    Examples: nianbao stats 12; nianbao stats --organ 平潭 --json
    """
    if (report_id is None) == (organ is None and portal is None):
        raise click.UsageError("give a REPORT_ID, or --organ/--portal to compare years")
    try:
        archive = open_archive(db_url)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    if report_id is not None:
        view = archive.statistics(report_id)
        if view is None:
            what = "no such report" if archive.get_report(report_id) is None else "no statistics tables read"
            raise click.ClickException(f"report {report_id}: {what}")
        if as_json:
            click.echo(json.dumps({"report_id": view.report_id, "statistics": view.statistics,
                                   "statistics_findings": view.findings}, ensure_ascii=False, indent=1))
        else:
            click.echo(render(view))
        return
    rows = flag_jumps([figures(v) for v in archive.statistics_series(organ=organ, portal=portal)])
    if not rows:
        raise click.ClickException("no reports with statistics tables match")
    click.echo(json.dumps(rows, ensure_ascii=False, indent=1) if as_json else render_series(rows))
