"""Turning a crawl run into the short summary a person reads after `nianbao crawl` / `nianbao demo`."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.components import portal_counters
from storage import RunView

OUTCOMES = ("new", "changed", "unchanged", "duplicate")


@dataclass(frozen=True, slots=True)
class PortalSummary:
    portal: str
    list_pages: int
    reports_listed: int
    outcomes: dict[str, int]
    skipped: int
    errors: int


def summarise(run: RunView) -> list[PortalSummary]:
    out = []
    for portal in run.portals:
        c = portal_counters(run.stats, portal)
        out.append(PortalSummary(
            portal=portal, list_pages=c.get("list_pages", 0), reports_listed=c.get("links/report", 0),
            outcomes={o: c.get(f"reports/{o}", 0) for o in OUTCOMES},
            skipped=c.get("links/related", 0) + c.get("links/other", 0), errors=c.get("errors", 0)))
    return out


def run_failure(run: RunView) -> str | None:
    """Why the run as a whole failed, or None when at least part of it worked.

    A run that read no list page at all failed, whatever it was asked to crawl (registry portals or a
    column given with ``--url``, which belongs to no portal)."""
    if run.finish_reason not in ("finished", None):
        return f"crawl ended early ({run.finish_reason})"
    if not run.stats.get("nianbao/list_pages"):
        first = run.errors[0]["reason"] if run.errors else "no list page could be read"
        what = "no portal could be crawled" if run.portals else "nothing could be read"
        return f"{what}; first error: {first}"
    return None


def render(run: RunView) -> str:
    """A table per portal, totals, the errors, and a plain sentence when nothing was new."""
    rows = summarise(run)
    head = f"{'portal':<20} {'lists':>5} {'reports':>7} " + " ".join(f"{o:>9}" for o in OUTCOMES) \
        + f" {'skipped':>7} {'errors':>6}"
    lines = [f"crawl run {run.id}: {run.finish_reason or 'running'}", head]
    totals = {o: 0 for o in OUTCOMES}
    for s in rows:
        for o in OUTCOMES:
            totals[o] += s.outcomes[o]
        lines.append(f"{s.portal:<20} {s.list_pages:>5} {s.reports_listed:>7} "
                     + " ".join(f"{s.outcomes[o]:>9}" for o in OUTCOMES) + f" {s.skipped:>7} {s.errors:>6}")
    skipped = sum(s.skipped for s in rows)
    errors = len(run.errors) if run.errors else sum(s.errors for s in rows)
    lines.append(f"{len(rows)} portal(s) crawled: " + ", ".join(f"{totals[o]} {o}" for o in OUTCOMES)
                 + f"; {skipped} skipped as non-reports; {errors} error(s)")
    if totals["new"] == totals["changed"] == totals["duplicate"] == 0 and not run_failure(run):
        lines.append("nothing new: every report found is already archived")
    for err in run.errors:
        lines.append(f"  error [{err.get('portal') or '-'}] {err.get('stage')}: {err.get('reason')} <{err.get('url')}>")
    return "\n".join(lines)
