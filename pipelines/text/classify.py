"""Title rules for 政府信息公开工作年度报告 (docs/reference/report-format.md §9).

Everything here works on the *title as published*.  Titles are normalised before matching:
NFKC (full-width digits/brackets/colons → half-width), all whitespace removed ("2014 年度" and
"政府信息公开 工作年度报告" occur on real list pages), and a small traditional → simplified table
so that "政府信息公開工作年度報告" matches the same keywords.  The table maps one character to one
character, so positions in the simplified string are valid in the NFKC string and
:func:`organ_from_title` can return the body name as printed.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

__all__ = [
    "Kind",
    "classify_title",
    "is_aggregate_title",
    "normalize_title",
    "organ_from_title",
    "title_year",
]


class Kind(StrEnum):
    """What a title announces."""

    REPORT = "report"  # an annual information-disclosure report
    RELATED = "related"  # about reports but not one: 通知 on 编制, 格式, 图解/一图读懂, 解读, 年度报告制度, …
    OTHER = "other"  # everything else


# Traditional characters that occur in report titles and issuing-body names (1:1 mapping).
_T2S_PAIRS = (
    "開开報报務务圖图讀读關关於于編编製制發发佈布規规縣县區区鎮镇鄉乡辦办處处門门級级實实導导單单"
    "體体質质監监廳厅協协會会計计劃划標标準准點点細细則则檢检覽览錄录們们為为個个東东廣广華华島岛"
    "陽阳遼辽寧宁貴贵蘇苏雲云龍龙財财稅税學学衛卫環环農农業业場场醫医藥药廠厂紀纪員员與与書书議议"
    "評评彙汇匯汇總总結结統统覈核審审屬属園园劃划濟济黨党委委淨净電电網网頁页參参"
)
_T2S = str.maketrans(_T2S_PAIRS[0::2], _T2S_PAIRS[1::2])


def normalize_title(title: str) -> str:
    """NFKC, drop all whitespace.  Keeps traditional characters (see :func:`_simplify`)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", title or ""))


def _simplify(norm: str) -> str:
    return norm.translate(_T2S)


# --- patterns (docs/reference/report-format.md §9, "Tested regexes") ----------------------------------

# Disclosure keyword.  政务信息公开 / 政务公开 / bare 信息公开 (平潭地税 2013) occur in real
# report titles.
_KW = r"(?:政府信息公开|政务信息公开|政务公开|信息公开)"
KW = re.compile(_KW)

# A report title: KW + (工作)(年度)(工作) + 报告/年报, or KW followed closely by 年度报告/年报
# ("政府信息公开工作年度报告", "信息公开年度报告", "政务公开年度报告", "政府信息公开工作报告").
POS = re.compile(_KW + r"(?:工作)?(?:年度)?(?:工作)?(?:报告|年报)|" + _KW + r".{0,8}?(?:年度报告|年报)")

# Words that turn a report-like title into RELATED.  §9's NEG list is split in two so that an issuing
# body's name cannot make its own report RELATED (e.g. "…机构编制委员会办公室2020年政府信息公开…",
# "…环境工程评估中心…", "…培训中心…"):
#   NEG_ANY   – safe anywhere in the title (they never occur in organ names);
#   NEG_AFTER – only counted from the disclosure keyword onwards.
NEG_ANY = re.compile(r"通知|的函|通报|图解|图说|一图|读懂|看懂|解读|问答|征求意见|报送|上报|印发|转发|评议")
NEG_AFTER = re.compile(
    r"编制|制度|办法|规定|格式|要点|方案|细则|考核|评估|评查|检查|抽查|培训|指南|目录|决算|预算|报表|统计表"
    r"|公告$"
)

# A bracketed note that the report carries its statistics tables ("（含统计表）", "(附统计报表)") describes the
# report itself; it is removed before NEG_AFTER is applied, so 统计表/报表 only count when they are the document.
ANNEX_NOTE = re.compile(r"\((?:含|附|附带|附件|及)[^()]{0,10}(?:统计表|报表|附表|表格|数据表)\)")

# Disclosure regimes that are not government information disclosure: enterprise environmental
# disclosure (环境信息公开) and school/university reports (学年, 校务公开, 高等学校信息公开).
NOT_GOV = re.compile(r"环境信息公开|学年|校务公开|院务公开|学校信息公开|高校信息公开")

# Year (§9 YEAR): 2014年 / 2014年度 / 二〇一七年度 / (2019年) / (2019).  A bare "2020" is not a year.
YEAR = re.compile(
    r"((?:19|20)\d{2})年(?:度)?"
    r"|(二[〇○零O0][一二三四五六七八九〇○零O0]{2})年(?:度)?"
    r"|\(((?:19|20)\d{2})(?:年度|年)?\)"
)
_CN_DIGITS = str.maketrans("〇○零O0一二三四五六七八九", "00000123456789")

