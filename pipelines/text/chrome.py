"""Line-level filter for site chrome (navigation, counters, footers, content-farm adverts).

Chrome lines change between fetches (view counters, "today is" banners, proxied links), so they
must be gone before text is hashed or compared.  The rules match whole-line *shapes*, not bare
words: real report sentences talk about 网站, 主办, 发布, 点击 and 浏览 all the time
("通过政府网站发布信息1234条", "网站首页设置了政府信息公开专栏") and must survive.  Their 平台建设 sections
even name the footer's own items ("规范展示网站标识码、ICP备案编号…"), so a footer marker only makes a line
chrome when the line is footer-shaped: short, no sentence punctuation, the marker in its footer form
(``闽ICP备09032658号``, ``网站标识码：3590000001``, ``版权所有：…``, ``技术支持：…``).
"""

from __future__ import annotations

import re

CHROME_MARKERS: tuple[str, ...] = (
    "当前位置",
    "您现在的位置",
    "点击数",
    "浏览次数",
    "打印本页",
    "关闭窗口",
    "上一篇",
    "下一篇",
    "主办单位",
    "承办单位",
    "网站标识码",
    "ICP备",
    "公网安备",
    "技术支持",
    "版权所有",
    "分享到",
    "字号",
    "今天是",
    "我要纠错",
    "扫一扫",
    "下载本文档",
    "免责声明",
    "精心整理",
)
"""Strings that never survive on a chrome-shaped line (the project's tests check demo and seed texts for them);
report sentences may still mention some of them (网站标识码, ICP备案, 技术支持) in their own words."""

_DATE = r"\d{4}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}\s*日?"
_LABEL = (
    r"(?:发布日期|发布时间|公开日期|更新日期|更新时间|日期|时间|来源|信息来源|文章来源|作者|"
    r"编辑|责任编辑|供稿|点击数|点击量|点击|浏览次数|浏览量|浏览|阅读次数|阅读量|阅读|访问次数|字号|字体)"
)
# Words that make up toolbars and footer link rows; a line made only of these is chrome.
_TOOL_WORDS = (
    "打印本页",
    "打印此页",
    "打印文章",
    "打印",
    "关闭窗口",
    "关闭本页",
    "关闭",
    "我要纠错",
    "纠错",
    "收藏本页",
    "加入收藏",
    "收藏",
    "返回顶部",
    "返回首页",
    "设为首页",
    "分享到",
    "分享",
    "扫一扫",
    "网站地图",
    "联系我们",
    "关于我们",
    "网站声明",
    "隐私声明",
    "使用帮助",
    "帮助",
    "无障碍",
    "长者版",
    "繁体",
    "简体",
    "繁體",
    "English",
    "手机版",
    "字号",
    "字体",
    "默认",
    "大",
    "中",
    "小",
    "登录",
    "登陆",
    "注册",
    "RSS",
    "微信",
    "微博",
    "QQ空间",
)
_TOOL_ONLY = re.compile(
    r"(?:"
    + "|".join(sorted(map(re.escape, _TOOL_WORDS), key=len, reverse=True))
    + r"|[\s:：|｜/【】\[\]()（）<>《》·•,，、-])+"
)

