"""Walking a column's list pages: where a walk stops (crawler/paging.py)."""

from __future__ import annotations

import datetime as dt

from scrapy import Request
from scrapy.http import TextResponse

from crawler.lists import hanweb
from crawler.paging import ColumnWalk, ListRequest, walked_before
from storage import RunView
from tests.support import CORPUS

DINGXI = (CORPUS / "realpages" / "gs_dingxi_xxgk_hanweb_jpage_datastore_response.xml").read_bytes()
PROXY = "http://zwgk.dingxi.gov.cn/module/web/jpage/dataproxy.jsp"


def answer(url: str) -> TextResponse:
    return TextResponse(url, body=DINGXI, encoding="utf-8", request=Request(url))


def test_a_page_that_adds_nothing_unseen_ends_the_walk() -> None:
    """Asked page=2, a server that ignores the page number answers page 1 again: paging stops there."""
    walk = ColumnWalk("http://zwgk.dingxi.gov.cn/col/col12377/index.html", rewalk=False)
    urls = [link.url for link in hanweb.parse(answer(f"{PROXY}?page=1")).links]
    assert walk.read(urls, unseen_reports=0, stale_limit=3) is None
    assert walk.read(urls, unseen_reports=0, stale_limit=3) == "repeat"
    walk.queue([ListRequest(f"{PROXY}?page=3"), ListRequest(f"{PROXY}?page=3")])
    assert len(walk.frontier) == 1 and walk.next_request(50, set()) == ListRequest(f"{PROXY}?page=3")
    # a re-walk stops after N pages in a row without an unseen report link; a first walk does not
    again = ColumnWalk("c", rewalk=True)
    assert [again.read([f"u{i}"], 0, 2) for i in range(2)] == [None, "stale"]
    first = ColumnWalk("c", rewalk=False)
    assert [first.read([f"u{i}"], 0, 2) for i in range(5)] == [None] * 5


def run(id_: int, reason: str | None, portals: tuple[str, ...], walked: tuple[str, ...] = ()) -> RunView:
    return RunView(id=id_, started_at=dt.datetime.now(dt.UTC), finished_at=None, finish_reason=reason, portals=portals,
                   stats={"nianbao/columns_walked": list(walked)}, errors=())


def test_only_a_column_walked_to_its_end_in_a_finished_run_is_walked_again_the_short_way() -> None:
    column = "http://x.gov.cn/zfxxgknb/"
    assert not walked_before([], "x", column)  # first crawl of the column: full walk
    assert walked_before([run(2, "finished", ("x",), (column,))], "x", column)
    assert not walked_before([run(3, "killed", ("x",)), run(2, "finished", ("x",), (column,))], "x", column)
    assert not walked_before([run(3, "finished", ("x",)), run(2, "killed", ("x",))], "x", column)
    # another portal's killed run says nothing about this one; a finished run that missed the column defers
    assert walked_before([run(4, "killed", ("y",)), run(3, "finished", ("x",)), run(2, "finished", ("x",), (column,))],
                         "x", column)
