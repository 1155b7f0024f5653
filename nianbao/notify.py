"""Notifications after each run: an Atom feed file of new, changed and withdrawn reports, and an optional webhook.

The feed is rebuilt from the archive (``Archive.recent_changes``) after every run, so it is always
whole and consistent, whichever process wrote last, and the web UI can serve the same entries.
The webhook carries only this run's events as one JSON POST. The message is first queued in the
archive (the ``notification`` table), then the queue is delivered oldest first, in a thread the
crawl waits for at most ``NIANBAO_WEBHOOK_DEADLINE`` seconds, retrying network errors, 429 and 5xx
with exponential backoff inside that time. Whatever is not delivered by then stays queued and goes
out after the next run: a receiver that is down for a day gets every message once it is back, and
a crawl process never lingers. Delivery is at least once; ``delivery_id`` lets a receiver drop a
message it already has.

Settings (``-s`` or environment): ``NIANBAO_FEED`` (path; empty turns the feed off; unset puts
``<archive>.atom`` beside a SQLite archive), ``NIANBAO_FEED_ENTRIES`` (100), ``NIANBAO_WEBHOOK_URL``,
``NIANBAO_WEBHOOK_ATTEMPTS`` (5), ``NIANBAO_WEBHOOK_BACKOFF`` (seconds before the first retry, doubling; 2),
``NIANBAO_WEBHOOK_DEADLINE`` (10).
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from crawler.incremental import report_withdrawn
from nianbao.feed import feed_xml
from pipelines.components import RUN_ID
from storage import Archive, open_archive
from storage.paths import beside_archive

logger = logging.getLogger(__name__)
ANNOUNCED = ("new", "changed")  # store outcomes worth a notification; withdrawals come by signal


def write_feed(path: Path, archive: Archive, limit: int = 100) -> int:
    """Rewrite the feed file atomically (readers never see half a file); returns the entry count."""
    events = archive.recent_changes(limit)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(feed_xml(events))
    tmp.replace(path)
    return len(events)


def post_json(url: str, payload: dict[str, Any], *, attempts: int = 5, backoff: float = 2.0,
              timeout: float = 10.0, deadline: float | None = None) -> str | None:
    """POST ``payload`` as JSON; None once delivered (2xx), else why not.

    Network errors, 429 and 5xx are retried with exponential backoff, but no retry starts after
    ``deadline`` seconds; other 4xx answers are not retried: the receiver has said the request is wrong.
    """
    data = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    end = time.monotonic() + (deadline if deadline is not None else float("inf"))
    problem = "not attempted"
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8",
                                                  "User-Agent": "nianbao-notify/0.1"})
        try:
            with urllib.request.urlopen(request, timeout=max(0.1, min(timeout, end - time.monotonic()))) as response:
                response.read()
            return None
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code}"
            if exc.code != 429 and exc.code < 500:
                logger.error("webhook %s refused the notification: %s", url, problem)
                return problem
        except (urllib.error.URLError, OSError) as exc:
            problem = str(getattr(exc, "reason", exc))
        delay = backoff * 2 ** (attempt - 1)
        if attempt == attempts or time.monotonic() + delay >= end:
            break
        logger.warning("webhook %s failed (%s), attempt %d/%d; retrying in %.1fs",
                       url, problem, attempt, attempts, delay)
        time.sleep(delay)
    return problem


def deliver_queued(archive: Archive, url: str, *, attempts: int, backoff: float, deadline: float) -> tuple[int, int]:
    """Send the queued notifications oldest first, until one fails or ``deadline`` seconds pass.

    Returns (delivered, still queued). Stopping at the first failure keeps the receiver's order and
    spares a receiver that is down a burst of doomed requests.
    """
    end = time.monotonic() + deadline
    delivered = 0
    for notification_id, payload in archive.queued_notifications():
        remaining = end - time.monotonic()
        if remaining <= 0:
            break
        problem = post_json(url, {**payload, "delivery_id": notification_id}, attempts=attempts, backoff=backoff,
                            deadline=remaining)
        if problem is not None:
            archive.notification_failed(notification_id, problem)
            break
        archive.notification_delivered(notification_id)
        delivered += 1
    left = archive.count_queued_notifications()
    if left:
        logger.warning("webhook %s: %d notification(s) not delivered yet; they go out after the next run", url, left)
    return delivered, left


class Notifier:
    """Scrapy extension: collect this run's new/changed/withdrawn reports; announce them when it closes."""

    def __init__(self, crawler: Crawler, archive: Archive, feed: Path | None, webhook: str) -> None:
        self.crawler = crawler
        self.archive = archive
        self.feed = feed
        self.webhook = webhook
        self.events: list[dict[str, Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        db_url = settings["NIANBAO_DB"]
        configured = settings.get("NIANBAO_FEED")
        feed = beside_archive(db_url, ".atom") if configured is None else (Path(configured) if configured else None)
        webhook = settings.get("NIANBAO_WEBHOOK_URL") or ""
        if feed is None and not webhook:
            raise NotConfigured("no feed path and no webhook URL")
        ext = cls(crawler, open_archive(db_url), feed, webhook)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.withdrawn, signal=report_withdrawn)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def item_scraped(self, item: Any) -> None:
        adapter = ItemAdapter(item)
        if adapter.get("outcome") in ANNOUNCED:
            self.events.append({"kind": adapter["outcome"], "url": adapter["url"], "title": adapter.get("title"),
                                "portal": adapter.get("portal"), "report_year": adapter.get("report_year"),
                                "content_sha256": adapter.get("content_sha256")})

    def withdrawn(self, portal: str | None, url: str, reason: str) -> None:
        self.events.append({"kind": "withdrawn", "url": url, "portal": portal, "reason": reason})

    def spider_closed(self, spider: Spider, reason: str) -> Deferred[tuple[int, int]] | None:
        if self.feed is not None:
            try:
                entries = write_feed(self.feed, self.archive, self.crawler.settings.getint("NIANBAO_FEED_ENTRIES"))
                logger.info("feed %s: %d entries", self.feed, entries)
            except OSError as exc:  # a full disk must not turn a good crawl into a failed one
                logger.error("could not write the feed %s: %s", self.feed, exc)
        if not self.webhook:
            return None
        if self.events:
            stats = self.crawler.stats
            self.archive.queue_notification({"source": "nianbao", "run_id": stats.get_value(RUN_ID) if stats else None,
                                             "finish_reason": reason, "events": self.events})
        settings = self.crawler.settings
        # Scrapy waits for this before the process ends: at most the deadline, and the reactor stays free.
        return deferToThread(deliver_queued, self.archive, self.webhook,
                             attempts=settings.getint("NIANBAO_WEBHOOK_ATTEMPTS"),
                             backoff=settings.getfloat("NIANBAO_WEBHOOK_BACKOFF"),
                             deadline=settings.getfloat("NIANBAO_WEBHOOK_DEADLINE"))
