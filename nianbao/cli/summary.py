"""Turning a crawl run into the short summary a person reads after `nianbao crawl` / `nianbao demo`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nianbao.demo.showcase import deliberate
from pipelines.components import portal_counters
from storage import RunView

if TYPE_CHECKING:
    from nianbao.demo.showcase import DeliberateFailure

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


def render(run: RunView, expected: Sequence[DeliberateFailure] = ()) -> str:
    """A table per portal, totals, the errors, and a plain sentence when nothing was new.

    Errors that match ``expected`` (the demo's deliberate failures) are listed apart, each with its reason,
    and not counted as errors: a newcomer running `nianbao demo` should not read them as breakage.
    """
    rows = summarise(run)
    matched = [(err, failure) for err in run.errors if (failure := deliberate(expected, err))]
    per_portal = Counter(failure.portal for _, failure in matched)
    head = f"{'portal':<20} {'lists':>5} {'reports':>7} " + " ".join(f"{o:>9}" for o in OUTCOMES) \
        + f" {'skipped':>7} {'errors':>6}"
    lines = [f"crawl run {run.id}: {run.finish_reason or 'running'}", head]
    totals = {o: 0 for o in OUTCOMES}
    for s in rows:
        for o in OUTCOMES:
            totals[o] += s.outcomes[o]
        note = f"  (+{per_portal[s.portal]} expected)" if per_portal[s.portal] else ""
        lines.append(f"{s.portal:<20} {s.list_pages:>5} {s.reports_listed:>7} "
                     + " ".join(f"{s.outcomes[o]:>9}" for o in OUTCOMES)
                     + f" {s.skipped:>7} {s.errors - per_portal[s.portal]:>6}{note}")
    skipped = sum(s.skipped for s in rows)
    errors = (len(run.errors) if run.errors else sum(s.errors for s in rows)) - len(matched)
    lines.append(f"{len(rows)} portal(s) crawled: " + ", ".join(f"{totals[o]} {o}" for o in OUTCOMES)
                 + f"; {skipped} skipped as non-reports; {errors} error(s)"
                 + (f"; {len(matched)} expected failure(s)" if matched else ""))
    if totals["new"] == totals["changed"] == totals["duplicate"] == 0 and not run_failure(run):
        lines.append("nothing new: every report found is already archived")
    for err in run.errors:
        if not deliberate(expected, err):
            lines.append(f"  error [{err.get('portal') or '-'}] {_described(err)}")
    if matched:
        lines.append("expected failures (the demo causes these on purpose; they are not breakage):")
    for failure in dict.fromkeys(f for _, f in matched):
        lines.append(f"  expected [{failure.portal}] {failure.why}:")
        lines += [f"      {_described(err)}" for err, f in matched if f is failure]
    return "\n".join(lines)


def _described(err: dict[str, Any]) -> str:
    return f"{err.get('stage')}: {err.get('reason')} <{err.get('url')}>"
