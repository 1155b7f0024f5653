"""Read the statistics tables of a report's clean text into the schema of ``schema.py``.

The archive keeps a table as text lines, one row per line, cells separated by TABs (HTML tables rendered by
the extractor; PDF tables once their reading order is known).  Layout text, as ``pdftotext -layout`` gives,
separates cells by runs of spaces instead and wraps long labels over several lines; both are read the same
way: a *data row* is a line ending in the table's count of numeric cells, its label is the text before
them, and a label the reader does not recognise (a wrapped fragment) takes the next row of the printed
order.  Numbers are kept as printed; a blank cell is ``None``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from pipelines.text.statistics.schema import (
    ACTIVE_COLUMNS,
    ACTIVE_ITEMS,
    APPEAL_GROUPS,
    APPEAL_OUTCOMES,
    APPLICANTS,
    OTHER_PROCESSING,
    RESULT_GROUPS,
    ROWS_2019,
    ROWS_2021,
    Path,
)

Number = int | float
Cell = Number | None

_BLANK = {"", "-", "—", "－", "/", "／", "——", "无", "空"}
_NUMBER = re.compile(r"([+-]?\d+(?:\.\d+)?)(?:万元|元|件|个|项|次|条)?")
_SPLIT_LAYOUT = re.compile(r"\s{2,}|\t")
# Section headings (normalised text, whitespace removed); table rows such as 三、本年度办理结果 or
# 四、结转下年度继续办理 must not match.
_HEAD_ACTIVE = re.compile(r"^二[、.．]?主动公开")
_HEAD_APPLICATIONS = re.compile(r"^三[、.．]?.*(收到|处理).*申请")
_HEAD_APPEALS = re.compile(r"^四[、.．]?.*(复议|诉讼)")
_HEAD_NEXT = re.compile(r"^五[、.．]")

# Keywords that name one row of table 三 wherever the label was cut, in the order they are tried.
_ROW_KEYWORDS: tuple[tuple[tuple[str, ...], Path], ...] = (
    (("新收",), ("new",)),
    (("上年结转",), ("carried_over",)),
    (("结转下年",), ("carried_forward",)),
    (("予以公开",), ("results", "public")),
    (("部分公开",), ("results", "partial")),
    (("国家秘密",), ("results", "withheld", "state_secret")),
    (("禁止公开",), ("results", "withheld", "law_prohibited")),
    (("三安全", "一稳定"), ("results", "withheld", "three_safety")),
    (("第三方",), ("results", "withheld", "third_party")),
    (("内部事务",), ("results", "withheld", "internal_affairs")),
    (("过程性",), ("results", "withheld", "process_info")),
    (("执法案卷",), ("results", "withheld", "enforcement_file")),
    (("查询事项",), ("results", "withheld", "administrative_query")),
    (("不掌握",), ("results", "cannot_provide", "not_held")),
    (("另行制作", "现成信息"), ("results", "cannot_provide", "needs_creation")),
    (("仍不明确", "补正后申请"), ("results", "cannot_provide", "unclear_after_correction")),
    (("信访", "举报投诉"), ("results", "not_processed", "petition")),
    (("重复申请",), ("results", "not_processed", "repeated")),
    (("出版物",), ("results", "not_processed", "publications")),
    (("大量反复",), ("results", "not_processed", "excessive")),
    (("确认或重新", "重新出具"), ("results", "not_processed", "confirm_reissue")),
    (("逾期不补正", "无正当理由逾期"), ("other_processing", "no_correction_in_time")),
    (("缴纳费用", "收费通知"), ("other_processing", "fee_not_paid")),
    (("总计",), ("results", "total")),
)
_MARKS_2021 = ("逾期不补正", "收费通知", "缴纳费用")


def norm(text: str) -> str:
    """NFKC (全角→半角) without whitespace: labels differ in width and stray spaces, not in words."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text).replace("\u201c", '"').replace("\u201d", '"')


def parse_number(cell: str) -> Cell | str:
    """A cell as printed: a number, ``None`` for a blank cell, else the text itself (not a number)."""
    text = unicodedata.normalize("NFKC", cell).strip().replace(",", "")
    if text in _BLANK:
        return None
    match = _NUMBER.fullmatch(text)
    if not match:
        return cell
    value = match.group(1)
    return float(value) if "." in value else int(value)


