"""Query terms as people type them: full-width digits and letters, short terms with non-ASCII letters (which
SQLite and PostgreSQL must answer alike), and `--level street` finding street offices on county portals."""

from __future__ import annotations

import hashlib

from storage import Archive, PortalSpec, ReportRecord
from tests.support.commands import run_cmd

BODIES = {
    "roman": "第Ⅱ部分 ÉTAT Ωmega 2014年度",
    "roman_lower": "第ⅱ部分 état ωmega",
    "fullwidth": "统计期限自２０１４年１月１日起 ＡＢ卷",
    "street": "大安市慧阳街道办事处2014年度政府信息公开工作年度报告",
    "township": "大安市安广镇人民政府2017年度政府信息公开工作报告",
    "county": "大安市人民政府2016年度政府信息公开工作年度报告",
}
ORGANS = {"street": "大安市慧阳街道办事处", "township": "大安市安广镇人民政府", "county": "大安市人民政府"}


def _archive(db_url: str) -> tuple[Archive, dict[int, str]]:
    archive = Archive(db_url)
    archive.add_portal(PortalSpec(name="daan", homepage="http://www.daan.nianbao.test/", level="county"))
    archive.add_portal(PortalSpec(name="zhanqian", homepage="http://zq.nianbao.test/", level="street"))
    for key, body in BODIES.items():
        archive.record(ReportRecord(url=f"http://www.daan.nianbao.test/{key}.html", body=body, title=key,
                                    content_sha256=hashlib.sha256(body.encode()).hexdigest(), portal="daan",
                                    organ=ORGANS.get(key)))
    other = "站前街道2017年政府信息公开工作年度报告"
    archive.record(ReportRecord(url="http://zq.nianbao.test/1.html", body=other, title="zhanqian",
                                content_sha256=hashlib.sha256(other.encode()).hexdigest(), portal="zhanqian"))
    return archive, {h.id: h.title or "" for h in archive.search(None, limit=50)}


def _found(archive: Archive, names: dict[int, str], query: str | None, **filters: object) -> set[str]:
    return {names[h.id] for h in archive.search(query, limit=50, **filters)}


def test_full_width_query_finds_half_width_text_and_back(db_url: str) -> None:
    archive, names = _archive(db_url)
    assert _found(archive, names, "２０１４年") == {"roman", "fullwidth", "street"}  # typed form and its fold
    assert _found(archive, names, "ａｂ") == {"fullwidth"}
    hit = archive.search("２０１４年度", limit=5)[0]
    assert "«2014年度»" in hit.snippet


def test_short_non_ascii_terms_match_every_case_on_both_backends(db_url: str) -> None:
    archive, names = _archive(db_url)
    for term in ("é", "É", "ét", "Ω", "ω", "Ⅱ", "ⅱ", "ⅱ部"):
        assert _found(archive, names, term) == {"roman", "roman_lower"}, term
    assert _found(archive, names, "ÉTAT") == {"roman", "roman_lower"}  # 3+ characters: the index, same answer


def test_level_street_finds_street_offices_on_county_portals(db_url: str) -> None:
    archive, names = _archive(db_url)
    assert _found(archive, names, None, level="street") == {"street", "zhanqian"}
    assert _found(archive, names, None, level="township") == {"township"}
    assert _found(archive, names, None, level="street", portal="daan") == {"street"}
    assert _found(archive, names, None, level="street", region="nowhere") == set()
    assert "county" in _found(archive, names, None, level="county")
    levels = dict(archive.facets(None)["level"])  # the facet counts what the filter finds
    assert (levels["street"], levels["township"], levels["county"]) == (2, 1, 6)


def test_search_command_prints_the_true_total(sqlite_url: str) -> None:
    archive = Archive(sqlite_url)
    for i in range(51):
        body = f"靖宇县第{i}号报告：依申请公开收到申请{i}件。"
        archive.record(ReportRecord(url=f"http://x.nianbao.test/{i}.html", body=body,
                                    content_sha256=hashlib.sha256(body.encode()).hexdigest()))
    out = run_cmd(["nianbao", "search", "依申请公开", "--db", sqlite_url]).stdout
    assert out.rstrip().endswith("51 result(s) (showing 1–20)")
    assert out.count("\n[") + out.startswith("[") == 20
