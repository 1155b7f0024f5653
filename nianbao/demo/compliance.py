"""Demo portals for the compliance view (docs/compliance.md): reports late, missing, without tables, misadded.

``jingyu`` (靖宇县, TRS) lists its own reports in the main column and a 部门/乡镇 sub-column; what each
organ did is fixed here, so tests can state the expected grid by hand:

========================  ==========  ===================  ==========  ==========================
organ                     2021        2022                 2023        2024
========================  ==========  ===================  ==========  ==========================
靖宇县 (government)       on time     late (2023-04-12)    on time     on time
靖宇县财政局 (department)  on time     late (2023-02-15)    missing     on time, no tables (narrative)
靖宇县濛江乡 (township)    missing     on time, tables      missing     missing
                                      do not add up
========================  ==========  ===================  ==========  ==========================

``fusong`` (抚松县) is registered and answers, but its report column lists nothing: missing every year.
"""

from __future__ import annotations

import random

from nianbao.demo import bodies
from nianbao.demo.bodies import Block, Cell
from nianbao.demo.content import DemoPortal, _build, _d, _Entry, _report

_APPLICATIONS = 1  # 三、收到和处理政府信息公开申请情况 is the second of the report's three tables
_NEW_ROW = 3  # 一、本年新收 in that table


def _misadded(rng: random.Random, org: str, year: int) -> tuple[Block, ...]:
    """A 2021-format report whose 本年新收 总计 is one more than its cells: the identity check must fail."""
    blocks = list(bodies.formatted_report(rng, org, year))
    index = [i for i, b in enumerate(blocks) if isinstance(b, tuple)][_APPLICATIONS]
    table = list(blocks[index])
    row = list(table[_NEW_ROW])
    row[-1] = Cell(str(int(row[-1].text) + 1))
    table[_NEW_ROW] = tuple(row)
    blocks[index] = tuple(table)
    return tuple(blocks)


def _jingyu() -> list[_Entry]:
    gov, finance, town = "靖宇县人民政府", "靖宇县财政局", "靖宇县濛江乡人民政府"
    return [
        _report("靖宇县2021年政府信息公开工作年度报告", gov, "2022-01-25", 2021),
        _report("靖宇县2022年政府信息公开工作年度报告", gov, "2023-04-12", 2022),
        _report("靖宇县2023年政府信息公开工作年度报告", gov, "2024-03-20", 2023),
        _report("靖宇县2024年政府信息公开工作年度报告", gov, "2025-02-10", 2024),
        _report("靖宇县财政局2021年政府信息公开工作年度报告", finance, "2022-01-20", 2021, sub_column=True),
        _report("靖宇县财政局2022年政府信息公开工作年度报告", finance, "2023-02-15", 2022, sub_column=True),
        _Entry("靖宇县财政局2024年政府信息公开工作年度报告", finance, _d("2025-01-27"), 2024, "report",
               lambda rng: bodies.narrative_report(rng, "靖宇县财政局", 2024), sub_column=True),
        _Entry("靖宇县濛江乡2022年政府信息公开工作年度报告", town, _d("2023-03-10"), 2022, "report",
               lambda rng: _misadded(rng, "靖宇县濛江乡", 2022), sub_column=True),
    ]


def compliance_portals() -> list[DemoPortal]:
    """靖宇县 (late, missing, narrative and misadded reports) and 抚松县 (lists nothing); see the module docstring."""
    columns = ("/zwgk/zfxxgknb/", "/zwgk/zfxxgknb/bmnb/")
    return [
        _build("jingyu", "靖宇县人民政府", "trs", "吉林省白山市靖宇县", "220622", "county", "utf-8", columns,
               _jingyu(), "2206220001"),
        _build("fusong", "抚松县人民政府", "trs", "吉林省白山市抚松县", "220621", "county", "utf-8",
               ("/zwgk/zfxxgknb/",), [], "2206210001"),
    ]
