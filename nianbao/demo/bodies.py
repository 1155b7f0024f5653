"""Report texts for the demo portals: the five real seed texts and generated reports.

A body is a sequence of *blocks*: a paragraph (``str``) or a table (rows of :class:`Cell`).  Renderers
turn blocks into markup; :func:`body_text` turns them into the expected clean text (paragraphs one per
line, table rows one per line with the cells of that ``<tr>`` joined by a tab), so the two can never
drift apart.

Generated reports follow docs/reference/report-format.md: pre-2019 reports are free-form narratives assembled from
varied sentences; 2019/2020 reports use the six headings with the 2019 trial tables, 2021+ reports
the 2021 tables.  All numbers come from a ``random.Random`` seeded by the caller, so the output is
deterministic and the table sums are consistent (the checks in docs/reference/report-format.md §7 hold).
"""

# Long module: the sentence banks and the 2019/2021 table layouts are data; splitting them would scatter one format.

from __future__ import annotations

import random
from dataclasses import dataclass
from importlib import resources

CN_NUM = "一二三四五六七八九十"


@dataclass(frozen=True)
class Cell:
    """One table cell; spans are rendered as ``colspan``/``rowspan`` like real Word-pasted tables."""

    text: str
    colspan: int = 1
    rowspan: int = 1


Row = tuple[Cell, ...]
Table = tuple[Row, ...]
Block = str | Table