# Cleaning of the organ prefix.
_LEAD_JUNK = re.compile(r"^(?:[\W_]|图解|图说|一图(?:读懂|看懂)?|读懂|看懂|解读|关于|最新|转载|附件\d*)+")
_TRAIL_JUNK = re.compile(r"(?:[\W_]|关于|的)+$")
# Prefixes that are not a body: "关于做好…", "关于印发《中华人民共和国…", "本局", "我市", …
_NOT_ORGAN = re.compile(
    r"^[\d\W_]+$|^(?:本|我|全)\w?$|[《》“”\"]"
    r"|做好|印发|转发|开展|报送|上报|征求|征集|公布|组织|加强|进一步"
)

# is_aggregate_title
_TOWN_SUFFIX = re.compile(r"(?:街道|街道办事处|办事处|镇|乡|苏木|社区|村|居委会)$")
_GOV_SUFFIX = re.compile(r"(?:人民政府|政府)$")
_AREA_SUFFIX = re.compile(r"(?:省|市|县|区|旗|盟|州|自治区|地区|特别行政区|新区|综合实验区)$")


# --- public API -----------------------------------------------------------------------------------------


def classify_title(title: str) -> Kind:
    """REPORT / RELATED / OTHER (docs/reference/report-format.md §9).

    OTHER unless POS matches (so 政府工作报告, 法治政府建设年度报告, 政府网站年度工作报表, 政务公开工作要点,
    政府信息公开指南/目录, 预算/决算 are OTHER).  A POS title is RELATED when a NEG word occurs (NEG_ANY
    anywhere, NEG_AFTER from the keyword on, a "（含统计表）" note not counted), otherwise REPORT.
    Non-government regimes (NOT_GOV) are OTHER.
    """
    t = _simplify(normalize_title(title))
    m = POS.search(t)
    if not m or NOT_GOV.search(t):
        return Kind.OTHER
    kw_start = min(m.start(), KW.search(t).start())  # type: ignore[union-attr]
    if NEG_ANY.search(t) or NEG_AFTER.search(ANNEX_NOTE.sub("", t), kw_start):
        return Kind.RELATED
    return Kind.REPORT


def title_year(title: str) -> int | None:
    """Year the title names (§9 YEAR), or None.  "2014年", "2014年度", "二〇一七年度", "（2019年）"."""
    m = YEAR.search(normalize_title(title))
    if not m:
        return None
    if m.group(2):
        return int("2" + m.group(2)[1:].translate(_CN_DIGITS))
    return int(m.group(1) or m.group(3))


def organ_from_title(title: str) -> str | None:
    """Issuing body as printed (NFKC, no spaces): text before the year, or before the keyword.

    Year-first titles ("2011年宝泉山镇政府信息公开年度报告") take the text between the year and the
    keyword.  Leading "图解：", "一图读懂", "关于" and trailing "关于"/"的"/punctuation are dropped.
    None when the title has no disclosure keyword, is no government disclosure (NOT_GOV),
    or the prefix is not a name ("关于做好…", "关于印发《…", "本局", digits only as in
    "2020政府信息公开…", empty).
    """
    norm = normalize_title(title)
    simp = _simplify(norm)
    # The keyword of the report phrase itself, so a body like "…政府信息与政务公开办公室" is not cut.
    kw = POS.search(simp) or KW.search(simp)
    if not kw or NOT_GOV.search(simp):
        return None
    ym = YEAR.search(simp, 0, kw.start())
    if ym:
        before = _clean(norm[: ym.start()])
        cand = before if before else _clean(norm[ym.end() : kw.start()])
    else:
        cand = _clean(norm[: kw.start()])
    if not cand or len(cand) < 2 or _NOT_ORGAN.search(_simplify(cand)):
        return None
    return cand


def _clean(s: str) -> str:
    s = _LEAD_JUNK.sub("", s)
    return _TRAIL_JUNK.sub("", s)


def is_aggregate_title(title: str, organ: str | None = None) -> bool:
    """True for a 本级政府 report (§1: it aggregates every body in the area; never add its figures).

    Rule, applied to ``organ`` (default :func:`organ_from_title`), traditional folded to simplified:
    - a township/street level name (…街道, …办事处, …镇, …乡, …镇人民政府, …社区) → False, even when a
      government name precedes it ("张店区人民政府和平街道办事处");
    - ends with 人民政府 / 政府 → True ("沭阳县人民政府"); 政府办公室/办公厅 are departments → False;
    - a bare area name ending in 省/市/县/区/旗/盟/州/自治区/地区/新区/综合实验区 → True ("宿迁市",
      "上海市" from "上海市政府信息公开…", "平潭综合实验区");
    - anything else (…局, …委员会, …办公室, …中心) is a department → False.
    """
    if organ is None:
        organ = organ_from_title(title)
    if not organ:
        return False
    o = _simplify(normalize_title(organ))
    area = _GOV_SUFFIX.sub("", o)
    if not area or _TOWN_SUFFIX.search(area):
        return False
    return bool(_GOV_SUFFIX.search(o) or _AREA_SUFFIX.search(o))
