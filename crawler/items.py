"""The item that flows through the pipelines, filled stage by stage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class ReportItem:
    """A fetched page believed to be an annual report.

    The spider fills the fetch fields; ``pipelines.extract`` fills the metadata and text,
    ``pipelines.normalise`` the hash form, ``pipelines.hash`` the digest and ``pipelines.store``
    the outcome. ``html`` is emptied once extracted so items stay small.
    """

    url: str
    html: str
    portal: str | None = None
    http_status: int = 200
    list_title: str | None = None
    list_date: dt.date | None = None
    # The list title could not tell (查看, cut short): only the page's own title may make this a report.
    ambiguous_title: bool = False
    # A report link that answered with a file (PDF, DOCX…): its bytes, read by pipelines.attachments.
    document: bytes = b""
    content_type: str = ""
    attachments: list[Any] = field(default_factory=list)  # storage.AttachmentRecord per file read
    attachment_text: str = ""  # text of the files that read cleanly, for pages that only say 详见附件

    title: str | None = None
    organ: str | None = None
    published: dt.date | None = None
    report_year: int | None = None
    report_year_source: str = "unknown"
    meta: dict[str, Any] = field(default_factory=dict)
    text: str = ""

    hash_text: str = ""
    content_sha256: str = ""
    outcome: str | None = None
