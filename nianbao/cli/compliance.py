"""`nianbao compliance`: which organs published their annual report, by the legal deadline, in the standard form.

The grid (organs × report years) comes from ``Archive.compliance``; deadlines default to the
deadline settings in crawler/settings.py (docs/compliance.md). Text for a terminal, or CSV/JSON for a spreadsheet.
"""

from __future__ import annotations

import csv
import json
import sys

import click

from crawler.settings import (
    NIANBAO_DEADLINE_DEPARTMENT,
    NIANBAO_DEADLINE_GOVERNMENT,
    NIANBAO_DEADLINE_SINCE,
    NIANBAO_DEADLINE_SUBCOUNTY,
)
from nianbao.cli.options import db_option
from nianbao.cli.stats import pad, width
from storage import open_archive
from storage.archive.compliance import (
    LEVELS,
    RECORD_FIELDS,
    SORT_KEYS,
    ComplianceCell,
    ComplianceGrid,
    Deadlines,
    grid_records,
)

STATUS_MARK = {"on_time": "O", "late": "L", "undated": "?", "missing": "-"}
LEGEND = ("O on time · L late · ? no publish date · - not found;  "
          "then n = no standard tables, ! = tables do not add up, s = superseded by an edit")


def cell_mark(cell: ComplianceCell) -> str:
    """Two or three characters: status, then what is wrong with the tables (nothing when they add up)."""
    mark = STATUS_MARK[cell.status]
    if cell.status != "missing":
        mark += "n" if not cell.tables else ("!" if cell.findings else "")
        mark += "s" if cell.superseded else ""
    return mark


def render_grid(grid: ComplianceGrid) -> str:
    head = ["机关 organ", "level", "portal"]
    rows = [[r.organ, r.level, r.portal, *(cell_mark(r.cells[y]) for y in grid.years)] for r in grid.rows]
    cols = head + [str(y) for y in grid.years]
    sizes = [max(width(row[i]) for row in [cols, *rows]) for i in range(len(cols))]
    lines = ["  ".join(pad(c, sizes[i]) for i, c in enumerate(row)).rstrip() for row in [cols, *rows]]
    late = sum(r.count("late") for r in grid.rows)
    missing = sum(r.count("missing") for r in grid.rows)
    d = grid.deadlines
    lines += ["", LEGEND,
              f"{len(grid.rows)} organ(s), {len(grid.years)} year(s): {missing} missing, {late} late; deadlines "
              f"department {d.department[0]:02}-{d.department[1]:02}, government {d.government[0]:02}-"
              f"{d.government[1]:02}, 街道/乡镇 {d.subcounty[0]:02}-{d.subcounty[1]:02} "
              f"(before {d.since}: government deadline for all)"]
    return "\n".join(lines)


@click.command()
@db_option
@click.option("--region", help="Region name (part of it) or region code prefix (e.g. 2208).")
@click.option("--level", type=click.Choice(LEVELS), help="Organ level (subcounty = 街道/乡镇).")
@click.option("--portal", metavar="NAME", help="Only this registry portal.")
@click.option("--from", "first", type=int, metavar="YEAR", help="First report year (default: earliest found).")
@click.option("--to", "last", type=int, metavar="YEAR", help="Last report year (default: latest found).")
@click.option("--sort", type=click.Choice(list(SORT_KEYS)), default="region", show_default=True,
              help="Row order: by region, organ name, most missing, most late, or worst score first.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True,
              help="csv/json: one row per organ and year.")
@click.option("--deadline-department", default=NIANBAO_DEADLINE_DEPARTMENT, show_default=True, metavar="MM-DD")
@click.option("--deadline-government", default=NIANBAO_DEADLINE_GOVERNMENT, show_default=True, metavar="MM-DD")
@click.option("--deadline-subcounty", default=NIANBAO_DEADLINE_SUBCOUNTY, show_default=True, metavar="MM-DD")
def compliance(db_url: str, region: str | None, level: str | None, portal: str | None, first: int | None,
               last: int | None, sort: str, fmt: str, deadline_department: str, deadline_government: str,
               deadline_subcounty: str) -> None:
    """Organs × report years: report found, published by the deadline, standard tables, tables add up."""
    try:
        deadlines = Deadlines.parse(deadline_department, deadline_government, deadline_subcounty,
                                    NIANBAO_DEADLINE_SINCE)
        grid = open_archive(db_url).compliance(deadlines, region=region, level=level, portal=portal, first=first,
                                               last=last, sort=sort)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if fmt == "text":
        click.echo(render_grid(grid) if grid.rows else "no registered portal matches")
    elif fmt == "json":
        click.echo(json.dumps(grid_records(grid), ensure_ascii=False, default=str, indent=1))
    else:
        writer = csv.DictWriter(sys.stdout, RECORD_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(grid_records(grid))
