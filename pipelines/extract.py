"""Main-text and metadata extraction for Chinese government detail pages.

General-purpose extractors (readability, trafilatura) score about 0.85 on these pages and leak
layout tables, counters and footers (docs/reference/ecosystem-notes.md §10).  Government CMSs are few and
their body containers are well known, so known containers are tried first, then Hanweb comment
markers, then a text-density fallback that copes with old nested-table layouts.  Statistics
tables are kept as tab-joined rows because the annual-report parsers downstream read them.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Self
from urllib.parse import urljoin

import lxml.html
from itemadapter import ItemAdapter
from lxml import etree
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pipelines.attachments import body_or_attachments
from pipelines.components import count, record_error
from pipelines.text.chrome import drop_chrome_lines
from pipelines.text.classify import Kind, classify_title, is_aggregate_title, organ_from_title
from pipelines.text.dates import ReportYear, report_year, signature_date, url_date
from pipelines.text.encoding import decode_html

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
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "tfoot",
        "caption",
        "section",
        "article",
        "main",
        "blockquote",
        "pre",
        "center",
        "address",
        "hr",
        "form",
        "header",
        "footer",
        "nav",
        "aside",
        "figure",
        "figcaption",
        "fieldset",
        "body",
        "html",
        "br",
    }
)
_SCORE_CONTAINERS = frozenset(
    {"div", "td", "th", "article", "section", "main", "body", "center", "blockquote", "form", "dd", "li"}
)

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_WS = re.compile(r"[^\S\n]+")
_WS_ALL = re.compile(r"\s+")
_CJK_SPACE = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef]) (?=[\u3000-\u9fff\uff00-\uffef])")
_TEXT_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_PUNCT = re.compile(r"[，。；：、！？,;]")
_BAD_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_END_ROOT_TAGS = re.compile(r"</(?:html|body)\s*>", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)

_DATE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_BAR_DATE = re.compile(r"(?:发布|公开|更新)?(?:日期|时间)\s*[:：]\s*(" + _DATE.pattern + ")")
_BAR_SOURCE = re.compile(r"(?:信息来源|文章来源|来源)\s*[:：]\s*([^\s:：|｜'\"]{2,40})")
_BAR_NEXT_LABEL = re.compile(r"浏览|点击|阅读|发布|日期|时间|作者|编辑|字号")
_URL_DATES = (
    re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_\d+"),
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/art_"),
)
# "-站点名" glued to the title: only stripped when it looks like a site name (titles contain "1-10月").
_SITE_SUFFIX = re.compile(r"-([\u4e00-\u9fff]{2,20}(?:人民政府|政府|门户网站|网站|网|委员会|局|厅|办公室))$")
_TITLE_SEP = re.compile(r"\s*(?:_+|\s\|\s|｜|\|| - | — |——|－|-{2,})\s*")

# xxgk 索引号 block labels (longest first so 主题分类 wins over 分类); value ends at the next label.
_XXGK_LABELS = (
    "索引号",
    "主题分类",
    "组配分类",
    "体裁分类",
    "信息分类",
    "服务对象",
    "分类",
    "发布机构",
    "发文机关",
    "发文单位",
    "所属机构",
    "成文日期",
    "发布日期",
    "公开日期",
    "生成日期",
    "实施日期",
    "废止日期",
    "名称",
    "标题",
    "发文字号",
    "文号",
    "主题词",
    "关键词",
    "有效期",
    "有效性",
    "时效",
    "公开方式",
    "公开时限",
    "公开范围",
    "公开形式",
    "责任部门",
    "信息来源",
    "来源",
)
# Templates space labels out ("索 引 号："), so whitespace may sit between the characters.
_XXGK_LABEL = re.compile(r"(" + "|".join(r"\s*".join(label) for label in _XXGK_LABELS) + r")\s*[:：]?")
_INDEX_LABEL = re.compile(r"索\s*引\s*号")
_NO_VALUE = frozenset({"", "无", "-", "/", "—", "暂无"})
_MIN_BODY_CHARS = 20
# About 12 MB of Chinese text in UTF-8: more than any report page, parsed in a few seconds and < 1 GB.
MAX_HTML_CHARS = 4_000_000
_DATA_URI = re.compile(r"data:[\w/+.-]{1,40};base64,[A-Za-z0-9+/=\s]{200,}")
# A density winner this short must read as prose (a sentence mark) to count as a body.
_MIN_PROSE_CHARS = 200
_PROSE_PUNCT = re.compile(r"[。，；！？]")
_ATTACHMENT_HREF = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|et|ofd|zip|rar)(?:$|[?#])", re.I)
_MAX_LINK_DENSITY = 0.5


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


# ---------------------------------------------------------------- text helpers


def _clean_line(line: str) -> str:
    return _WS.sub(" ", line).strip()


def _text_len(text: str) -> int:
    return len(_TEXT_CHAR.findall(text))


def _parse_date(text: str | None) -> datetime.date | None:
    match = _DATE.search(text or "")
    if not match:
        return None
    try:
        return datetime.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def _classes(el: etree._Element) -> set[str]:
    return set((el.get("class") or "").lower().replace("-", "_").split()) | {
        (el.get("id") or "").lower().replace("-", "_")
    }


def _is_hidden(el: etree._Element) -> bool:
    return (
        el.get("hidden") is not None
        or el.get("type", "").lower() == "hidden"
        or bool(_HIDDEN_STYLE.search(el.get("style") or ""))
    )


def _drop(elements: Iterable[etree._Element]) -> None:
    """Remove elements but keep their tails (text that follows them belongs to the parent)."""
    for el in list(elements):
        if el.getparent() is not None:
            el.drop_tree()


def _cell_text(cell: etree._Element) -> str:
    """Cell text on one line; "商业<br>企业" wraps inside a header cell must not become "商业 企业"."""
    return _CJK_SPACE.sub("", _clean_line(" ".join(cell.itertext()).replace("\t", " ").replace("\n", " ")))


def _rows(table: etree._Element) -> list[etree._Element]:
    return table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")


def _data_table_lines(table: etree._Element) -> list[str] | None:
    """Tab-joined rows of a data table; None for a layout table (nested, one column, long cells),
    which is rendered as blocks instead. Each cell's text is computed once."""
    if table.find(".//table") is not None:
        return None
    rows = [[_cell_text(c) for c in row.xpath("./td|./th")] for row in _rows(table)]
    if not rows or max(map(len, rows)) < 2 or any(_text_len(cell) > 300 for row in rows for cell in row):
        return None
    return ["\t".join(cells) for cells in rows if any(cells)]


