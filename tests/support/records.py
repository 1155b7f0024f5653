"""Report records for storage tests."""

from __future__ import annotations

import hashlib

from storage import ReportRecord


def rec(url: str, body: str, **kw: object) -> ReportRecord:
    return ReportRecord(url=url, content_sha256=hashlib.sha256(body.encode()).hexdigest(), body=body, **kw)
