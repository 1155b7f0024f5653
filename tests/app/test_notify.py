"""Notifications for real: a local HTTP server receives the webhook (one that fails first, then succeeds),
the Atom feed parses, and a crawl of changing demo portals announces exactly its new, changed and withdrawn
reports."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from nianbao.demo import DemoServer, demo_portals
from nianbao.demo.changes import changed_portals
from nianbao.feed import ATOM, feed_xml
from nianbao.notify import post_json
from storage import Archive
from storage.archive import ChangeEvent
from tests.support.monitoring import crawl, register


class Receiver:
    """A webhook endpoint on loopback answering ``failures`` times with ``status`` before it accepts."""

    def __init__(self, failures: int = 0, status: int = 503) -> None:
        self.failures, self.status = failures, status
        self.attempts = 0
        self.received: list[dict[str, object]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.attempts += 1
                if receiver.attempts <= receiver.failures:
                    self.send_response(receiver.status)
                else:
                    receiver.received.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                """Quiet."""

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    r = Receiver(*getattr(request, "param", ()))
    yield r
    r.close()


@pytest.mark.parametrize("receiver", [(2, 503)], indirect=True)
def test_webhook_retried_with_backoff_until_it_succeeds(receiver: Receiver) -> None:
    assert post_json(receiver.url, {"events": [{"kind": "new", "title": "年报"}]}, attempts=4, backoff=0.01) is None
    assert receiver.attempts == 3 and receiver.received == [{"events": [{"kind": "new", "title": "年报"}]}]


@pytest.mark.parametrize("receiver", [(1, 400)], indirect=True)
def test_webhook_not_retried_when_the_receiver_rejects_the_request(receiver: Receiver) -> None:
    assert post_json(receiver.url, {"events": []}, attempts=4, backoff=0.01) == "HTTP 400"
    assert receiver.attempts == 1


@pytest.mark.parametrize("receiver", [(100, 503)], indirect=True)
def test_webhook_retries_stop_at_the_deadline(receiver: Receiver) -> None:
    """A receiver that is down costs the crawl process at most the deadline, not every backoff step."""
    assert post_json(receiver.url, {"events": []}, attempts=5, backoff=30, deadline=1) == "HTTP 503"
    assert receiver.attempts == 1


def test_webhook_gives_up_on_an_unreachable_receiver() -> None:
    assert post_json("http://127.0.0.1:9/hook", {"events": []}, attempts=2, backoff=0.01, timeout=2) is not None


def test_feed_is_valid_atom() -> None:
    at = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    events = [ChangeEvent("withdrawn", at, 3, "大安市2013年报告", "http://d/3", "daan", "HTTP 404"),
              ChangeEvent("new", at - dt.timedelta(hours=1), 4, "新报告", "http://d/4", None)]
    root = ET.fromstring(feed_xml(events))
    ns = {"a": ATOM}
    assert root.tag == f"{{{ATOM}}}feed" and root.find("a:updated", ns).text == at.isoformat()
    entries = root.findall("a:entry", ns)
    assert [e.find("a:category", ns).get("term") for e in entries] == ["withdrawn", "new"]
    assert entries[0].find("a:title", ns).text == "[撤下] 大安市2013年报告"
    assert entries[0].find("a:link", ns).get("href") == "http://d/3"
    assert entries[0].find("a:summary", ns).text == "report 3 on daan: HTTP 404"
    assert len({e.find("a:id", ns).text for e in entries}) == 2
    assert ET.fromstring(feed_xml([])).find("a:entry", ns) is None


@pytest.mark.e2e
@pytest.mark.parametrize("receiver", [(1, 503)], indirect=True)
def test_crawl_announces_its_changes_by_webhook_and_feed(receiver: Receiver, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    feed = tmp_path / "feeds" / "changes.atom"
    portals = demo_portals()
    register(db, portals)
    later = changed_portals()
    env = {"NIANBAO_WEBHOOK_URL": receiver.url, "NIANBAO_FEED": str(feed)}
    with DemoServer(portals) as server:
        crawl(server, db, "NIANBAO_WEBHOOK_BACKOFF=0.05", env=env)
        first = receiver.received[-1]
        server.set_portals(later.portals, later.overrides)
        crawl(server, db, "NIANBAO_WEBHOOK_BACKOFF=0.05", "NIANBAO_RECHECK_DAYS=0", env=env)
    assert receiver.attempts == 3  # the first POST failed and was retried; the second went through
    assert {e["kind"] for e in first["events"]} == {"new"} and first["finish_reason"] == "finished"
    events = {(e["kind"], e["url"]) for e in receiver.received[-1]["events"]}
    assert events == {("new", later.new_url), ("changed", later.edited_url),
                      ("withdrawn", later.withdrawn_404_url), ("withdrawn", later.withdrawn_refresh_url)}
    text = feed.read_text(encoding="utf-8")
    assert all(url in text for _, url in events) and not (tmp_path / "archive.atom").exists()


@pytest.mark.e2e
@pytest.mark.parametrize("receiver", [(10_000, 503)], indirect=True)
def test_undelivered_notifications_wait_in_the_archive_for_the_next_run(receiver: Receiver, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    daan = demo_portals()[0]
    register(db, [daan])
    env = {"NIANBAO_WEBHOOK_URL": receiver.url, "NIANBAO_FEED": ""}
    fast_retries = ("NIANBAO_WEBHOOK_BACKOFF=0.3", "NIANBAO_WEBHOOK_DEADLINE=1")
    with DemoServer([daan]) as server:
        crawl(server, db, *fast_retries, env=env)  # the receiver is down: retried within the deadline only
        tried = receiver.attempts
        assert 1 <= tried < 5 and receiver.received == []
        archive = Archive(db)
        ((queued_id, payload),) = archive.queued_notifications()
        assert {e["kind"] for e in payload["events"]} == {"new"} and payload["finish_reason"] == "finished"
        receiver.failures = tried  # back up
        crawl(server, db, *fast_retries, env=env)  # nothing new this time; the queued message goes out
    (delivered,) = receiver.received
    assert delivered["delivery_id"] == queued_id and delivered["events"] == payload["events"]
    assert archive.queued_notifications() == []