def _render(root: etree._Element) -> list[str]:
    """Linearise a subtree: block elements and <br> break lines, data tables give tab-joined rows.

    Iterative (``iterwalk``) so that pathologically deep trees cannot hit the recursion limit.
    """
    parts: list[str] = []
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag if isinstance(el.tag, str) else ""
        block = tag in _BLOCK_TAGS
        if event == "start":
            table_lines = _data_table_lines(el) if tag == "table" else None
            if table_lines is not None:
                parts.append("\n" + "\n".join(table_lines).replace("\t", "\x00") + "\n")
                walker.skip_subtree()
                continue
            if block:
                parts.append("\n")
            if tag:
                parts.append((el.text or "").replace("\t", " "))
        else:
            if block:
                parts.append("\n")
            if el is not root:
                parts.append((el.tail or "").replace("\t", " "))
    lines = (_clean_line(line).replace("\x00", "\t") for line in "".join(parts).split("\n"))
    return [line for line in lines if line.strip("\t")]


# ---------------------------------------------------------------- metadata


def _meta_tags(doc: etree._Element) -> dict[str, str]:
    """Meta name → content, names lower-cased; the first non-empty value wins (blocks repeat)."""
    found: dict[str, str] = {}
    for meta in doc.iter("meta"):
        name = (meta.get("name") or "").strip().lower()
        content = _clean_line(meta.get("content") or "")
        if name and content and name not in found:
            found[name] = content
    return found


