"""Hostile and broken sites (docs/reference/cms-patterns.md §10): detected, recorded on the portal with evidence,
never parsed as reports, backed off.  Unit rules first, then real crawls against a local site."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.hostile import CHALLENGED, GONE, TRAPPED, HostileResponse, HostileSiteMiddleware, inspect
from nianbao.demo import chrome
from storage import Archive, PortalSpec
from tests.support.commands import run_cmd
from tests.support.crawls import NO_DELAY
from tests.support.sites import Answer, StaticSites

COLUMN = "http://www.x.gov.cn/zwgk/zfxxgknb/"
DOC = COLUMN + "202401/t20240120_1.html"
REFRESH = f'<html><head><meta http-equiv="refresh" content="0;url={COLUMN}"></head><body></body></html>'.encode()
GATE = b'<html><script>document.cookie="__gate=1f3a;path=/";location.reload();</script></html>'
JSL = b"<script>document.cookie=('__jsl_clearance=1700000000.1|0|abc');location.href=location.pathname</script>"


@pytest.mark.parametrize(("status", "body", "location", "seen", "kind"), [
    (412, chrome.challenge_412().body, None, (), CHALLENGED),  # 瑞数
    (412, b"", None, (), CHALLENGED),
    (521, JSL, None, (), CHALLENGED),  # 加速乐
    (200, JSL, None, (), CHALLENGED),
    (200, GATE, None, (), CHALLENGED),  # JS cookie gate
    (200, REFRESH, None, (), GONE),  # deleted document → its column
    (200, REFRESH.replace(COLUMN.encode(), b"http://www.x.gov.cn/elsewhere/"), None, (), None),  # not a parent
    (200, b"<html>" + b"x" * 10000 + GATE + b"</html>", None, (), None),  # a big real page using cookies
    (200, b"<html><body><p>ordinary small page</p></body></html>", None, (), None),
    (302, b"", DOC, (), TRAPPED),  # redirect to itself
    (302, b"", COLUMN, (COLUMN,), TRAPPED),  # back to a URL already passed through
    (302, b"", COLUMN, (), None),  # an ordinary redirect
    (404, b"", None, (), None),  # plain errors stay plain errors
])
def test_inspect(status: int, body: bytes, location: str | None, seen: tuple[str, ...], kind: str | None) -> None:
    verdict = inspect(DOC, status, body, location, seen)
    assert (verdict.kind if verdict else None) == kind


def _list_page(links: list[tuple[str, str]], next_page: str | None = None) -> bytes:
    items = "".join(f'<li><a href="{href}">{title}</a><span>2024-01-20</span></li>' for href, title in links)
    pager = f'<a href="{next_page}">下一页</a>' if next_page else ""
    return f'<html><body><ul class="list">{items}</ul><div class="page">{pager}</div></body></html>'.encode()


def _report_page(title: str) -> bytes:
    text = "".join(f"<p>一、总体情况。{title}第{i}段：本年度依法主动公开政府信息，依申请公开工作平稳有序。</p>"
                   for i in range(12))
    return (f'<html><head><meta charset="utf-8"><title>{title}</title><meta name="ArticleTitle" '
            f'content="{title}"><meta name="PubDate" content="2024-01-20 09:00"></head><body><h1>{title}</h1>'
            f'<div class="TRS_Editor">{text}</div></body></html>').encode()


def _trap(path: str) -> Answer:
    """An endless pager: every list page lists one new (non-report) entry and links to one more page.
    (A pager whose pages bring nothing new is no trap any more: paging stops at the first such page.)"""
    n = int(path.rsplit("_", 1)[1].split(".")[0]) if "_" in path else 0
    return Answer(body=_list_page([(f"202401/t20240101_{n}.html", f"工作简报第{n}期")], f"index_{n + 1}.html"))


def hostile_sites() -> StaticSites:
    ok = "ok.nianbao.test"
    return StaticSites({
        ("ruishu.nianbao.test", "*"): Answer(412, chrome.challenge_412().body),
        ("jsl.nianbao.test", "*"): Answer(521, JSL),
        ("gate.nianbao.test", "*"): Answer(200, GATE),
        ("loop.nianbao.test", "/zfxxgknb/"): Answer(302, headers=(("Location", "/zfxxgknb/a/"),)),
        ("loop.nianbao.test", "/zfxxgknb/a/"): Answer(302, headers=(("Location", "/zfxxgknb/"),)),
        ("trap.nianbao.test", "*"): _trap,
        (ok, "/zfxxgknb/"): Answer(body=_list_page([
            ("202401/t20240120_1.html", "示例县2023年政府信息公开工作年度报告"),
            ("202401/t20240121_2.html", "示例县城关镇2023年政府信息公开工作年度报告")])),
        (ok, "/zfxxgknb/202401/t20240120_1.html"): Answer(body=_report_page("示例县2023年政府信息公开工作年度报告")),
        (ok, "/zfxxgknb/202401/t20240121_2.html"): Answer(body=REFRESH.replace(
            COLUMN.encode(), b"http://ok.nianbao.test/zfxxgknb/")),
    })


@pytest.mark.e2e
def test_hostile_portals_are_recorded_not_parsed_and_backed_off(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hostile.db'}"
    archive = Archive(db)
    names = ("ruishu", "jsl", "gate", "loop", "trap", "ok")
    for name in names:
        archive.add_portal(PortalSpec(name=name, column_urls=(f"http://{name}.nianbao.test/zfxxgknb/",)))
    with hostile_sites() as site:
        env = {"NIANBAO_DEMO_PROXY": site.url, "NIANBAO_DB": db}
        result = run_cmd(["nianbao", "crawl", *NO_DELAY, "-s", "NIANBAO_MAX_LIST_PAGES=8"], env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        asked_ruishu = sum(1 for _, url in site.requests if "ruishu" in url)
    health = archive.portal_healths()
    assert {n: health[n].status for n in names} == {
        "ruishu": CHALLENGED, "jsl": CHALLENGED, "gate": CHALLENGED, "loop": TRAPPED, "trap": TRAPPED, "ok": "ok"}
    assert health["ruishu"].evidence[0]["status"] == 412 and "瑞数" in health["ruishu"].evidence[0]["detail"]
    assert health["jsl"].evidence[0]["status"] == 521
    assert "redirect loop" in health["loop"].evidence[0]["detail"]
    assert "more than 8 list pages" in health["trap"].evidence[0]["detail"]
    # the deleted document is evidence on a healthy portal, and only the real report was archived
    assert [e["kind"] for e in health["ok"].evidence] == [GONE]
    assert [r.title for r in archive.iter_reports()] == ["示例县2023年政府信息公开工作年度报告"]
    assert health["ok"].verified and not health["ruishu"].verified
    assert asked_ruishu <= 2  # robots.txt + the column: a 412 is never retried
    run = archive.list_runs()[0]
    assert run.stats["nianbao/portal/ruishu/hostile/challenged"] >= 1
    assert run.stats["nianbao/portal/trap/list_pages"] == 8
    assert "challenged: HTTP 412" in result.stdout
    listed = run_cmd(["nianbao", "portals", "list", "--db", db])
    assert "challenged?" in listed.stdout and "trapped" in listed.stdout


@pytest.mark.e2e
def test_a_host_is_left_alone_after_repeated_challenges(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'backoff.db'}"
    archive = Archive(db)
    columns = tuple(f"http://ruishu.nianbao.test/col{i}/" for i in range(5))
    archive.add_portal(PortalSpec(name="ruishu", column_urls=columns))
    with hostile_sites() as site:
        env = {"NIANBAO_DEMO_PROXY": site.url, "NIANBAO_DB": db}
        # one request in the downloader at a time, so each column is checked just before it would be sent
        result = run_cmd(["nianbao", "crawl", *NO_DELAY, "-s", "CONCURRENT_REQUESTS=1"], env=env)
        asked = [url for _, url in site.requests if "/col" in url]
    assert result.returncode == 1  # the only portal gave nothing: the run as a whole failed, with the reason
    assert "challenged" in result.stderr
    # robots.txt and the first column were challenged (NIANBAO_CHALLENGES_PER_HOST = 2): nothing more is asked
    assert len(asked) == 1
    stats = archive.list_runs()[0].stats
    assert stats["nianbao/hostile/backed_off"] == 4


@pytest.mark.e2e
def test_portals_challenged_in_consecutive_runs_are_paused(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'paused.db'}"
    archive = Archive(db)
    for name in ("ruishu", "ok"):
        archive.add_portal(PortalSpec(name=name, column_urls=(f"http://{name}.nianbao.test/zfxxgknb/",)))
    for _ in range(3):
        archive.set_portal_status("ruishu", CHALLENGED, [{"kind": CHALLENGED, "status": 412}])
    assert archive.portal_health("ruishu").challenged_runs == 3
    with hostile_sites() as site:
        env = {"NIANBAO_DEMO_PROXY": site.url, "NIANBAO_DB": db}
        full = run_cmd(["nianbao", "crawl", *NO_DELAY], env=env)
        assert full.returncode == 0, full.stdout + full.stderr
        assert not any("ruishu" in url for _, url in site.requests)  # paused: not asked at all
        named = run_cmd(["nianbao", "crawl", "--portal", "ruishu", *NO_DELAY], env=env)
    assert archive.list_runs()[-1].stats["nianbao/portals_paused_challenged"] == 1
    assert named.returncode == 1  # naming it crawls it anyway (and it is still challenged)
    assert archive.portal_health("ruishu").challenged_runs == 4
    archive.set_portal_status("ruishu", "ok")
    assert archive.portal_health("ruishu").challenged_runs == 0 and archive.portal_health("ruishu").verified


# --------------------------------------------------------------------------- per-host decisions (unit)

PAGE = b"<html><body>" + "<p>政府信息公开工作年度报告正文。</p>".encode() * 400 + b"</body></html>"


def _middleware() -> HostileSiteMiddleware:
    crawler = get_crawler(Spider, {k: v for k, v in vars(project_settings).items() if k.isupper()})
    return HostileSiteMiddleware.from_crawler(crawler)


def _ask(mw: HostileSiteMiddleware, url: str, status: int, stage: str = "report") -> str:
    """One request through the middleware: "refused", "challenged" or "ok" (a 500 is "ok" here: retryable)."""
    request = Request(url, meta={"stage": stage})
    try:
        mw.process_request(request)
    except HostileResponse:
        return "refused"
    body = chrome.challenge_412().body if status == 412 else PAGE
    try:
        mw.process_response(request, HtmlResponse(url, status=status, body=body, request=request))
    except HostileResponse:
        return "challenged"
    return "ok"


def test_some_challenged_paths_do_not_close_a_host_that_serves_pages() -> None:
    """A WAF rule on a legacy path answers 412 twice; the retry of a transient 500, a later list page and the
    remaining reports of the same host are still asked for (issue 10: one challenged page closed the host)."""
    mw = _middleware()
    host = "http://www.x.gov.cn"
    assert _ask(mw, f"{host}/zwgk/zfxxgknb/", 200, "list") == "ok"
    assert _ask(mw, f"{host}/xxgk/old/1.html", 412) == _ask(mw, f"{host}/xxgk/old/2.html", 412) == "challenged"
    assert _ask(mw, f"{host}/zwgk/zfxxgknb/202401/t20240120_3.html", 500) == "ok"  # Scrapy retries it …
    assert _ask(mw, f"{host}/zwgk/zfxxgknb/202401/t20240120_3.html", 200) == "ok"  # … and the retry goes out
    assert _ask(mw, f"{host}/zwgk/zfxxgknb/index_1.html", 200, "list") == "ok"
    assert mw.crawler.stats.get_value("nianbao/hostile/backed_off") is None


def test_a_host_is_given_up_on_evidence_and_the_decision_recorded_once() -> None:
    mw = _middleware()
    gate = "http://gate.x.gov.cn"
    assert _ask(mw, f"{gate}/robots.txt", 412, "robots") == _ask(mw, f"{gate}/nb/", 412, "list") == "challenged"
    request = Request(f"{gate}/nb/index_1.html", meta={"stage": "list"})
    with pytest.raises(HostileResponse) as refused:
        mw.process_request(request)
    assert refused.value.noteworthy and refused.value.status is None
    assert "challenged the last 2 requests and served no page" in refused.value.verdict.detail
    with pytest.raises(HostileResponse) as again:
        mw.process_request(Request(f"{gate}/nb/202401/t20240120_1.html", meta={"stage": "report"}))
    assert not again.value.noteworthy  # the evidence is on record once per host
    stats = mw.crawler.stats
    assert (stats.get_value("nianbao/hostile/backed_off"), stats.get_value("nianbao/hostile/given_up/list"),
            stats.get_value("nianbao/hostile/given_up/report")) == (2, 1, 1)
    # a host that served pages is given up only when challenges are most of its recent answers
    mw = _middleware()
    site = "http://turned.x.gov.cn"
    assert _ask(mw, f"{site}/nb/", 200, "list") == "ok"
    answers = [_ask(mw, f"{site}/nb/{i}.html", 412) for i in range(10)]
    assert answers[:9] == ["challenged"] * 9 and answers[9] == "refused"
    with pytest.raises(HostileResponse) as share:
        mw.process_request(Request(f"{site}/nb/x.html", meta={"stage": "report"}))
    assert "(90% of its last 10 answers)" in share.value.verdict.detail
