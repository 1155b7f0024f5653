"""Which part of a page is its body.

General-purpose extractors (readability, trafilatura) score about 0.85 on these pages and leak
layout tables, counters and footers.  Government CMSs are few and their body containers are well
known, so known containers are tried first, then Hanweb comment markers, then a text-density
fallback that copes with old nested-table layouts.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from pipelines.text.html.parse import drop, parse_markup
from pipelines.text.html.render import render, render_with, text_len, text_of

# Body containers in priority order: precise CMS editor wrappers before generic layout names.
CONTAINERS: tuple[str, ...] = (
    ".TRS_Editor",
    ".TRS_UEDITOR",
    ".Custom_UnionStyle",
    "#zoom",
    "#zoomcon",
    "#UCAP-CONTENT",
    "#ivs_content",
    "#webeditorview",
    ".xxgk_content",
    ".article-content",
    ".article_content",
    ".zw-content",
    ".zw_content",
    ".main-content",
)
_HANWEB_BEGIN = "<!--<$[信息内容]>begin-->"
_HANWEB_END = "<!--<$[信息内容]>end-->"

_LAYOUT_TAGS = ("nav", "header", "footer", "aside")
# Pinyin/English class and id tokens of navigation, breadcrumb, share and footer blocks.
_CHROME_TOKENS = frozenset(
    {
        "nav",
        "navbar",
        "menu",
        "breadcrumb",
        "crumb",
        "crumbs",
        "dqwz",
        "wzdh",
        "position",
        "location",
        "footer",
        "foot",
        "copyright",
        "bottom",
        "share",
        "bdsharebuttonbox",
        "sidebar",
        "banner",
        "header",
        "xgwz",
        "xgxx",
        "xglj",
        "yqlj",
        "friendlink",
        "related",
        "relnews",
        "hotnews",
        "rdxw",
    }
)
_SCORE_CONTAINERS = frozenset(
    {"div", "td", "th", "article", "section", "main", "body", "center", "blockquote", "form", "dd", "li"}
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_PUNCT = re.compile(r"[，。；：、！？,;]")
_MIN_BODY_CHARS = 20
# A density winner this short must read as prose (a sentence mark) to count as a body.
_MIN_PROSE_CHARS = 200
_PROSE_PUNCT = re.compile(r"[。，；！？]")
_ATTACHMENT_HREF = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|et|ofd|zip|rar)(?:$|[?#])", re.I)
_MAX_LINK_DENSITY = 0.5


# Elements are found through their attribute values: an lxml "smart" string knows its attribute's name and element,
# and reading the values out is several times faster than libxml2 testing a predicate such as [@class or @id] on
# every element of the page.
_IDS_AND_CLASSES = etree.XPath("descendant-or-self::*/@id | descendant-or-self::*/@class")
_CONTAINER_IDS = frozenset(s[1:] for s in CONTAINERS if s.startswith("#"))
_CONTAINER_CLASSES = tuple(s[1:] for s in CONTAINERS if s.startswith("."))
_CLASS_SPACE = re.compile(r"[ \t\r\n]+")  # what XPath's normalize-space and CSS class matching split on


def _owners(values: list[Any], keep: Callable[[str, str], bool]) -> list[etree._Element]:
    """The elements of the attribute values (smart strings, document order) ``keep(name, value)`` accepts, in
    document order, each once."""
    return list(dict.fromkeys(v.getparent() for v in values if keep(v.attrname, v)))


def _may_be_container(name: str, value: str) -> bool:
    """An id equal to a CONTAINERS id, or a class containing a CONTAINERS class (by substring, exactly below)."""
    return value in _CONTAINER_IDS if name == "id" else any(c in value for c in _CONTAINER_CLASSES)


def _matches(el: etree._Element, selector: str) -> bool:
    if selector.startswith("#"):
        return el.get("id") == selector[1:]
    return selector[1:] in _CLASS_SPACE.split(el.get("class") or "")


def container_boxes(doc: etree._Element) -> list[etree._Element]:
    """Every element a CONTAINERS selector matches, in document order, each once."""
    return [el for el in _candidates(doc) if any(_matches(el, selector) for selector in CONTAINERS)]


def _candidates(doc: etree._Element) -> list[etree._Element]:
    """Every element a CONTAINERS selector may match, in document order."""
    return _owners(_IDS_AND_CLASSES(doc), _may_be_container)


@dataclass(frozen=True, slots=True)
class Body:
    """Where the body was found (a CONTAINERS selector, "hanweb-markers", "density" or None), its element
    (None for Hanweb markers) and its lines; ``page_lines``: the whole page before any cleaning, when asked."""

    selector: str | None
    container: etree._Element | None
    lines: list[str]
    page_lines: list[str]


def find_body(doc: etree._Element, html: str, *, page_lines: bool) -> Body:
    """The body of a page (``doc`` parsed from ``html``); with ``page_lines`` also the whole page's lines,
    rendered in the same walk as a known container."""
    known = _known_container(doc)
    page: list[str] = []
    if known:
        selector, el = known
        page, lines = render_with(doc, el) if page_lines else ([], [])
        cleaned = _clean_subtree(el, aggressive=False)
        if cleaned or not page_lines:
            lines = render(el)  # not rendered yet, or the page walk saw chrome that cleaning then removed
        if lines:
            return Body(selector, el, lines, page)
    elif page_lines:
        page = render(doc)
    fragment = _hanweb_fragment(html)
    if fragment is not None:
        _clean_subtree(fragment, aggressive=False)
        lines = render(fragment)
        if lines:
            return Body("hanweb-markers", None, lines, page)
    body = doc.find("body")
    root = body if body is not None else doc
    _clean_subtree(root, aggressive=True)
    best = _densest(root)
    if best is None:
        return Body(None, None, [], page)
    lines = render(best)
    text = "".join(lines)
    if text_len(text) < _MIN_PROSE_CHARS and not _PROSE_PUNCT.search(text):
        return Body(None, None, [], page)  # a list row or a link cluster won, not prose: a list/nav page has no body
    return Body("density", best, lines, page)


# The descendants' attributes that can hide them, and their ids and classes.
_HIDING = etree.XPath("descendant::*/@hidden | descendant::*/@type | descendant::*/@style")
_NAMES = etree.XPath("descendant::*/@id | descendant::*/@class")


def _hides(name: str, value: str) -> bool:
    return name == "hidden" or (value.lower() == "hidden" if name == "type" else bool(_HIDDEN_STYLE.search(value)))


def _chrome_named(name: str, value: str) -> bool:
    """A class token or the id, lowercased and with "-" as "_", is one of _CHROME_TOKENS."""
    value = value.lower().replace("-", "_")
    return not _CHROME_TOKENS.isdisjoint(value.split()) if name == "class" else value in _CHROME_TOKENS


def _link_share(el: etree._Element) -> float:
    """Share of the element's text that sits inside links (0 for an element without text)."""
    total = text_len(text_of(el))
    if not total:
        return 0.0
    return sum(text_len(text_of(a)) for a in el.iter("a")) / total