def _xxgk_fields(text: str) -> dict[str, str]:
    """Label → value from the linearised 索引号 block; a value ends at the next label or line end."""
    fields: dict[str, str] = {}
    matches = list(_XXGK_LABEL.finditer(text))
    for match, nxt in zip(matches, [*matches[1:], None], strict=True):
        value = text[match.end() : nxt.start() if nxt else len(text)]
        value = next((v.strip(" \t:：") for v in value.split("\n") if v.strip(" \t:：")), "")
        value = value.split("\t")[0].strip()
        if value not in _NO_VALUE:
            fields.setdefault(_WS_ALL.sub("", match.group(1)), value)
    return fields


def _take_xxgk_blocks(doc: etree._Element) -> dict[str, str]:
    """Parse and remove every 索引号 metadata block, so it goes to ``meta`` and never to the body.

    Commented-out rows (Handan hides 成文日期 in ``<!-- -->``) fill fields the visible rows lack.
    """
    fields: dict[str, str] = {}
    for hit in doc.xpath("//*[text()[contains(., '索')]]"):
        own = "".join(hit.itertext())
        attached = hit.getroottree().getroot() is doc  # False once inside an already-removed block
        if not attached or _text_len(own) > 60 or not _INDEX_LABEL.search(own):
            continue
        block, labels = None, 0
        for anc in (hit, *hit.iterancestors()):
            text = "".join(anc.itertext())
            if len(text) > 2500 or anc.tag in ("body", "html"):
                break
            found = len({_WS_ALL.sub("", m.group(1)) for m in _XXGK_LABEL.finditer(text)})
            if block is not None and found <= labels:
                break  # the block is complete once the parent adds no further labels
            if found >= 3:
                block, labels = anc, found
        if block is None:
            continue
        for key, value in _xxgk_fields("\n".join(_render(block))).items():
            fields.setdefault(key, value)
        for comment in block.iter(etree.Comment):
            hidden = lxml.html.fragment_fromstring(comment.text or "", create_parent="div")
            for key, value in _xxgk_fields("\n".join(_render(hidden))).items():
                fields.setdefault(key, value)
        _drop([block])
    return fields


_SENTENCE = re.compile(r"[。，,；;：:！？]")
_HEAD_LINES = 6


def _after_title(lines: list[str], title: str) -> list[str]:
    """Drop the title when the body repeats it, and any header leftovers above it.

    Pages pasted from other systems carry their old header inside the body container: home link,
    date banner, column name, then the title (seed 001). Only short lines without sentence
    punctuation above the title are dropped, so a body that merely mentions its title keeps its text.
    """
    key = title.replace(" ", "")
    for i, line in enumerate(lines[:_HEAD_LINES]):
        if _clean_line(line).replace(" ", "") == key:
            head = lines[:i]
            if all(len(h) <= 30 and not _SENTENCE.search(h) for h in head):
                return lines[i + 1 :]
            return lines[:i] + lines[i + 1 :]
    return lines


def _strip_title_suffix(title: str, site_name: str | None, column: str | None) -> str | None:
    """``<title>`` is "文章_栏目_站点", "文章-站点" or "站点 | 文章": drop site/column parts, keep the longest."""
    title = _clean_line(title)
    parts = [p for p in _TITLE_SEP.split(title) if p]
    keep = [p for p in parts if p not in {site_name, column}] or parts
    best = max(keep, key=len, default="")
    site = _SITE_SUFFIX.search(best)
    if site and (site_name is None or site.group(1) == site_name):
        best = best[: site.start()]
    return best or None