def body_text(blocks: tuple[Block, ...]) -> str:
    """The expected extractor output for ``blocks`` (see the module docstring)."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, str):
            lines.append(block)
        else:
            lines.extend("\t".join(cell.text for cell in row) for row in block)
    return "\n".join(lines)


# --------------------------------------------------------------------------- seeds

@dataclass(frozen=True)
class SeedText:
    """A seed split into its title, clean body and the chrome lines it was collected with."""

    name: str
    title: str | None
    paragraphs: tuple[str, ...]
    chrome_head: tuple[str, ...]  # lines before the first body line as collected (banner, title, counter, …)
    chrome_tail: tuple[str, ...]  # chrome lines after it (footer)


# seed prefix -> (title line, chrome lines), 1-based, as documented in shared/seeds/README.md
_SEED_LAYOUT: dict[str, tuple[int | None, tuple[int, ...]]] = {
    "000": (1, (3,)),
    "001": (5, (1, 2, 4, 6, 64, 65)),
    "002": (None, (1,)),
    "003": (2, ()),
    "004": (3, (1, 5)),
}


def load_seed(prefix: str) -> SeedText:
    """Load seed ``NNN_*.txt`` from package data and split it by :data:`_SEED_LAYOUT`."""
    folder = resources.files("nianbao.demo").joinpath("seeds")
    entry = next(e for e in folder.iterdir() if e.name.startswith(prefix + "_"))
    lines = entry.read_text(encoding="utf-8").split("\n")
    title_no, chrome_nos = _SEED_LAYOUT[prefix]
    paragraphs: list[str] = []
    head: list[str] = []
    tail: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line = " ".join(raw.split())  # strip, and collapse space/nbsp runs as rendered HTML text does
        if not line:
            continue
        if number == title_no:
            if not paragraphs:  # as collected, the title sits among the leaked header lines
                head.append(line)
            continue
        if number in chrome_nos:
            (tail if paragraphs else head).append(line)
        else:
            paragraphs.append(line)
    title = lines[title_no - 1].strip() if title_no else None
    return SeedText(entry.name, title, tuple(paragraphs), tuple(head), tuple(tail))


# --------------------------------------------------------------------------- sentence pools

def _pick(rng: random.Random, pool: list[str], k: int, **fmt: object) -> str:
    return "".join(s.format(**fmt) for s in rng.sample(pool, k))


_INTRO = [
    "{year}年，{org}认真贯彻落实《中华人民共和国政府信息公开条例》，按照上级政务公开工作部署，"
    "围绕中心工作，扎实推进政府信息公开工作。",
    "{year}年，在上级党委、政府的正确领导下，{org}坚持“公开为常态、不公开为例外”，"
    "不断拓宽公开渠道，规范公开程序，政府信息公开工作取得了新的进展。",
    "根据《中华人民共和国政府信息公开条例》要求，现将{org}{year}年度政府信息公开工作情况报告如下。"
    "本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。",
]

_NARRATIVE_SECTIONS: list[tuple[list[str], list[str]]] = [
    (["加强组织领导，健全工作机制", "强化领导，落实责任"], [
        "年初调整充实了政府信息公开工作领导小组，由主要负责同志任组长，分管负责同志任副组长。",
        "领导小组下设办公室，明确{n1}名工作人员具体负责信息的收集、审核和发布。",
        "把政府信息公开工作纳入年度目标考核，做到领导、机构、人员“三到位”。",
        "多次召开专题会议研究部署政府信息公开工作，形成了主要领导亲自抓、分管领导具体抓的工作格局。",
    ]),
    (["主动公开政府信息情况", "规范公开内容，突出公开重点"], [
        "全年共主动公开政府信息{n2}条，其中机构职能类{n3}条，政策法规类{n4}条，工作动态类{n5}条。",
        "重点公开了财政预决算、惠民资金发放、低保救助、征地拆迁等群众关心的事项。",
        "对涉及群众切身利益的重大事项，做到事前公开征求意见、事中公开办理进度、事后公开办理结果。",
        "及时更新政府信息公开指南和公开目录，确保信息准确、完整。",
    ]),
    (["拓宽公开渠道，方便群众查阅", "创新公开形式"], [
        "充分利用政府门户网站、政务公开栏、便民服务大厅等载体公开政府信息。",
        "在便民服务中心设立政府信息查阅点，摆放办事指南和宣传资料{n6}余份。",
        "利用电子显示屏、宣传单、入户走访等形式，扩大公开覆盖面。",
        "开通政务微信公众号，全年发布信息{n7}条，增强了公开的时效性。",
    ]),
    (["依申请公开政府信息情况", "依申请公开及收费情况"], [
        "全年共受理政府信息公开申请{n8}件，均在法定期限内予以答复。",
        "本年度未发生政府信息公开收费及减免情况。",
        "严格执行依申请公开受理、登记、审核、答复等工作流程，做到件件有回音。",
    ]),
    (["行政复议和行政诉讼情况", "因政府信息公开申请行政复议、提起行政诉讼的情况"], [
        "本年度未发生因政府信息公开申请行政复议、提起行政诉讼的情况。",
        "全年没有收到针对政府信息公开工作的投诉、举报。",
    ]),
    (["存在的问题及改进措施", "存在的主要问题和下一步工作打算"], [
        "政府信息公开工作仍存在公开内容不够全面、信息更新不够及时等问题。",
        "工作人员业务水平有待进一步提高，公开形式还需进一步丰富。",
        "下一步，将进一步健全工作制度，加强业务培训，提高信息公开工作的规范化水平。",
        "我们将继续拓宽公开渠道，推动政府信息公开工作再上新台阶。",
    ]),
]

_OVERVIEW = [
    ("（一）主动公开", [
        "全年通过政府网站主动公开政府信息{n1}条，围绕重点领域持续加大信息公开力度。",
        "及时公开行政规范性文件、财政预决算、重大建设项目等信息，做到应公开尽公开。",
    ]),
    ("（二）依申请公开", [
        "全年共收到政府信息公开申请{n2}件，均按照法定时限和程序予以答复。",
        "进一步规范依申请公开受理、审核、答复流程，答复文书格式统一、依据充分。",
    ]),
    ("（三）政府信息管理", [
        "严格落实信息发布保密审查和“先审查、后公开”制度，确保公开信息准确、安全。",
        "对现行有效的行政规范性文件进行清理，动态更新政策文件库。",
    ]),
    ("（四）政府信息公开平台建设", [
        "持续优化政府门户网站政府信息公开专栏，完善栏目设置，提升检索便利度。",
        "加强政务新媒体管理，做好与门户网站的联动发布。",
    ]),
    ("（五）监督保障", [
        "将政务公开工作纳入绩效考核，定期开展检查通报，督促整改到位。",
        "组织政务公开业务培训{n3}次，提升工作人员业务能力。",
    ]),
]


# --------------------------------------------------------------------------- generated reports

def narrative_report(rng: random.Random, org: str, year: int) -> tuple[Block, ...]:
    """A pre-2019 free-form report: intro, 4–6 numbered sections, a closing sentence."""
    nums = {f"n{i}": rng.randint(2, 400) for i in range(1, 9)}
    blocks: list[Block] = [rng.choice(_INTRO).format(org=org, year=year)]
    sections = _NARRATIVE_SECTIONS[:]
    if rng.random() < 0.5:
        sections.pop(rng.randrange(1, 4))
    for index, (heads, pool) in enumerate(sections):
        blocks.append(f"{CN_NUM[index]}、{rng.choice(heads)}")
        blocks.append(_pick(rng, pool, min(len(pool), rng.randint(2, 3)), org=org, year=year, **nums))
    if rng.random() < 0.5:
        blocks.append(f"{org}")
        blocks.append(f"{year + 1}年{rng.randint(1, 3)}月{rng.randint(1, 28)}日")
    return tuple(blocks)


def formatted_report(rng: random.Random, org: str, year: int) -> tuple[Block, ...]:
    """A six-heading report with the statistics tables of the 2019 trial or the 2021 format."""
    fmt = 2021 if year >= 2021 else 2019
    applications = _application_counts(rng)
    notice = "国办公开办函〔2021〕30号" if fmt == 2021 else "国办公开办函〔2019〕60号"
    blocks: list[Block] = [
        f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《国务院办公厅政府信息与政务"
        f"公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（{notice}）要求，"
        f"由{org}编制。本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"
        f"如对本报告有任何疑问，请与{org}政务公开办公室联系。",
        "一、总体情况",
        f"{year}年，{org}深入贯彻落实《条例》和上级政务公开工作要点，持续提升政务公开质量。",
    ]
    nums = {"n1": rng.randint(80, 3000), "n2": applications[0][-1], "n3": rng.randint(1, 6)}
    for head, pool in _OVERVIEW:
        blocks.append(head)
        blocks.append(_pick(rng, pool, 1, **nums))
    blocks += [
        "二、主动公开政府信息情况",
        _proactive_table(rng, fmt),
        "三、收到和处理政府信息公开申请情况",
        _applications_table(applications, fmt),
        "四、政府信息公开行政复议、行政诉讼情况",
        _review_table(rng),
        "五、存在的主要问题及改进情况",
        _pick(rng, _NARRATIVE_SECTIONS[5][1], 2),
        "六、其他需要报告的事项",
        rng.choice([f"{year}年，本机关未收取信息处理费。", "无其他需要报告的事项。",
                    f"{year}年度未发生收取信息处理费情况。"]),
    ]
    return tuple(blocks)


def _row(*cells: str | Cell) -> Row:
    return tuple(c if isinstance(c, Cell) else Cell(c) for c in cells)


def _proactive_table(rng: random.Random, fmt: int) -> Table:
    r = rng.randint
    if fmt == 2021:
        issued, kept = r(0, 12), r(5, 80)
        return (
            _row(Cell("第二十条第（一）项", colspan=4)),
            _row("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"),
            _row("规章", "0", "0", "0"),
            _row("行政规范性文件", str(issued), str(r(0, 5)), str(kept)),
            _row(Cell("第二十条第（五）项", colspan=4)),
            _row("信息内容", Cell("本年处理决定数量", colspan=3)),
            _row("行政许可", Cell(str(r(0, 3000)), colspan=3)),
            _row(Cell("第二十条第（六）项", colspan=4)),
            _row("信息内容", Cell("本年处理决定数量", colspan=3)),
            _row("行政处罚", Cell(str(r(0, 1500)), colspan=3)),
            _row("行政强制", Cell(str(r(0, 60)), colspan=3)),
            _row(Cell("第二十条第（八）项", colspan=4)),
            _row("信息内容", Cell("本年收费金额（单位：万元）", colspan=3)),
            _row("行政事业性收费", Cell(f"{r(0, 900000) / 100:.2f}", colspan=3)),
        )
    made = r(0, 15)
    items = ("信息内容", "上一年项目数量", "本年增/减", "处理决定数量")
    return (
        _row(Cell("第二十条第（一）项", colspan=4)),
        _row("信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"),
        _row("规章", "0", "0", "0"),
        _row("规范性文件", str(made), str(made), str(made + r(5, 60))),
        _row(Cell("第二十条第（五）项", colspan=4)),
        _row(*items),
        _row("行政许可", str(r(10, 300)), str(r(-20, 20)), str(r(0, 3000))),
        _row("其他对外管理服务事项", str(r(0, 50)), str(r(-5, 5)), str(r(0, 500))),
        _row(Cell("第二十条第（六）项", colspan=4)),
        _row(*items),
        _row("行政处罚", str(r(10, 300)), str(r(-20, 20)), str(r(0, 1500))),
        _row("行政强制", str(r(0, 30)), str(r(-3, 3)), str(r(0, 60))),
        _row(Cell("第二十条第（八）项", colspan=4)),
        _row("信息内容", "上一年项目数量", Cell("本年增/减", colspan=2)),
        _row("行政事业性收费", str(r(0, 40)), Cell(str(r(-3, 3)), colspan=2)),
        _row(Cell("第二十条第（九）项", colspan=4)),
        _row("信息内容", Cell("采购项目数量", colspan=2), "采购总金额"),
        _row("政府集中采购", Cell(str(r(0, 40)), colspan=2), f"{r(0, 5000)}万元"),
    )


_APPLICANTS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
_OUTCOMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("（一）予以公开", ()),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ()),
    ("（三）不予公开", ("1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”",
                    "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息",
                    "7.属于行政执法案卷", "8.属于行政查询事项")),
    ("（四）无法提供", ("1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作",
                    "3.补正后申请内容仍不明确")),
    ("（五）不予处理", ("1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物",
                    "4.无正当理由大量反复申请", "5.要求行政机关确认或重新出具已获取信息")),
)
_OTHER_2021 = ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
               "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他")
_N_OUTCOME_ROWS = 2 + 8 + 3 + 5 + 3  # 2021 layout; the 2019 layout merges the last three into one row


def _application_counts(rng: random.Random) -> list[list[int]]:
    """Rows [新收, 结转, outcome rows…, 总计, 结转下年], each 7 numbers (6 applicant types + 总计).

    Per column: 新收 + 上年结转 = 总计 + 结转下年度, the 勾稽关系 stated in the table itself.
    """
    columns: list[list[int]] = []
    for applicant in _APPLICANTS:
        high = 40 if applicant == "自然人" else (3 if applicant == "商业企业" else 1)
        new, carried = rng.randint(0, high), rng.randint(0, 1) if high > 1 else 0
        forward = rng.randint(0, min(1, new + carried))
        outcomes = [0] * _N_OUTCOME_ROWS
        for _ in range(new + carried - forward):
            # 予以公开 and 无法提供/不掌握 dominate in real reports
            slot = rng.choices(range(_N_OUTCOME_ROWS), weights=[8, 3] + [1] * 8 + [4, 1, 1] + [1] * 8)[0]
            outcomes[slot] += 1
        columns.append([new, carried, *outcomes, sum(outcomes), forward])
    rows = [list(values) for values in zip(*columns, strict=True)]
    return [[*row, sum(row)] for row in rows]


def _applications_table(counts: list[list[int]], fmt: int) -> Table:
    def nums(row: list[int]) -> tuple[str, ...]:
        return tuple(str(n) for n in row)

    rows: list[Row] = [
        _row(Cell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", colspan=3, rowspan=3),
             Cell("申请人情况", colspan=7)),
        _row(Cell("自然人", rowspan=2), Cell("法人或其他组织", colspan=5), Cell("总计", rowspan=2)),
        _row(*_APPLICANTS[1:]),
        _row(Cell("一、本年新收政府信息公开申请数量", colspan=3), *nums(counts[0])),
        _row(Cell("二、上年结转政府信息公开申请数量", colspan=3), *nums(counts[1])),
    ]
    outcome_rows = counts[2:2 + _N_OUTCOME_ROWS]
    others = outcome_rows[-3:]
    if fmt == 2019:  # the 2019 trial format has a single （六）其他处理 row
        others = [[sum(col) for col in zip(*others, strict=True)]]
    body: list[tuple[str, tuple[str, ...], list[list[int]]]] = []
    cursor = 0
    for head, subs in _OUTCOMES:
        width = max(1, len(subs))
        body.append((head, subs, outcome_rows[cursor:cursor + width]))
        cursor += width
    body.append(("（六）其他处理", _OTHER_2021 if fmt == 2021 else (), others))
    body.append(("（七）总计", (), [counts[2 + _N_OUTCOME_ROWS]]))
    span = sum(len(values) for _, _, values in body)
    first = True
    for head, subs, values in body:
        for index, value in enumerate(values):
            lead = [Cell("三、本年度办理结果", rowspan=span)] if first else []
            first = False
            if not subs:
                cells = [*lead, Cell(head, colspan=2)]
            elif index == 0:
                cells = [*lead, Cell(head, rowspan=len(subs)), Cell(subs[0])]
            else:
                cells = [Cell(subs[index])]
            rows.append((*cells, *_row(*nums(value))))
    rows.append(_row(Cell("四、结转下年度继续办理", colspan=3), *nums(counts[-1])))
    return tuple(rows)


def _review_table(rng: random.Random) -> Table:
    cells: list[str] = []
    for _ in range(3):
        parts = [rng.choices([0, 1, 2], weights=[8, 2, 1])[0] for _ in range(4)]
        cells += [str(n) for n in parts] + [str(sum(parts))]
    outcome = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
    return (
        _row(Cell("行政复议", colspan=5, rowspan=2), Cell("行政诉讼", colspan=10)),
        _row(Cell("未经复议直接起诉", colspan=5), Cell("复议后起诉", colspan=5)),
        _row(*outcome * 3),
        _row(*cells),
    )


# --------------------------------------------------------------------------- non-reports

def infographic(rng: random.Random, org: str, year: int) -> tuple[Block, ...]:
    """图解 version of a report: a few captions around images (kind "related")."""
    return (
        f"一图读懂{org}{year}年政府信息公开工作年度报告。",
        f"全年主动公开政府信息{rng.randint(200, 3000)}条。",
        f"收到政府信息公开申请{rng.randint(0, 40)}件，按时答复率100%。",
        "更多内容请查阅报告全文。",
    )


def interpretation(rng: random.Random, org: str, year: int) -> tuple[Block, ...]:
    """政策解读 of a report (kind "related")."""
    return (
        f"{org}{year}年政府信息公开工作年度报告已正式发布，现就报告主要内容解读如下。",
        "一、报告的编制依据",
        "报告依据《中华人民共和国政府信息公开条例》和国务院办公厅印发的年度报告格式编制。",
        "二、报告的主要内容",
        f"报告由总体情况、主动公开政府信息情况等六部分组成，全年主动公开政府信息{rng.randint(200, 3000)}条。",
    )


def report_notice(rng: random.Random, issuer: str, year: int, due: str) -> tuple[Block, ...]:
    """关于做好…年度报告编制发布工作的通知 (kind "related")."""
    return (
        "各乡镇人民政府、街道办事处，各有关部门：",
        f"根据《中华人民共和国政府信息公开条例》规定，现就做好{year}年政府信息公开工作年度报告编制发布工作通知如下：",
        "一、严格按照国务院办公厅印发的年度报告格式编制，确保数据准确、表述规范。",
        f"二、请于{due}前将年度报告报送{issuer}政务公开办公室审核，并在本单位政府信息公开专栏发布。",
        f"三、联系人：{rng.choice(['王', '李', '张', '刘', '金'])}同志，联系电话：{rng.randint(5200000, 5299999)}。",
        f"{issuer}办公室",
    )


def work_points(rng: random.Random, org: str, year: int) -> tuple[Block, ...]:
    """…年政务公开工作要点 (kind "other")."""
    points = ["深入推进决策公开", "加强政策解读回应", "推进基层政务公开标准化规范化",
              "做好依申请公开工作", "加强政府网站和政务新媒体管理"]
    rng.shuffle(points)
    return (f"为做好{year}年政务公开工作，结合{org}实际，制定本要点。",
            *(f"{CN_NUM[i]}、{p}" for i, p in enumerate(points[:4])))


def letter(rng: random.Random, org: str, year: int) -> tuple[Block, ...]:
    """关于…工作要点落实情况的函 (kind "other")."""
    return (
        "市政务公开办公室：",
        f"现将{org}{year}年政府信息公开工作要点落实情况函告如下：全年完成各项任务{rng.randint(8, 20)}项，"
        "各项工作均按时间节点推进。",
        "特此函告。",
        f"{org}",
    )
