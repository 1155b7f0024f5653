"""The statistics schema: key names, Chinese labels and the row order of the national report formats.

One schema for both formats (国办公开办函〔2019〕60号 and 〔2021〕30号), the one of the hand-typed Huaian gold
(shared/realworld/…statistics.json); the labels here are what ``nianbao stats`` prints, so users see the
form's own words.
"""

from __future__ import annotations

APPLICANTS: tuple[str, ...] = ("natural_person", "commercial", "research", "social_welfare", "legal_services",
                               "other", "total")
APPLICANT_LABELS: dict[str, str] = {
    "natural_person": "自然人", "commercial": "商业企业", "research": "科研机构", "social_welfare": "社会公益组织",
    "legal_services": "法律服务机构", "other": "其他", "total": "总计",
}

# Result groups printed as merged row heads with sub-rows and no subtotal row.
RESULT_GROUPS: dict[str, tuple[str, ...]] = {
    "withheld": ("state_secret", "law_prohibited", "three_safety", "third_party", "internal_affairs",
                 "process_info", "enforcement_file", "administrative_query"),
    "cannot_provide": ("not_held", "needs_creation", "unclear_after_correction"),
    "not_processed": ("petition", "repeated", "publications", "excessive", "confirm_reissue"),
}
OTHER_PROCESSING: tuple[str, ...] = ("no_correction_in_time", "fee_not_paid", "other")  # 2021 only

# Row paths in printed order; a path is the key chain inside ``applications``.
Path = tuple[str, ...]
_RESULTS_HEAD: list[Path] = [("results", "public"), ("results", "partial")]
for _group, _subs in RESULT_GROUPS.items():
    _RESULTS_HEAD += [("results", _group, sub) for sub in _subs]
ROWS_2021: tuple[Path, ...] = (
    ("new",), ("carried_over",), *_RESULTS_HEAD,
    *(("other_processing", sub) for sub in OTHER_PROCESSING),
    ("results", "total"), ("carried_forward",),
)
ROWS_2019: tuple[Path, ...] = (
    ("new",), ("carried_over",), *_RESULTS_HEAD, ("results", "other"), ("results", "total"), ("carried_forward",),
)

ROW_LABELS: dict[str, str] = {
    "new": "一、本年新收政府信息公开申请数量", "carried_over": "二、上年结转政府信息公开申请数量",
    "results": "三、本年度办理结果", "public": "（一）予以公开", "partial": "（二）部分公开",
    "withheld": "（三）不予公开", "cannot_provide": "（四）无法提供", "not_processed": "（五）不予处理",
    "other": "（六）其他处理", "total": "（七）总计", "carried_forward": "四、结转下年度继续办理",
    "state_secret": "1.属于国家秘密", "law_prohibited": "2.其他法律行政法规禁止公开",
    "three_safety": "3.危及“三安全一稳定”", "third_party": "4.保护第三方合法权益",
    "internal_affairs": "5.属于三类内部事务信息", "process_info": "6.属于四类过程性信息",
    "enforcement_file": "7.属于行政执法案卷", "administrative_query": "8.属于行政查询事项",
    "not_held": "1.本机关不掌握相关政府信息", "needs_creation": "2.没有现成信息需要另行制作",
    "unclear_after_correction": "3.补正后申请内容仍不明确", "petition": "1.信访举报投诉类申请",
    "repeated": "2.重复申请", "publications": "3.要求提供公开出版物", "excessive": "4.无正当理由大量反复申请",
    "confirm_reissue": "5.要求行政机关确认或重新出具已获取信息",
}
OTHER_PROCESSING_LABELS: dict[str, str] = {
    "no_correction_in_time": "1.申请人逾期不补正", "fee_not_paid": "2.申请人逾期未缴纳费用", "other": "3.其他",
}

APPEAL_GROUPS: tuple[str, ...] = ("review", "litigation_direct", "litigation_after_review")
APPEAL_GROUP_LABELS: dict[str, str] = {
    "review": "行政复议", "litigation_direct": "行政诉讼·未经复议直接起诉",
    "litigation_after_review": "行政诉讼·复议后起诉",
}
APPEAL_OUTCOMES: tuple[str, ...] = ("upheld", "corrected", "other", "pending", "total")
APPEAL_OUTCOME_LABELS: dict[str, str] = {
    "upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结", "total": "总计",
}

# Table 二 (主动公开): item key -> (label keyword, column keys by format).
ACTIVE_ITEMS: tuple[tuple[str, str], ...] = (
    ("rules", "规章"), ("normative_documents", "规范性文件"), ("licensing", "行政许可"),
    ("other_services", "其他对外管理服务事项"), ("penalty", "行政处罚"), ("coercion", "行政强制"),
    ("fees", "行政事业性收费"), ("procurement", "政府集中采购"),
)
ACTIVE_LABELS: dict[str, str] = dict(ACTIVE_ITEMS) | {"normative_documents": "行政规范性文件"}
ACTIVE_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "2021": {"rules": ("new", "repealed", "in_force"), "normative_documents": ("new", "repealed", "in_force"),
             "licensing": ("decisions",), "penalty": ("decisions",), "coercion": ("decisions",),
             "fees": ("amount_wan_yuan",)},
    "2019": {"rules": ("made", "published", "total_published"),
             "normative_documents": ("made", "published", "total_published"),
             "licensing": ("previous_items", "change", "decisions"),
             "other_services": ("previous_items", "change", "decisions"),
             "penalty": ("previous_items", "change", "decisions"),
             "coercion": ("previous_items", "change", "decisions"),
             "fees": ("previous_items", "change"), "procurement": ("items", "amount")},
}
ACTIVE_COLUMN_LABELS: dict[str, str] = {
    "new": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数", "decisions": "处理决定数量",
    "amount_wan_yuan": "本年收费金额（万元）", "made": "本年新制作数量", "published": "本年新公开数量",
    "total_published": "对外公开总数量", "previous_items": "上一年项目数量", "change": "本年增/减",
    "items": "采购项目数量", "amount": "采购总金额",
}