def _article_heading(container: etree._Element | None) -> str | None:
    """The closest h1 / ``*title*``-class element before the body, within its article area."""
    if container is None:
        return None
    area = next(iter(list(container.iterancestors())[2:3]), None)
    if area is None:
        return None
    found = container.xpath("preceding::*[self::h1 or contains(@class, 'title')][position() <= 6]")
    for el in reversed(found):
        text = _clean_line(" ".join(el.itertext()))
        if 4 <= len(text) <= 150 and area in el.iterancestors():
            return text
    return None


# ---------------------------------------------------------------- body finding


def _class_xpath(selector: str) -> str:
    if selector.startswith("#"):
        return f"//*[@id='{selector[1:]}']"
    return f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {selector[1:]} ')]"


def _link_share(el: etree._Element) -> float:
    """Share of the element's text that sits inside links (0 for an element without text)."""
    total = _text_len("".join(el.itertext()))
    if not total:
        return 0.0
    return sum(_text_len("".join(a.itertext())) for a in el.iter("a")) / total


def _links_attachment(el: etree._Element) -> bool:
    """True when the element links a document file: 附件 lines are body even though they are links."""
    return any(_ATTACHMENT_HREF.search(a.get("href") or "") for a in el.iter("a"))


def _clean_subtree(root: etree._Element, *, aggressive: bool) -> None:
    """Remove hidden and layout chrome; ``aggressive`` also drops chrome-named blocks and small forms.

    Inside a known container only chrome-named *link lists* go (相关文章 or 上一篇 blocks that some
    templates put in the editor area): a body paragraph never carries such a class and mostly links.
    """
    _drop(el for el in root.iter() if isinstance(el.tag, str) and _is_hidden(el) and el is not root)
    if not aggressive:
        _drop(
            el
            for el in root.iter()
            if isinstance(el.tag, str)
            and el is not root
            and _classes(el) & _CHROME_TOKENS
            and _link_share(el) > _MAX_LINK_DENSITY
            and not _links_attachment(el)
        )
        return
    _drop(el for el in root.iter(*_LAYOUT_TAGS) if el is not root)
    _drop(
        el
        for el in root.iter()
        if isinstance(el.tag, str)
        and el is not root
        and el.tag not in ("body", "html")
        and _classes(el) & _CHROME_TOKENS
        and _text_len("".join(el.itertext())) < 2000
    )
    _drop(el for el in root.iter("form") if _text_len("".join(el.itertext())) < 200)


def _known_container(doc: etree._Element) -> tuple[str, etree._Element] | None:
    for selector in CONTAINERS:
        matches = [m for m in doc.xpath(_class_xpath(selector)) if _text_len("".join(m.itertext()))]
        if matches:
            return selector, max(matches, key=lambda m: _text_len("".join(m.itertext())))
    return None


