"""The set `nianbao demo` serves: every demo portal a newcomer should see crawled once."""

from __future__ import annotations

from nianbao.demo.attachments import attachment_portals
from nianbao.demo.content import DemoPortal, demo_portals, extra_portals


def showcase_portals(copies: int = 1) -> list[DemoPortal]:
    """The three CMS portals (cloned ``copies`` times), 洮南 (homepage only, TRS list API, one deleted
    report), 通榆 (behind a 瑞数 412 challenge) and 闽侯 (reports published as PDF/DOCX/scans)."""
    return demo_portals(copies) + extra_portals() + attachment_portals()