def split_row(line: str) -> tuple[str, list[Cell]]:
    """A line's label and its trailing numeric (or, with TABs, blank) cells."""
    tabbed = "\t" in line
    cells = line.split("\t") if tabbed else [c for c in _SPLIT_LAYOUT.split(line.strip()) if c]
    values: list[Cell] = []
    while cells:
        parsed = parse_number(cells[-1])
        if isinstance(parsed, str) or (parsed is None and not tabbed):
            break
        values.insert(0, parsed)
        cells.pop()
    if not any(v is not None for v in values):  # an all-blank tail is layout, not data
        return line, []
    return "\t".join(cells), values


def _regions(lines: Sequence[str]) -> dict[str, list[str]]:
    """The lines of tables 二, 三 and 四, found by their section headings (or by their first row)."""
    normed = [norm(line) for line in lines]
    marks: dict[str, int] = {}
    for index, text in enumerate(normed):
        if "active" not in marks and _HEAD_ACTIVE.match(text):
            marks["active"] = index
        elif "applications" not in marks and _HEAD_APPLICATIONS.match(text):
            marks["applications"] = index
        elif "applications" in marks and "appeals" not in marks and _HEAD_APPEALS.match(text):
            marks["appeals"] = index
        elif "appeals" in marks and _HEAD_NEXT.match(text):
            marks["end"] = index
            break
    if "applications" not in marks:  # no heading: start at the header or the first row of table 三
        first = next((i for i, t in enumerate(normed) if "勾稽关系" in t or "新收" in t), None)
        if first is not None:
            marks["applications"] = first
    if "appeals" not in marks and "applications" in marks:
        after = next((i for i in range(marks["applications"], len(normed)) if "结转下年" in normed[i]), None)
        appeals = next((i for i in range(after or len(normed), len(normed))
                        if "复议" in normed[i] or "诉讼" in normed[i]), None)
        if appeals is not None:
            marks["appeals"] = appeals
    order = sorted((index, name) for name, index in marks.items())
    regions: dict[str, list[str]] = {}
    for position, (index, name) in enumerate(order):
        stop = order[position + 1][0] if position + 1 < len(order) else len(lines)
        regions[name] = list(lines[index + 1:stop])
    return regions


def _row_key(label: str) -> Path | None:
    for keywords, path in _ROW_KEYWORDS:
        if any(k in label for k in keywords):
            return path
    return None


