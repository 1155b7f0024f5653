"""The one date toolkit: dates as Chinese pages print them, dates in URLs, and the report-year rules.

Report year, in order: title → statistics-period sentence (PERIOD) → leading "YYYY年，" of the
*first* body paragraph (FIRST) → publish year − 1 (inferred, low confidence).

Publish-date candidates provided here: :func:`find_date` (a printed date: meta tags, 索引号 fields,
list entries), :data:`PUB` (a labelled "发布日期：" field, as metadata bars print it), :func:`url_date`
(TRS / Hanweb / day folder) and :func:`signature_date` (SIGN, last line).  The callers
(``pipelines.text.html.extraction``, then ``pipelines.extract.report_fields``) apply the order: PubDate
meta, metadata bar or 索引号 发布日期 → URL date → list-page date → SIGN.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from pipelines.text.classify import title_year

__all__ = [
    "DATE",
    "PUB",
    "ReportYear",
    "find_date",
    "report_year",
    "signature_date",
    "url_date",
]

_Y = r"((?:19|20)\d{2})"
# A printed date "2015-03-18", "2020年08月02日", "2018/3/23", "2019.01.10" (groups: year, month, day).
DATE = re.compile(_Y + r"\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")

# Statistics period "自2017年1月1日起至2017年12月31日止".  年/月 may be lost inside spans (§7:
# "统计期限自201711日起至20171231日止", seed 001), so both are optional.
PERIOD = re.compile(
    _Y + r"\s*年?\s*0?1\s*月?\s*0?1\s*日\s*(?:起)?\s*(?:至|到|—|－|-|~|～)\s*"
    r"(?:" + _Y + r"\s*年?)?\s*12\s*月?\s*31\s*日"
)
# Only ever .match()ed against the first body paragraph: seed 002's only "YYYY年，" line is the
# next-year plan ("2009年，我街道将…").
FIRST = re.compile(r"\s*" + _Y + r"\s*年(?:度)?\s*[，,]")
# Metadata field "发布日期：2015-03-18", "时间:2018年3月23日".  Requires 日期/时间 + colon, so the
# crawl-date banner "今天是:2024年4月23日 星期二" (seed 001) never matches.
PUB = re.compile(r"(发布|公开|成文|生成|更新)?(?:日期|时间)\s*[:：]\s*" + DATE.pattern)
# Signature date at the end of the last non-empty line; 年 may be lost ("20153月18日", seed 000).
SIGN = re.compile(_Y + r"\s*年?\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")
# Signature in Chinese numerals: "二〇一五年三月十八日".
_CN_NUM = r"[〇○零一二三四五六七八九十]"
SIGN_CN = re.compile(
    r"(二[〇○零O0]" + _CN_NUM + r"{2})\s*年\s*(" + _CN_NUM + r"{1,2})\s*月\s*(" + _CN_NUM + r"{1,3})\s*日\s*$"
)
_CN_DIGITS = str.maketrans("〇○零O0一二三四五六七八九", "00000123456789")

# URL dates, tried in this order (§10: one combined regex lets the /202403/ month folder win over
# t20240308).  A month folder alone gives no day and no date.
URL_DATE = [
    re.compile(r"/t" + _Y + r"(\d{2})(\d{2})_\d+"),  # TRS     …/202403/t20240308_87885.htm
    re.compile(r"/art/" + _Y + r"/(\d{1,2})/(\d{1,2})/art_\d+"),  # Hanweb  /art/2021/9/30/art_12377_…
    re.compile(r"/" + _Y + r"(\d{2})(\d{2})/"),  # day folder /20230331/
]
_SENTENCE = re.compile(r"[，,。；;]")
_BANNER = re.compile(r"今天是|点击|浏览|来源[:：]|字号|打印|关闭")


@dataclass(frozen=True)
class ReportYear:
    """The year a report covers and where it came from.

    ``source`` is "title" | "period" | "first_paragraph" | "publish_year" | "unknown".
    """

    year: int | None
    source: str

    @property
    def inferred(self) -> bool:
        """True when the year was guessed from the publish date (publish year − 1; low confidence)."""
        return self.source == "publish_year"


def _mkdate(y: int | str, m: int | str, d: int | str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def _nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


def _first_paragraph(title: str | None, text: str) -> str | None:
    """First body paragraph: the first non-empty line that reads like prose.

    Skips the title (and in-body subtitles, which have no sentence punctuation), chrome such as
    "发布日期:2015-03-18 点击数:" or "今天是:2024年4月23日 星期二", and short lines.
    """
    tnorm = re.sub(r"\s+", "", _nfkc(title)) if title else None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        flat = re.sub(r"\s+", "", _nfkc(line))
        if tnorm and flat == tnorm:
            continue
        if PUB.search(flat) or _BANNER.search(flat):
            continue
        if len(flat) < 15 or not _SENTENCE.search(flat):
            continue
        return line
    return None


def report_year(title: str | None, text: str, published: date | None) -> ReportYear:
    """Report year by §10's order: title, PERIOD, FIRST, publish year − 1 (``inferred``).

    PERIOD takes the end year when both are printed (a cumulative "自2008年1月1日至2017年12月31日"
    reports on 2017), otherwise the start year.  PERIOD and FIRST years later than the publish year
    are ignored (a plan for next year cannot be the report year).
    """
    if title:
        y = title_year(title)
        if y is not None:
            return ReportYear(y, "title")
    body = _nfkc(text or "")
    limit = published.year if published else None
    for m in PERIOD.finditer(body):
        y = int(m.group(2) or m.group(1))
        if limit is None or y <= limit:
            return ReportYear(y, "period")
    para = _first_paragraph(title, body)
    if para:
        m = FIRST.match(para)
        if m:
            y = int(m.group(1))
            if limit is None or y <= limit:
                return ReportYear(y, "first_paragraph")
    if published:
        return ReportYear(published.year - 1, "publish_year")
    return ReportYear(None, "unknown")


def url_date(url: str | None) -> date | None:
    """Day-precise date in a URL (URL_DATE, in order), validated; None otherwise.

    A pattern whose digits are no real date ("t20241399_1") is skipped and the next one tried.
    Month folders ("/202403/") return None: inventing day 1 would pass the Jan–Apr check
    for the wrong reason.
    """
    for pat in URL_DATE:
        for m in pat.finditer(url or ""):
            d = _mkdate(*m.groups())
            if d:
                return d
    return None


def find_date(text: str | None) -> date | None:
    """The first printed date in ``text`` ("发布时间：2015-03-18 09:30" → 2015-03-18); None when the
    first one is no real date ("2015-02-30") or there is none."""
    m = DATE.search(text or "")
    return _mkdate(*m.groups()) if m else None


def _cn_small(s: str) -> int:
    """Chinese numeral 1–31: "三" 3, "十" 10, "十八" 18, "二十" 20, "三十一" 31."""
    if "十" in s:
        tens, _, ones = s.partition("十")
        return int(tens.translate(_CN_DIGITS) or 1) * 10 + int(ones.translate(_CN_DIGITS) or 0)
    return int(s.translate(_CN_DIGITS))


def signature_date(text: str) -> date | None:
    """Date at the end of the last non-empty line (SIGN), or None.

    Accepts a lost 年 ("慧阳街道办事处 … 20153月18日" → 2015-03-18, seed 000) and Chinese numerals
    ("二〇一五年三月十八日").  A footer as last line (seed 001) gives None.
    """
    lines = [ln.strip() for ln in _nfkc(text or "").splitlines() if ln.strip()]
    if not lines:
        return None
    last = lines[-1]
    m = SIGN.search(last)
    if m:
        return _mkdate(*m.groups())
    m = SIGN_CN.search(last)
    if m:
        try:
            return _mkdate(
                int(m.group(1).translate(_CN_DIGITS)), _cn_small(m.group(2)), _cn_small(m.group(3))
            )
        except ValueError:
            return None
    return None