# Whole-line shapes, each matched from the line's start.
_AT_START = (
    r"今天是\s*[:：]?\s*" + _DATE,  # 今天是:2024年4月23日 星期二
    r"(?:当前位置|您现在的位置|您的位置|你的位置|现在的位置|所在位置|当前页面)\s*(?:是)?\s*[:：]?",
    r"(?:网站|返回)?首页\s*(?:-*[>＞»›/]|&gt;)",  # 首页 > 信息公开 > 年报
    r"[\u4e00-\u9fff]{0,8}首页$",  # 新抚首页
    r"(?:上一篇|下一篇|上一条|下一条|上一页|下一页|上篇|下篇)\s*[:：]?",
    r"(?:相关链接|相关文章|相关阅读|相关新闻|相关信息|相关稿件|热点新闻|热门文章|推荐阅读|延伸阅读|"
    r"相关附件)\s*[:：]?\s*$",
    r"(?:发布日期|发布时间|公开日期|更新日期|更新时间)\s*[:：]\s*" + _DATE + r"(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?$",
    r"(?:点击数|点击量|点击率|浏览次数|浏览量|阅读次数|阅读量|阅读数)\s*[:：]?\s*\d*\s*次?$",
    r"(?:字号|字体)\s*[:：]",
    r"[（(]?\s*(?:责任编辑|编辑)\s*[:：][^。；，,]{0,20}[）)]?$",  # （责任编辑：系统管理员）
    r"(?:分享到|分享至)",
    r"前言\s*[:：].{0,40}(?:本站|范文|範文)",
    r"免[责責][声聲]明",
)
# Content-farm adverts, anywhere in the line.
_ANYWHERE = (
    r"扫一扫.{0,12}(?:手机|打开|分享|关注)",
    r"本站[為为]?[你您].{0,6}精心整理|精心整理了.{0,40}(?:范文|範文)|客服老[师師]|下[载載]本文[档檔]",
)
# One alternation each, so a line costs two searches instead of one per shape; the start-anchored one is
# only tried at the line's start.
_AT_START_RULE = re.compile("|".join(f"(?:{p})" for p in _AT_START), re.I)
_ANYWHERE_RULE = re.compile("|".join(f"(?:{p})" for p in _ANYWHERE), re.I)
# A metadata bar holds two or more "label:value" pairs on one short line without sentence punctuation.
_BAR_LABEL = re.compile(_LABEL + r"\s*[:：]")
_SENTENCE_PUNCT = re.compile(r"[。；;！？]")
# Footer items in their footer form (a label at the line start, or a registration number after the marker).
_FOOTER_AT_START = (r"(?:主办单位|承办单位|协办单位|主办|承办|网站标识码|维护单位|运维单位|建设单位|技术支持|版权所有|"
                    r"Copyright|©)\s*[:：\s©]")
_FOOTER_ANYWHERE = (r"ICP\s*备\s*\d|ICP\s*备案\s*[:：号]|公网安备\s*\d|网站标识码\s*[:：]?\s*[0-9A-Za-z]{6,}|版权所有|"
                    r"技术支持\s*[:：]|Copyright\s*©?\s*\d{4}|All rights reserved")
# Case-insensitive, and compiled once more without re.I: Python's regex engine is several times slower with it,
# and on a line without a character re.I equates with an ASCII letter (_CASED; most report lines, table rows) both
# say the same.
_FOOTER = tuple((re.compile(_FOOTER_AT_START, flags), re.compile(_FOOTER_ANYWHERE, flags)) for flags in (0, re.I))
_CASED = re.compile("[A-Za-z\u0130\u0131\u017f\u212a]")  # A-Z, a-z, İ, ı, ſ and the Kelvin sign
_FOOTER_MAX = 200  # the longest real footer line seen (万载: ICP + 标识码 + 公网安备 + 域名 + 技术支持 + 版权) is ~110


def is_chrome_line(line: str) -> bool:
    """True when the whole line is site chrome rather than document text."""
    s = line.strip()
    if not s:
        return False
    if _AT_START_RULE.match(s) or _ANYWHERE_RULE.search(s):
        return True
    if len(s) <= _FOOTER_MAX and not _SENTENCE_PUNCT.search(s):
        at_start, anywhere = _FOOTER[_CASED.search(s) is not None]
        if s.count("，") < 2 and (at_start.match(s) or anywhere.search(s)):
            return True  # a footer row; a report sentence naming 网站标识码 or ICP备案 is punctuated or has no number
        if len(s) <= 160 and len(_BAR_LABEL.findall(s)) >= 2:
            return True
    # Toolbars and footer link rows: nothing left once tool words and separators are removed.  The greedy
    # match from the start stops where no tool word or separator begins, which is where removing them all
    # would leave a character, so it says the same as emptying the line with ``sub`` without scanning it all.
    tools = _TOOL_ONLY.match(s) if len(s) <= 120 else None
    return tools is not None and tools.end() == len(s)


def drop_chrome_lines(text: str) -> str:
    """Remove chrome lines; other lines (blank ones included) are kept in order, unchanged."""
    return "\n".join(line for line in text.split("\n") if not is_chrome_line(line))
