"""List titles that cannot tell (查看, cut short): taken from the row, or left for the page to decide."""

from __future__ import annotations

import pytest
from parsel import Selector

from crawler.lists.base import row_link, title_says_too_little
from pipelines.text.classify import Kind, classify_title


@pytest.mark.parametrize(("row", "title", "ambiguous"), [
    # an xxgk table whose link says 查看: the 名称 cell is the title
    ('<tr><td>某县城关镇2023年政府信息公开工作年度报告</td><td>11350999MB0000001X/2024-00011</td>'
     '<td>某县城关镇人民政府</td><td>2024-01-22</td><td><a href="/a.htm">查看</a></td></tr>',
     "某县城关镇2023年政府信息公开工作年度报告", False),
    # the name is cut short too: only the page can tell
    ('<tr><td>某县东岭乡2023年度政府信息公开工作年...</td><td>2024-01-23</td><td><a href="/b.htm">查看</a></td></tr>',
     "某县东岭乡2023年度政府信息公开工作年...", True),
    ('<ul><li><a href="/c.htm">2021年度政府信息公开工作年...</a><span>2022-01-20</span></li></ul>',
     "2021年度政府信息公开工作年...", True),
    # the Dingxi records cut their text but carry the full title in title=
    ('<li class="clearfix"><a href="/d.htm" title="2021年度政府信息公开工作年度报告">2021年度政府信息公开工作年...</a>'
     '<b>2022-01-20</b></li>', "2021年度政府信息公开工作年度报告", False),
    ('<ul><li><a href="/e.htm">定西市新冠肺炎疫情联防联控领导小组办公...</a><span>2022-01-14</span></li></ul>',
     "定西市新冠肺炎疫情联防联控领导小组办公...", False),
    ('<ul><li><a href="/f.htm">关于征求《定西市“十四五”推进农业农村现...</a><span>2021-12-22</span></li></ul>',
     "关于征求《定西市“十四五”推进农业农村现...", False),
])
def test_row_titles_and_which_ones_only_the_page_can_decide(row: str, title: str, ambiguous: bool) -> None:
    a = Selector(text=f"<table>{row}</table>" if row.startswith("<tr") else row).css("a")[0]
    link = row_link(a, "http://x.gov.cn/")
    assert link is not None and link.title == title
    assert (classify_title(link.title) is not Kind.REPORT and title_says_too_little(link.title)) is ambiguous


