"""The set `nianbao demo` serves: every demo portal a newcomer should see crawled once, and the failures
among them that are there on purpose (so the summary can say so instead of looking broken)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nianbao.demo.attachments import attachment_portals, broken_attachment_urls
from nianbao.demo.compliance import compliance_portals
from nianbao.demo.content import FAULT_CHALLENGE_412, DemoPortal, demo_portals, extra_portals


def showcase_portals(copies: int = 1) -> list[DemoPortal]:
    """The three CMS portals (cloned ``copies`` times), 洮南 (homepage only, TRS list API, one deleted
    report), 通榆 (behind a 瑞数 412 challenge), 闽侯 (reports published as PDF/DOCX/scans), and 靖宇/抚松
    (late, missing, table-less and misadded reports for the compliance view)."""
    return demo_portals(copies) + extra_portals() + attachment_portals() + compliance_portals()


@dataclass(frozen=True, slots=True)
class DeliberateFailure:
    """Run errors a demo portal causes on purpose: those of ``portal`` at one of ``stages`` (and, when
    ``urls`` is given, at one of those URLs only), with the reason a newcomer should read."""

    portal: str
    stages: frozenset[str]
    why: str
    urls: frozenset[str] = frozenset()

    def matches(self, error: Mapping[str, Any]) -> bool:
        """Whether ``error`` (a run error: portal, url, stage, reason) is this deliberate failure."""
        return (error.get("portal") == self.portal and error.get("stage") in self.stages
                and (not self.urls or error.get("url") in self.urls))


def deliberate_failures(portals: Iterable[DemoPortal]) -> list[DeliberateFailure]:
    """What the demo breaks on purpose among ``portals``: the 瑞数-challenged portal and the broken attachments.

    Only these exact cases: any other error of the same portals is still an error.
    """
    failures = []
    for p in portals:
        if p.fault == FAULT_CHALLENGE_412:
            failures.append(DeliberateFailure(
                p.name, frozenset({"list", "homepage"}),
                "this demo portal simulates a 瑞数 anti-bot gateway (HTTP 412 and a cookie script for every "
                "page), so it is recorded as challenged and nothing of it is archived"))
        if broken := broken_attachment_urls(p):
            failures.append(DeliberateFailure(
                p.name, frozenset({"attachment"}),
                "this demo portal links a truncated PDF and an HTML error page named .pdf; both are recorded "
                "as failed attachments and the report's page text is archived all the same",
                frozenset(broken)))
    return failures


def deliberate(failures: Sequence[DeliberateFailure], error: Mapping[str, Any]) -> DeliberateFailure | None:
    """The deliberate failure ``error`` is an instance of, or None when it is a real error."""
    return next((f for f in failures if f.matches(error)), None)
