"""The item that flows through the pipelines, filled stage by stage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pipelines.text.html.parse import ParsedPage


@dataclass(slots=True)
class ReportItem:
    """A fetched page believed to be an annual report.

    The spider fills the fetch fields; ``pipelines.attachments`` parses the page once into ``page``
    (``html`` is emptied then), ``pipelines.extract`` fills the metadata and text (and drops ``page``),
    ``pipelines.normalise`` the hash form, ``pipelines.hash`` the digest and ``pipelines.store`` the outcome.
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
    page: ParsedPage | None = None  # ``html`` parsed, shared by the attachments and extract stages; never stored

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