def _hanweb_fragment(html: str) -> etree._Element | None:
    start = html.find(_HANWEB_BEGIN)
    end = html.find(_HANWEB_END, start + 1) if start >= 0 else -1
    if end < 0:
        return None
    return _parse(html[start + len(_HANWEB_BEGIN) : end])


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
        own_len = _text_len(own)
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
        _drop(
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


# ---------------------------------------------------------------- entry point


def _bounded(html: str) -> str:
    """Bound parse time and memory: inline ``data:`` images go (cmse.gov.cn inlines 400 KB of them), then
    anything past :data:`MAX_HTML_CHARS` is cut, as a truncated download would be (the body comes first)."""
    return _DATA_URI.sub("data:,", html)[:MAX_HTML_CHARS]


def _parse(html: str) -> etree._Element | None:
    """Parse leniently; None for empty or undecodable input (mostly U+FFFD means binary junk)."""
    # A premature </html> (gov.cn templates have one mid-page) makes libxml2 put the rest of the
    # page outside the tree walked from the root; the end tags are optional, so drop them.
    html = _END_ROOT_TAGS.sub("", _XML_DECL.sub("", _BAD_XML_CHARS.sub("", html)))
    if not html.strip() or html.count("\ufffd") > len(html) * 0.05:
        return None
    try:
        # huge_tree: libxml2 otherwise silently drops everything nested deeper than 255 levels.
        return lxml.html.document_fromstring(html, parser=lxml.html.HTMLParser(huge_tree=True))
    except (etree.ParserError, ValueError):
        return None


def _body_lines(doc: etree._Element, html: str) -> tuple[str | None, etree._Element | None, list[str]]:
    known = _known_container(doc)
    if known:
        selector, el = known
        _clean_subtree(el, aggressive=False)
        lines = _render(el)
        if lines:
            return selector, el, lines
    fragment = _hanweb_fragment(html)
    if fragment is not None:
        _clean_subtree(fragment, aggressive=False)
        lines = _render(fragment)
        if lines:
            return "hanweb-markers", None, lines
    body = doc.find("body")
    root = body if body is not None else doc
    _clean_subtree(root, aggressive=True)
    best = _densest(root)
    if best is None:
        return None, None, []
    lines = _render(best)
    text = "".join(lines)
    if _text_len(text) < _MIN_PROSE_CHARS and not _PROSE_PUNCT.search(text):
        return None, None, []  # a list row or a link cluster won, not prose: a list/nav page has no body
    return "density", best, lines


def extract(html: str | bytes, url: str | None = None) -> Extraction:
    """Extract title, clean body text, publish date, issuing organ and page metadata.

    Never raises on malformed input; an unusable page gives an empty ``Extraction``.
    """
    if isinstance(html, bytes):
        html = decode_html(html)
    html = _bounded(html)
    doc = _parse(html)
    if doc is None:
        return Extraction(None, "", _url_date(url), None, {}, None)
    tags = _meta_tags(doc)
    xxgk = _take_xxgk_blocks(doc)
    ucap_title = next((_clean_line(" ".join(t.itertext())) for t in doc.iter("ucaptitle")), None)
    page_title = next((t.text_content() for t in doc.iter("title")), None)
    etree.strip_elements(doc, etree.Comment, etree.PI, *_DROP_TAGS, with_tail=False)

    # Metadata-bar lines (发布时间/来源) are searched outside the body, so render the page first.
    page_lines = [line for line in _render(doc) if len(line) <= 200 and "今天" not in line]
    selector, container, lines = _body_lines(doc, html)
    site_name, column = tags.get("sitename"), tags.get("columnname")
    title = (
        tags.get("articletitle")
        or ucap_title
        or _article_heading(container)
        or (_strip_title_suffix(page_title, site_name, column) if page_title else None)
    )

    text_lines = [line for line in drop_chrome_lines("\n".join(lines)).split("\n") if line.strip()]
    # A bar rendered inside the chosen block (short pages) was dropped as chrome: search it too.
    body_set = set(text_lines)
    bar = [line for line in page_lines if line not in body_set]
    if title:
        text_lines = _after_title(text_lines, title)

    meta = _build_meta(tags, xxgk, url)
    published = (
        _parse_date(tags.get("pubdate"))
        or _parse_date(tags.get("firstpublishedtime"))
        or _bar_date(bar)
        or _parse_date(xxgk.get("发布日期") or xxgk.get("公开日期"))
        or _url_date(url or meta.get("canonical_url"))
    )
    organ = (
        tags.get("contentsource")
        or xxgk.get("发布机构")
        or xxgk.get("发文机关")
        or xxgk.get("发文单位")
        or _bar_source(bar)
    )
    return Extraction(title or None, "\n".join(text_lines), published, organ, meta, selector)


def _build_meta(tags: dict[str, str], xxgk: dict[str, str], url: str | None) -> dict[str, str]:
    meta: dict[str, str] = {}
    written = _parse_date(xxgk.get("成文日期"))
    for key, value in (
        ("index_no", xxgk.get("索引号")),
        ("doc_no", xxgk.get("文号") or xxgk.get("发文字号")),
        ("written", written.isoformat() if written else None),
        ("site_id_code", tags.get("siteidcode")),
        ("column", tags.get("columnname")),
        ("site_name", tags.get("sitename")),
        ("canonical_url", urljoin(url, tags["url"]) if url and "url" in tags else tags.get("url")),
        ("source_published", tags.get("pubdate")),
    ):
        if value:
            meta[key] = value
    return meta


def _bar_date(lines: list[str]) -> datetime.date | None:
    for line in lines:
        match = _BAR_DATE.search(line)
        if match:
            return _parse_date(match.group(1))
    return None


def _bar_source(lines: list[str]) -> str | None:
    for line in lines:
        match = _BAR_SOURCE.search(line)
        if match:
            value = _BAR_NEXT_LABEL.split(match.group(1))[0]
            if len(value) >= 2:
                return value
    return None


def _url_date(url: str | None) -> datetime.date | None:
    for pattern in _URL_DATES:
        match = pattern.search(url or "")
        if match:
            try:
                return datetime.date(*(int(g) for g in match.groups()))
            except ValueError:
                return None
    return None


@dataclass(frozen=True, slots=True)
class ReportFields:
    """What the archive stores about a page besides its text (see :func:`report_fields`)."""

    title: str | None
    organ: str | None
    published: datetime.date | None
    report_year: ReportYear
    is_report: bool
    meta: dict[str, Any]


def report_fields(
    page: Extraction, url: str | None, list_title: str | None = None, list_date: datetime.date | None = None
) -> ReportFields:
    """Title, organ, publish date and report year as the pipeline stores them.

    One function for the Scrapy stage and ``nianbao extract``, so the command shows exactly what a
    crawl would archive.  The list-page title and date are fallbacks only a crawl has.
    """
    title = page.title if page.title and classify_title(page.title) is Kind.REPORT else list_title or page.title
    published = page.published or (url_date(url) if url else None) or list_date or signature_date(page.text)
    # The body whose report this is (from the title) before the office that posted it (ContentSource).
    organ = (organ_from_title(title) if title else None) or page.organ
    is_report = bool(title) and classify_title(title) is Kind.REPORT
    meta: dict[str, Any] = {**page.meta, **{k: v for k, v in (("container", page.container),
                                                                 ("content_source", page.organ)) if v}}
    if is_report and title:
        # A 本级政府 report sums its units' figures: never add it to theirs (docs/reference/report-format.md §1).
        meta["is_aggregate"] = is_aggregate_title(title, organ)
    return ReportFields(title=title, organ=organ, published=published,
                        report_year=report_year(title, page.text, published), is_report=is_report, meta=meta)


class ExtractPipeline:
    """Stage 1: page → clean text plus metadata (title, organ, publish date, report year).

    Metadata is kept apart from the body; a page with no recognisable body is recorded as an
    error for its portal and dropped, so an empty text never reaches the archive.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        stats = self.crawler.stats
        assert stats is not None
        url, portal = adapter["url"], adapter["portal"]
        page = extract(adapter["html"], url)
        adapter["html"] = ""
        text, source = body_or_attachments(page.text, item)  # 详见附件 pages and reports published as files
        page = replace(page, text=text)
        if page.no_body and source == "page":
            record_error(stats, portal, url, "no recognisable body on the page", "extract")
            raise DropItem(f"no body found: {url}")
        fields = report_fields(page, url, adapter["list_title"], adapter["list_date"])
        adapter["title"] = fields.title
        adapter["organ"] = fields.organ
        adapter["published"] = fields.published
        adapter["report_year"] = fields.report_year.year
        adapter["report_year_source"] = fields.report_year.source
        adapter["meta"] = fields.meta if source == "page" else {**fields.meta, "text_from": source}
        adapter["text"] = page.text
        count(stats, portal, "extracted")
        return item
