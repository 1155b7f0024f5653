"""Run-to-run health per portal: what each crawl found, and alarms when a portal suddenly goes wrong.

A portal is flagged when it **suddenly yields no links** (its last crawl found some), or when its
**error rate jumps** (at least 25 % of what was tried failed, 25 points more than last time). Zero new
reports is the normal state of a portal outside the reporting season and never an alarm. Everything is
computed from the per-portal counters each run already stores (crawler.runs; as rows once it closes, read by
``Archive.portal_counters``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from pipelines.components import portal_counters
from storage import RunView

ERROR_RATE_ALARM = 0.25  # both the level and the jump that raise the alarm


@dataclass(frozen=True, slots=True)
class RunHealth:
    """One portal in one run."""

    portal: str
    run_id: int
    finish_reason: str | None
    links: int  # every list link found (reports and non-reports)
    new: int
    changed: int
    withdrawn: int
    errors: int  # HTTP errors, timeouts, unreadable pages
    challenges: int  # anti-crawler challenge pages (crawler.hostile)
    tried: int  # list pages read + report links + errors: the error rate's denominator
    unchanged: int = 0
    list_pages: int = 0
    report_pages: int = 0  # report pages read and extracted
    gone: int = 0  # pages that meta-refresh back to their column (deleted documents)
    trapped: int = 0  # redirect loops, and list paging cut at the page limit
    flags: tuple[str, ...] = ()

    @property
    def error_rate(self) -> float:
        return self.errors / self.tried if self.tried else 0.0


def measure(run: RunView, portal: str, counters: dict[str, int] | None = None) -> RunHealth:
    """``portal`` in ``run``, from its counters (given when already read, ``Archive.portal_counters``)."""
    c = portal_counters(run.stats, portal) if counters is None else counters
    links = sum(c.get(f"links/{kind}", 0) for kind in ("report", "related", "other"))
    return RunHealth(portal=portal, run_id=run.id, finish_reason=run.finish_reason, links=links,
                     new=c.get("reports/new", 0), changed=c.get("reports/changed", 0),
                     withdrawn=c.get("reports/withdrawn", 0), errors=c.get("errors", 0),
                     challenges=c.get("hostile/challenged", 0),
                     tried=c.get("list_pages", 0) + c.get("links/report", 0) + c.get("errors", 0),
                     unchanged=c.get("reports/unchanged", 0), list_pages=c.get("list_pages", 0),
                     report_pages=c.get("extracted", 0), gone=c.get("hostile/gone", 0),
                     trapped=c.get("hostile/trapped", 0) + c.get("list_pages_capped", 0))


def alarms(now: RunHealth, before: RunHealth | None) -> tuple[str, ...]:
    """Why ``now`` looks wrong compared with the portal's previous run (empty when it does not)."""
    if before is None:
        return ()
    out = []
    if before.links > 0 and now.links == 0:
        out.append(f"no links (was {before.links})")
    if now.error_rate >= ERROR_RATE_ALARM and now.error_rate - before.error_rate >= ERROR_RATE_ALARM:
        out.append(f"errors {now.error_rate:.0%} (was {before.error_rate:.0%})")
    return tuple(out)


def history(runs: Sequence[RunView]) -> dict[int, list[RunHealth]]:
    """Health of every portal of every run (runs given newest first, as ``Archive.list_runs`` returns them).

    Runs still going (no finish reason) are skipped as the "previous" of later ones: their counts are partial.
    """
    out: dict[int, list[RunHealth]] = {}
    for index, run in enumerate(runs):
        rows = []
        for portal in run.portals:
            previous = next((r for r in runs[index + 1:] if portal in r.portals and r.finish_reason), None)
            now = measure(run, portal)
            rows.append(replace(now, flags=alarms(now, measure(previous, portal) if previous else None)))
        out[run.id] = rows
    return out


def latest(runs: Sequence[RunView]) -> dict[str, RunHealth]:
    """Each portal's health in the newest run that crawled it."""
    out: dict[str, RunHealth] = {}
    for rows in history(runs).values():  # newest run first
        for row in rows:
            out.setdefault(row.portal, row)
    return out