def _links_attachment(el: etree._Element) -> bool:
    """True when the element links a document file: 附件 lines are body even though they are links."""
    return any(_ATTACHMENT_HREF.search(a.get("href") or "") for a in el.iter("a"))


def _clean_subtree(root: etree._Element, *, aggressive: bool) -> int:
    """Remove hidden and layout chrome; ``aggressive`` also drops chrome-named blocks and small forms.

    Inside a known container only chrome-named *link lists* go (相关文章 or 上一篇 blocks that some
    templates put in the editor area): a body paragraph never carries such a class and mostly links.
    Returns how many elements went.
    """
    dropped = drop(_owners(_HIDING(root), _hides))
    if not aggressive:
        return dropped + drop(
            el
            for el in _owners(_NAMES(root), _chrome_named)
            if _link_share(el) > _MAX_LINK_DENSITY
            and not _links_attachment(el)
        )
    dropped += drop(el for el in root.iter(*_LAYOUT_TAGS) if el is not root)
    dropped += drop(
        el
        for el in _owners(_NAMES(root), _chrome_named)
        if el.tag not in ("body", "html")
        and text_len(text_of(el)) < 2000
    )
    return dropped + drop(el for el in root.iter("form") if text_len(text_of(el)) < 200)


def _known_container(doc: etree._Element) -> tuple[str, etree._Element] | None:
    """The first CONTAINERS selector matching an element with text; of its matches, the one with most text."""
    found = _candidates(doc)
    sizes: dict[etree._Element, int] = {}

    def size(el: etree._Element) -> int:
        if el not in sizes:
            sizes[el] = text_len(text_of(el))
        return sizes[el]

    for selector in CONTAINERS:
        matches = [m for m in found if _matches(m, selector) and size(m)]
        if matches:
            return selector, max(matches, key=size)
    return None


def _hanweb_fragment(html: str) -> etree._Element | None:
    start = html.find(_HANWEB_BEGIN)
    end = html.find(_HANWEB_END, start + 1) if start >= 0 else -1
    if end < 0:
        return None
    return parse_markup(html[start + len(_HANWEB_BEGIN) : end])


def _densest(doc: etree._Element) -> etree._Element | None:
    """Readability-style scoring tuned for Chinese: paragraphs score by length and punctuation.

    Each run of direct (non-link) text credits its nearest block container fully, the parent half
    and the grandparent a third; the result is scaled by (1 - link density) so nav tables and
    相关文章 lists lose.  One pass over the tree, so 5 MB pages stay fast.
    """
    totals: dict[etree._Element, tuple[int, int]] = {}
    scores: dict[etree._Element, float] = defaultdict(float)
    for _, el in etree.iterwalk(doc, events=("end",)):
        if not isinstance(el.tag, str):
            continue
        own = (el.text or "") + "".join(child.tail or "" for child in el)
        own_len = text_len(own)
        in_link = el.tag == "a"
        total, links = own_len, (own_len if in_link else 0)
        for child in el:
            child_total, child_links = totals.get(child, (0, 0))
            total += child_total
            links += child_total if in_link else child_links
        totals[el] = (total, links)
        if own_len < 10 or in_link or next(el.iterancestors("a"), None) is not None:
            continue
        score = 1 + len(_PUNCT.findall(own)) + min(own_len / 100, 3)
        holder = (
            el
            if el.tag in _SCORE_CONTAINERS
            else next((a for a in el.iterancestors() if a.tag in _SCORE_CONTAINERS), None)
        )
        for weight, target in zip((1, 1 / 2, 1 / 3), _lineage(holder), strict=False):
            scores[target] += score * weight
    best, best_score = None, 0.0
    for el, score in scores.items():
        total, links = totals.get(el, (0, 0))
        if total - links < _MIN_BODY_CHARS or links > total * _MAX_LINK_DENSITY:
            continue
        final = score * (1 - links / total)
        if final > best_score:
            best, best_score = el, final
    if best is not None:
        # Link lists nested in the winner (相关文章, 热点新闻) are navigation, not body.
        drop(
            el
            for el in best.iter("ul", "ol", "dl", "div", "table", "p", "li")
            if el is not best
            and totals.get(el, (0, 0))[1] > totals.get(el, (1, 0))[0] * 0.7
            and not _links_attachment(el)
        )
    return best


def _lineage(el: etree._Element | None) -> Iterable[etree._Element]:
    while el is not None:
        yield el
        el = el.getparent()