def _columns(header: str, rows: list[list[Cell]]) -> tuple[str, ...]:
    """The applicant columns: all seven, or six when the table prints no 其他 column."""
    if "自然人" in header or "个人" in header:
        rest = header.replace("法人或其他组织", "").replace("法人或者其他组织", "")
        if "其他" not in rest:
            return tuple(c for c in APPLICANTS if c != "other")
        return APPLICANTS
    widths = sorted(len(r) for r in rows)
    if widths and widths[len(widths) // 2] == 6:
        return tuple(c for c in APPLICANTS if c != "other")
    return APPLICANTS


def _empty_row() -> dict[str, Cell]:
    return dict.fromkeys(APPLICANTS)


def _applications(region: list[str], hint: str | None) -> tuple[dict[str, object], dict[str, object], str] | None:
    """Table 三; ``hint`` is table 二's format, used when table 三 itself does not tell."""
    parsed = [split_row(line) for line in region]
    candidates = [values for _, values in parsed if len(values) >= 6]
    if not candidates:
        return None
    first = next(i for i, (_, values) in enumerate(parsed) if len(values) >= 6)
    header = norm("".join(region[:first]))
    columns = _columns(header, candidates)
    text = norm("".join(region))
    data = [(label, values) for label, values in parsed if len(values) >= len(columns)]
    marked = any(m in text for m in _MARKS_2021) or len(data) >= len(ROWS_2021)
    fmt = "2021" if marked else hint or "2019"
    order = ROWS_2021 if fmt == "2021" else ROWS_2019
    found: dict[Path, dict[str, Cell]] = {}
    pending = ""
    previous = -1
    for line_index, (label, values) in enumerate(parsed):
        if len(values) < len(columns):
            pending += norm(region[line_index])
            continue
        own = norm(label)
        key = _row_key(own) if own else None
        if key is None or key not in order:
            key = _row_key(pending + own)
        if key is None or key not in order or order.index(key) <= previous:
            key = order[previous + 1] if previous + 1 < len(order) else None
        pending = ""
        if key is None:
            continue
        previous = order.index(key)
        row = _empty_row()
        row.update(zip(columns, values[-len(columns):], strict=True))
        found[key] = row
    return _assemble(found, fmt), _breakdown(found, fmt), fmt


def _assemble(found: dict[Path, dict[str, Cell]], fmt: str) -> dict[str, object]:
    def row(path: Path) -> dict[str, Cell]:
        return found.get(path) or _empty_row()

    results: dict[str, object] = {"public": row(("results", "public")), "partial": row(("results", "partial"))}
    for group, subs in RESULT_GROUPS.items():
        results[group] = {sub: row(("results", group, sub)) for sub in subs}
    if fmt == "2021":
        results["other"] = _column_sum([row(("other_processing", sub)) for sub in OTHER_PROCESSING])
    else:
        results["other"] = row(("results", "other"))
    results["total"] = row(("results", "total"))
    return {"new": row(("new",)), "carried_over": row(("carried_over",)), "results": results,
            "carried_forward": row(("carried_forward",))}


def _breakdown(found: dict[Path, dict[str, Cell]], fmt: str) -> dict[str, object]:
    if fmt != "2021":
        return {}
    rows = {sub: found.get(("other_processing", sub)) or _empty_row() for sub in OTHER_PROCESSING}
    return {"other_processing_breakdown": rows}


def _column_sum(rows: list[dict[str, Cell]]) -> dict[str, Cell]:
    """Column-wise sum of printed cells; ``None`` where none of them was printed."""
    out: dict[str, Cell] = {}
    for column in APPLICANTS:
        printed = [r[column] for r in rows if r[column] is not None]
        out[column] = sum(printed) if printed else None
    return out


def _appeals(region: list[str]) -> dict[str, dict[str, Cell]] | None:
    numbers: list[Cell] = []
    for line in region:
        digits = norm(line)
        if re.fullmatch(r"\d{15}", digits):  # cells run together without separators (平潭 2019)
            numbers += [int(d) for d in digits]
            continue
        _, values = split_row(line)
        if len(values) >= 4 or (values and numbers):
            numbers += values
        if len(numbers) >= 15:
            break
    if len(numbers) < 15:
        return None
    numbers = numbers[:15]
    return {group: dict(zip(APPEAL_OUTCOMES, numbers[i * 5:i * 5 + 5], strict=True))
            for i, group in enumerate(APPEAL_GROUPS)}


def _active(region: list[str]) -> tuple[dict[str, dict[str, Cell]], str] | None:
    text = norm("".join(region))
    fmt = "2019" if "新制作" in text or "上一年项目" in text else "2021"
    columns = ACTIVE_COLUMNS[fmt]
    out: dict[str, dict[str, Cell]] = {}
    for line in region:
        label, values = split_row(line)
        label = norm(label)
        if not values or not label:
            continue
        for key, keyword in ACTIVE_ITEMS:
            if keyword in label and key in columns and key not in out:
                names = columns[key]
                cells = (values + [None] * len(names))[:len(names)]
                out[key] = dict(zip(names, cells, strict=True))
                break
    return (out, fmt) if out else None


def read_tables(text: str) -> dict[str, object] | None:
    """The statistics of one report's text in the schema, or ``None`` when it prints none of the tables."""
    lines = text.splitlines()
    regions = _regions(lines)
    active = _active(regions["active"]) if "active" in regions else None
    hint = active[1] if active else None
    applications = _applications(regions["applications"], hint) if "applications" in regions else None
    appeals = _appeals(regions["appeals"]) if "appeals" in regions else None
    if applications is None and appeals is None:
        return None
    fmt = applications[2] if applications else (active[1] if active else "2021")
    stats: dict[str, object] = {"format": fmt, "active": active[0] if active else {},
                                "applications": applications[0] if applications else {},
                                "appeals": appeals or {}}
    if applications and applications[1]:
        stats["extra_rows"] = applications[1]
    return stats
