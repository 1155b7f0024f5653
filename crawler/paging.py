"""Walking a report column's list pages one at a time, and knowing when to stop.

A column is walked page after page (never all pager pages at once), so each page can decide whether the next
one is worth asking for (cms-patterns.md §2, §11: newest items come first; stop at the first page with nothing
unseen):

* a page that adds no link this walk has not already seen (an empty page, or one repeating earlier links, as a
  Hanweb ``dataproxy.jsp`` that ignores its page number does) ends the walk: nothing further can be new;
* once a column has been walked to its end in a run that *finished*, a later walk also stops after
  ``NIANBAO_STALE_LIST_PAGES`` pages in a row that add no report link unknown to the archive.  The first walk of
  a column, and every walk after a killed or interrupted run, goes to the end, because the archive may then
  miss reports listed further down.

Which columns were walked to their end is kept in the run's stats (``nianbao/columns_walked``), so the next run
reads it from the archive's run history; nothing else is stored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from crawler.lists import ListPage
from crawler.lists.base import Form
from storage import RunView

WALKED = "nianbao/columns_walked"  # stats key: columns whose list was read to its end this run
HISTORY_RUNS = 50  # runs looked back through for the last walk of a column
REPEAT, STALE, CAPPED = "repeat", "stale", "capped"


@dataclass(frozen=True, slots=True)
class ListRequest:
    """A list page to fetch: a GET URL, or a POST to a list API with its form fields."""

    url: str
    form: Form | None = None

    @property
    def key(self) -> str:
        return f"{self.url}?{urlencode(self.form)}" if self.form else self.url


def list_requests(page: ListPage) -> list[ListRequest]:
    return [ListRequest(url) for url in page.next_urls] + [ListRequest(url, form) for url, form in page.next_posts]


@dataclass(slots=True)
class ColumnWalk:
    """One column's walk in this run: pages queued in pager order, links seen, and why it ended."""

    column: str
    rewalk: bool  # walked to its end before, in a finished run: may stop at pages with nothing unseen
    frontier: deque[ListRequest] = field(default_factory=deque)
    queued: set[str] = field(default_factory=set)
    links: set[str] = field(default_factory=set)
    pages: int = 1  # list pages asked for, the column page included
    stale: int = 0
    complete: bool = True  # False once a page failed or the page cap cut the walk short
    ended: str | None = None  # REPEAT / STALE / CAPPED, or "end" when the pager ran out

    def __post_init__(self) -> None:
        self.queued.add(self.column)

    def queue(self, requests: Iterable[ListRequest]) -> None:
        for request in requests:
            if request.key not in self.queued:
                self.queued.add(request.key)
                self.frontier.append(request)

    def read(self, links: Sequence[str], unseen_reports: int, stale_limit: int) -> str | None:
        """Take in one page's links; REPEAT or STALE when the walk should end here, else None."""
        new = set(links) - self.links
        self.links |= new
        self.stale = self.stale + 1 if self.rewalk and not unseen_reports else 0
        if not new:
            self.ended = REPEAT
        elif stale_limit and self.stale >= stale_limit:
            self.ended = STALE
        return self.ended

    def next_request(self, limit: int, taken: Container[str]) -> ListRequest | None:
        """The next page to ask for, skipping pages in ``taken`` (read by another column's walk); None when the
        pager ran out or the walk reached ``limit`` pages."""
        while self.frontier and self.frontier[0].key in taken:
            self.frontier.popleft()
        if not self.frontier:
            self.ended = self.ended or "end"
            return None
        if self.pages >= limit:
            self.ended, self.complete = CAPPED, False
            return None
        self.pages += 1
        return self.frontier.popleft()


def walked_before(runs: Sequence[RunView], portal: str | None, column: str) -> bool:
    """Whether the newest run that crawled ``portal`` finished and walked ``column`` to its end.

    Runs newest first (``Archive.list_runs``), the current one left out by the caller. A run that did not
    finish (killed, interrupted, still going) and may have touched the portal means a full walk; a finished
    run that did not complete this column defers to the run before it.
    """
    for run in runs:
        touched = not run.portals or portal in run.portals
        if run.finish_reason != "finished":
            if touched:
                return False
            continue
        if column in (run.stats.get(WALKED) or ()):
            return True
    return False
