"""One page → title, clean body text, publish date, issuing organ and page metadata."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from lxml import etree

from pipelines.text.chrome import drop_chrome_lines
from pipelines.text.dates import find_date, url_date
from pipelines.text.html.body import find_body
from pipelines.text.html.metadata import (
    after_title,
    article_heading,
    bar_date,
    bar_source,
    build_meta,
    meta_tags,
    strip_title_suffix,
    take_xxgk_blocks,
)
from pipelines.text.html.parse import ParsedPage, parse
from pipelines.text.html.render import clean_line

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "template",
    "object",
    "embed",
    "svg",
    "canvas",
    "select",
    "button",
    "input",
    "textarea",
    "link",
    "meta",
    "head",
    "title",
)
_MAX_BAR_LINE = 200


@dataclass(frozen=True, slots=True)
class Extraction:
    """Result of :func:`extract`; ``text`` is clean body text, one paragraph or table row per line."""

    title: str | None
    text: str
    published: datetime.date | None
    organ: str | None
    meta: dict[str, str] = field(default_factory=dict)
    container: str | None = None

    @property
    def no_body(self) -> bool:
        """True when no body text was found (navigation-only pages, attachments-only pages)."""
        return not self.text


def extract(page: ParsedPage | str | bytes, url: str | None = None) -> Extraction:
    """Extract title, clean body text, publish date, issuing organ and page metadata.

    ``page`` is parsed here unless it already is (a crawl parses it once, in the attachments stage);
    its tree is changed.  Never raises on malformed input; an unusable page gives an empty ``Extraction``.
    """
    if not isinstance(page, ParsedPage):
        page = parse(page)
    doc = page.doc
    if doc is None:
        return Extraction(None, "", url_date(url), None, {}, None)
    tags = meta_tags(doc)
    xxgk = take_xxgk_blocks(doc)
    ucap_title = next((clean_line(" ".join(t.itertext())) for t in doc.iter("ucaptitle")), None)
    page_title = next((t.text_content() for t in doc.iter("title")), None)
    etree.strip_elements(doc, etree.Comment, etree.PI, *_DROP_TAGS, with_tail=False)

    meta_date = find_date(tags.get("pubdate")) or find_date(tags.get("firstpublishedtime"))
    meta_organ = tags.get("contentsource") or xxgk.get("发布机构") or xxgk.get("发文机关") or xxgk.get("发文单位")
    # The metadata bar (发布时间/来源 lines) is a fallback, searched outside the body in the page as it
    # was before cleaning: the page is rendered (with the body, in one walk) only when it is needed.
    body = find_body(doc, page.html, page_lines=meta_date is None or meta_organ is None)
    site_name, column = tags.get("sitename"), tags.get("columnname")
    title = (
        tags.get("articletitle")
        or ucap_title
        or article_heading(body.container)
        or (strip_title_suffix(page_title, site_name, column) if page_title else None)
    )

    text_lines = [line for line in drop_chrome_lines("\n".join(body.lines)).split("\n") if line.strip()]
    # A bar rendered inside the chosen block (short pages) was dropped as chrome: search it too.
    body_set = set(text_lines)
    bar = [line for line in body.page_lines if len(line) <= _MAX_BAR_LINE and "今天" not in line
           and line not in body_set]
    if title:
        text_lines = after_title(text_lines, title)

    meta = build_meta(tags, xxgk, url)
    published = (
        meta_date
        or bar_date(bar)
        or find_date(xxgk.get("发布日期") or xxgk.get("公开日期"))
        or url_date(url or meta.get("canonical_url"))
    )
    organ = meta_organ or bar_source(bar)
    return Extraction(title or None, "\n".join(text_lines), published, organ, meta, body.selector)
