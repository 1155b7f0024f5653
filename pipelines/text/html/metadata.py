"""Page metadata kept apart from the body: meta tags, the 索引号 block, the title, the metadata bar."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from pipelines.text.dates import PUB, find_date
from pipelines.text.html.parse import drop
from pipelines.text.html.render import clean_line, render, text_len, text_of

_WS_ALL = re.compile(r"\s+")
_BAR_SOURCE = re.compile(r"(?:信息来源|文章来源|来源)\s*[:：]\s*([^\s:：|｜'\"]{2,40})")
_BAR_NEXT_LABEL = re.compile(r"浏览|点击|阅读|发布|日期|时间|作者|编辑|字号")
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
# Elements whose own text may hold 索引号 (the parents of such text nodes: libxml2 tests the text nodes only, about
# twice as fast as testing every element for such a text child).
_INDEX_HITS = etree.XPath("//text()[contains(., '索')]/..")
_HEADINGS_BEFORE = etree.XPath("preceding::*[self::h1 or contains(@class, 'title')][position() <= 6]")
_SENTENCE = re.compile(r"[。，,；;：:！？]")
# A 索引号 block is labels and short values, never sentences: an ancestor holding a sentence is the article
# around the block (short reports often sit in one container with it), so the climb stops below it.
_PROSE = re.compile(r"[。；！？]")
_HEAD_LINES = 6


def meta_tags(doc: etree._Element) -> dict[str, str]:
    """Meta name → content, names lower-cased; the first non-empty value wins (blocks repeat)."""
    found: dict[str, str] = {}
    for meta in doc.iter("meta"):
        name = (meta.get("name") or "").strip().lower()
        content = clean_line(meta.get("content") or "")
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


def take_xxgk_blocks(doc: etree._Element) -> dict[str, str]:
    """Parse and remove every 索引号 metadata block, so it goes to ``meta`` and never to the body.

    Commented-out rows (Handan hides 成文日期 in ``<!-- -->``) fill fields the visible rows lack.
    """
    fields: dict[str, str] = {}
    if not _INDEX_LABEL.search(text_of(doc)):  # a hit's text is part of the page's: no 索引号 anywhere, no block
        return fields
    for hit in _INDEX_HITS(doc):
        own = text_of(hit)
        attached = hit.getroottree().getroot() is doc  # False once inside an already-removed block
        if not attached or text_len(own) > 60 or not _INDEX_LABEL.search(own):
            continue
        block, labels = None, 0
        for anc in (hit, *hit.iterancestors()):
            text = text_of(anc)
            if len(text) > 2500 or anc.tag in ("body", "html") or _PROSE.search(text):
                break
            found = len({_WS_ALL.sub("", m.group(1)) for m in _XXGK_LABEL.finditer(text)})
            if block is not None and found <= labels:
                break  # the block is complete once the parent adds no further labels
            if found >= 3:
                block, labels = anc, found
        if block is None:
            continue
        for key, value in _xxgk_fields("\n".join(render(block))).items():
            fields.setdefault(key, value)
        for comment in block.iter(etree.Comment):
            hidden = lxml.html.fragment_fromstring(comment.text or "", create_parent="div")
            for key, value in _xxgk_fields("\n".join(render(hidden))).items():
                fields.setdefault(key, value)
        drop([block])
    return fields


def after_title(lines: list[str], title: str) -> list[str]:
    """Drop the title when the body repeats it, and any header leftovers above it.

    Pages pasted from other systems carry their old header inside the body container: home link,
    date banner, column name, then the title (seed 001). Only short lines without sentence
    punctuation above the title are dropped, so a body that merely mentions its title keeps its text.
    """
    key = title.replace(" ", "")
    for i, line in enumerate(lines[:_HEAD_LINES]):
        if clean_line(line).replace(" ", "") == key:
            head = lines[:i]
            if all(len(h) <= 30 and not _SENTENCE.search(h) for h in head):
                return lines[i + 1 :]
            return lines[:i] + lines[i + 1 :]
    return lines


def strip_title_suffix(title: str, site_name: str | None, column: str | None) -> str | None:
    """``<title>`` is "文章_栏目_站点", "文章-站点" or "站点 | 文章": drop site/column parts, keep the longest."""
    title = clean_line(title)
    parts = [p for p in _TITLE_SEP.split(title) if p]
    keep = [p for p in parts if p not in {site_name, column}] or parts
    best = max(keep, key=len, default="")
    site = _SITE_SUFFIX.search(best)
    if site and (site_name is None or site.group(1) == site_name):
        best = best[: site.start()]
    return best or None


def article_heading(container: etree._Element | None) -> str | None:
    """The closest h1 / ``*title*``-class element before the body, within its article area."""
    if container is None:
        return None
    area = next(iter(list(container.iterancestors())[2:3]), None)
    if area is None:
        return None
    found = _HEADINGS_BEFORE(container)
    for el in reversed(found):
        text = clean_line(" ".join(el.itertext()))
        if 4 <= len(text) <= 150 and area in el.iterancestors():
            return text
    return None


def build_meta(tags: dict[str, str], xxgk: dict[str, str], url: str | None) -> dict[str, str]:
    """The page's own metadata as the archive keeps it in ``meta``."""
    meta: dict[str, str] = {}
    written = find_date(xxgk.get("成文日期"))
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


def bar_date(lines: list[str]) -> datetime.date | None:
    """The date of the first metadata-bar line with a "发布时间：" field (None when that date is no real one)."""
    for line in lines:
        match = PUB.search(line)
        if match:
            return find_date(match.group(0))
    return None


def bar_source(lines: list[str]) -> str | None:
    """The issuing body from the first "来源：" field of the metadata bar."""
    for line in lines:
        match = _BAR_SOURCE.search(line)
        if match:
            value = _BAR_NEXT_LABEL.split(match.group(1))[0]
            if len(value) >= 2:
                return value
    return None
