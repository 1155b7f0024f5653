"""Bundled demo portals: simulated county government sites served over local HTTP for ``nianbao demo``.

Three CMS families (TRS WCM, Hanweb jcms, an xxgk platform in GBK) on stable fake hosts under
``nianbao.test``, reachable through one local forward proxy (:class:`DemoServer`).  Each
:class:`DemoDocument` carries the clean text a correct extractor should produce, so tests and the
benchmark can check crawl results without the internet.
"""

from nianbao.demo.attachments import attachment_portals
from nianbao.demo.cli import main
from nianbao.demo.compliance import compliance_portals
from nianbao.demo.content import (
    DEMO_DOMAIN,
    FAULT_CHALLENGE_412,
    FAULT_CHROME_ONLY,
    FAULT_COLUMN_404,
    FAULT_COLUMN_500,
    FAULT_EMPTY,
    FAULT_GONE,
    FAULT_MALFORMED,
    DemoDocument,
    DemoPortal,
    broken_portals,
    demo_portals,
    extra_portals,
)
from nianbao.demo.server import DemoServer
from nianbao.demo.showcase import showcase_portals

__all__ = [
    "DEMO_DOMAIN",
    "FAULT_CHALLENGE_412",
    "FAULT_CHROME_ONLY",
    "FAULT_COLUMN_404",
    "FAULT_COLUMN_500",
    "FAULT_EMPTY",
    "FAULT_GONE",
    "FAULT_MALFORMED",
    "DemoDocument",
    "DemoPortal",
    "DemoServer",
    "attachment_portals",
    "broken_portals",
    "compliance_portals",
    "demo_portals",
    "extra_portals",
    "main",
    "showcase_portals",
]
