"""A plain-Python search over the sample archive: the oracle both backends' answers are checked against."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from storage import Archive
from storage.archive.query import Filters
from tests.support.sample_archive import PORTALS, SAMPLES, Sample

REGIONS = {p.name: p for p in PORTALS}

# (query, filters, sort): every filter, short/long/multi-term queries, ASCII case, LIKE wildcards
CASES: list[tuple[str | None, dict[str, Any], str]] = [
    ("依申请公开", {}, "newest"),
    ("街道", {}, "newest"),  # 2 characters: below the trigram limit, scanned
    ("公开 2017", {}, "oldest"),
    ("依申请公开 街道", {}, "newest"),  # one term through FTS5, one scanned
    ("政府信息公开工作年度报告", {}, "year"),
    ("abc", {}, "id"),  # matches ABC and abc, as FTS5 and ILIKE do
    ("100%", {}, "newest"),  # % is a literal, not a wildcard
    ("0件", {}, "newest"),
    ("依申请公开", {"region": "抚顺"}, "newest"),
    ("年", {"region": "22"}, "newest"),  # region code prefix: both 吉林 portals
    ("年", {"region": "2206"}, "newest"),
    ("年", {"region": "210402001"}, "newest"),
    (None, {"year": 2023}, "newest"),
    (None, {"year": 2023, "level": "county"}, "id"),
    ("年度报告", {"level": "street"}, "newest"),
    ("年度报告", {"portal": "daan"}, "oldest"),
    ("年度报告", {"organ": "大安市"}, "newest"),
    (None, {"published_from": dt.date(2020, 1, 1), "published_to": dt.date(2022, 12, 31)}, "newest"),
    ("信息公开", {"has_attachment": True}, "id"),
    ("信息公开", {"has_attachment": False}, "id"),
    ("慧阳街道", {"region": "抚顺"}, "newest"),  # nothing
    (None, {"format": "pdf"}, "id"),
    (None, {"format": "docx"}, "id"),
    ("年度报告", {"format": "html"}, "newest"),  # published as the page itself: no attachment
    (None, {"statistics": "consistent"}, "id"),
    (None, {"statistics": "inconsistent"}, "id"),
    ("公开", {"statistics": "unread", "region": "22"}, "newest"),
    (None, {}, "id"),  # the whole archive: facets from the cached counts
    (None, {}, "newest"),  # the whole archive in every sort: a slice of the facet index's order, undated last
    (None, {}, "oldest"),
    (None, {}, "year"),
    (None, {"region_is": "辽宁省抚顺市新抚区"}, "id"),  # not its 站前街道 portal, which region=… also finds
    ("年度报告", {"organ_is": "新抚区人民政府"}, "newest"),
    # filters on portals alone with terms: two sets intersected (Query.matching_list)
    ("年", {"level": "street", "region": "21"}, "newest"),  # a street office's report on its county's portal too
    ("年度报告", {"level": "county", "portal": "xinfu"}, "id"),
    ("依申请公开", {"region_is": "辽宁省抚顺市新抚区"}, "newest"),
    ("信息公开 年", {"level": "township"}, "id"),
    # 1- and 2-character terms (SQLite: the bigram index of migration 0013) with quotes, wildcards, ASCII case
    ("公", {}, "id"),  # every report: the whole archive's counts
    ("年", {}, "oldest"),
    ("a", {}, "newest"),
    ("bC", {}, "oldest"),
    ('"', {}, "id"),
    ('="', {}, "id"),
    ("%", {}, "id"),
    ("0%", {}, "newest"),
    ("_", {}, "id"),  # a literal, matches nothing
    ("C系", {}, "id"),
    ("申请 年度", {"year": 2023}, "newest"),
    ("报告 依申请公开 年", {}, "year"),
]
STREET, TOWNSHIP = "街道", ("乡", "镇", "苏木", "乡人民政府", "镇人民政府", "乡政府", "镇政府", "苏木人民政府")


def _seen_on(sample: Sample, filters: dict[str, Any]) -> bool:
    """Some one portal of the sample satisfies every portal filter."""
    for name in sample.portals:
        portal = REGIONS[name]
        region = filters.get("region")
        if region and not ((portal.region_code or "").startswith(region) if region.isdigit()
                           else region in (portal.region or "")):
            continue
        level = filters.get("level")
        # a street office's or township's report counts at that level on any portal (by the organ's name)
        by_organ = level in _organ_levels(sample)
        if (level not in (None, portal.level) and not by_organ) or filters.get("portal") not in (None, name):
            continue
        if filters.get("region_is") not in (None, portal.region):
            continue
        return True
    return False


def _organ_levels(sample: Sample) -> set[str]:
    return ({"street"} if STREET in sample.organ else set()) | ({"township"} if sample.organ.endswith(TOWNSHIP)
                                                                   else set())


def _formats(sample: Sample) -> set[str]:
    return {sample.attachment_format} if sample.attachment else {"html"}


def _statistics(sample: Sample) -> str:
    return "unread" if sample.findings is None else "inconsistent" if sample.findings else "consistent"


def matching(query: str | None, filters: dict[str, Any]) -> list[Sample]:
    """The samples a query and filters match, in sample (id) order."""
    terms = (query or "").lower().split()
    out = []
    for s in SAMPLES:
        haystacks = (s.title.lower(), s.body.lower())
        if not all(any(t in h for h in haystacks) for t in terms):
            continue
        if filters.get("year") not in (None, s.year) or filters.get("organ", "") not in s.organ:
            continue
        if filters.get("published_from") and not (s.published and s.published >= filters["published_from"]):
            continue
        if filters.get("published_to") and not (s.published and s.published <= filters["published_to"]):
            continue
        if "has_attachment" in filters and s.attachment != filters["has_attachment"]:
            continue
        if filters.get("organ_is") not in (None, s.organ):
            continue
        if any(k in filters for k in ("region", "level", "portal", "region_is")) and not _seen_on(s, filters):
            continue
        if filters.get("format") not in (None, *_formats(s)) or filters.get("statistics") not in (None, _statistics(s)):
            continue
        out.append(s)
    return out


def facet_oracle(query: str | None, filters: dict[str, Any]) -> dict[str, list[tuple[Any, int]]]:
    """The expected facet counts, computed in Python: most reports first, ties by value, unknown last."""
    counts: dict[str, Counter[Any]] = {name: Counter() for name in
                                       ("year", "region", "level", "organ", "format", "attachments", "statistics")}
    for s in matching(query, filters):
        portals = [REGIONS[name] for name in s.portals]
        counts["year"][s.year] += 1
        counts["organ"][s.organ] += 1
        counts["region"].update({p.region for p in portals})
        counts["level"].update({p.level for p in portals} | _organ_levels(s))
        counts["format"].update(_formats(s))
        counts["attachments"]["yes" if s.attachment else "no"] += 1
        counts["statistics"][_statistics(s)] += 1
    return {name: sorted(c.items(), key=lambda item: (-item[1], item[0] is None, item[0] or 0))
            for name, c in counts.items()}


def oracle(query: str | None, filters: dict[str, Any], sort: str) -> list[str]:
    """The expected titles, in order, computed in Python."""
    out = matching(query, filters)
    order = list(SAMPLES)  # ids are assigned in sample order
    if sort == "id":
        out.sort(key=order.index)
    elif sort == "newest":
        out.sort(key=lambda s: (s.published is None, -(s.published or dt.date.min).toordinal(), -order.index(s)))
    elif sort == "oldest":
        out.sort(key=lambda s: (s.published is None, (s.published or dt.date.min).toordinal(), order.index(s)))
    else:
        out.sort(key=lambda s: (s.year is None, -(s.year or 0), -order.index(s)))
    return [s.title for s in out]


def assert_pages_match(archive: Archive, ids: dict[str, int]) -> None:
    """Every case's total and first 50 hits (``Query.page`` with facets, as the web asks) equal the oracle's;
    ``ids``: ``sample_archive.load``'s titles to report ids."""
    titles = {v: k for k, v in ids.items()}
    for query, filters, sort in CASES:
        expected = oracle(query, filters, sort)
        page = archive.query.page(query, Filters.of(**filters), sort=sort, limit=50, facets=True)
        assert (page.total, [titles[h.id] for h in page.hits]) == (len(expected), expected), (query, filters)
