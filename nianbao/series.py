"""An organ's statistics year by year: the compared figures, the jumps worth a look, and a chart of them.

Shared by `nianbao stats --organ/--portal` and the web's organ page, so both say the same. The chart is an SVG
drawn on the server from numbers only (no script, no style sheet from elsewhere: the page's CSP holds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage import StatisticsView

JUMP_RATIO = 2.0  # received requests doubling or halving from one year to the next
JUMP_MIN = 10  # … by at least this many requests (small offices swing from 1 to 3)
JUMP_SHARE = 0.2  # refused share moving by 20 percentage points


def figures(view: StatisticsView) -> dict[str, Any]:
    """The compared figures: requests received, share refused (不予公开 / 总计), reviews and lawsuits lost."""
    stats = view.statistics
    apps = stats.get("applications") or {}
    appeals = stats.get("appeals") or {}
    received = (apps.get("new") or {}).get("total")
    answered = ((apps.get("results") or {}).get("total") or {}).get("total")
    withheld = [row.get("total") for row in ((apps.get("results") or {}).get("withheld") or {}).values()]
    refused = sum(v for v in withheld if v is not None) if any(v is not None for v in withheld) else None
    lost = [(appeals.get(g) or {}).get("corrected") for g in ("litigation_direct", "litigation_after_review")]
    return {"report_id": view.report_id, "organ": view.organ, "report_year": view.report_year,
            "received": received,
            "refused_share": round(refused / answered, 4) if refused is not None and answered else None,
            "reviews_lost": (appeals.get("review") or {}).get("corrected"),
            "lawsuits_lost": sum(v for v in lost if v is not None) if any(v is not None for v in lost) else None,
            "findings": len(view.findings), "jumps": []}


def flag_jumps(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark a year whose received requests double/halve, or whose refused share moves 20 points, vs the
    same organ's previous report."""
    last: dict[str | None, dict[str, Any]] = {}
    for row in rows:
        before = last.get(row["organ"])
        if before:
            a, b = before["received"], row["received"]
            if a is not None and b is not None and abs(b - a) >= JUMP_MIN and (
                    min(a, b) == 0 or max(a, b) / min(a, b) >= JUMP_RATIO):
                row["jumps"].append(f"received {a}→{b}")
            s, t = before["refused_share"], row["refused_share"]
            if s is not None and t is not None and abs(t - s) >= JUMP_SHARE:
                row["jumps"].append(f"refused share {s:.0%}→{t:.0%}")
        last[row["organ"]] = row
    return rows


@dataclass(frozen=True)
class Chart:
    """A line chart of one figure over report years, in SVG user units."""

    title: str
    points: tuple[tuple[int, float, float, int | float], ...]  # (year, x, y, value) per plotted year
    y_max: int | float
    percent: bool = False  # values are shares, labelled as percentages
    width: int = 480
    height: int = 160
    margin: int = 32


def chart(rows: list[dict[str, Any]], key: str, title: str, *, width: int = 480, height: int = 160) -> Chart | None:
    """The figure ``key`` of one organ's rows (sorted by year) as chart points; None when no year has it."""
    values = [(r["report_year"], r[key]) for r in rows if r.get("report_year") is not None and r.get(key) is not None]
    if not values:
        return None
    margin = 32
    years = [y for y, _ in values]
    first, last = min(years), max(years)
    top = max(v for _, v in values) or 1

    def x(year: int) -> float:
        return margin + (year - first) / max(last - first, 1) * (width - 2 * margin)

    def y(value: float) -> float:
        return height - margin - value / top * (height - 2 * margin)

    points = tuple((year, round(x(year), 1), round(y(value), 1), value) for year, value in values)
    return Chart(title=title, points=points, y_max=top, width=width, height=height, margin=margin,
                 percent=key.endswith("_share"))


def polyline(c: Chart) -> str:
    """The chart's points as an SVG ``points`` attribute."""
    return " ".join(f"{x},{y}" for _, x, y, _ in c.points)
