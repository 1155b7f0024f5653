"""The SSRF guard: internal addresses are never fetched for a portal that is not registered there.

The crawls are real (`nianbao crawl` over loopback HTTP); names resolve through a stub resolver to loopback
addresses only (127.0.0.1 for the portal, 127.0.0.2 for the "internal network"), so nothing leaves the machine.
The address classification is also checked directly for the ranges a test must never connect to.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest

from crawler.ssrf import internal_kind, literal_address
from tests.support.faults import INSIDE, INTERNAL, FaultSite, crawl, register


@pytest.mark.parametrize(("address", "kind"), [
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("127.0.0.2", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("224.0.0.251", "multicast"),
    ("240.0.0.1", "reserved"), ("0.0.0.0", "unspecified"), ("100.64.0.1", "not publicly routable"),
    ("192.0.2.10", "private"), ("fd00::1", "private"),
    ("8.8.8.8", None), ("2001:4860:4860::8888", None), ("119.147.1.1", None),
])
def test_internal_addresses_are_named(address: str, kind: str | None) -> None:
    assert internal_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(("host", "address"), [
    ("127.0.0.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("127.1", "127.0.0.1"),
    ("017700000001", "127.0.0.1"), ("::1", "::1"), ("intranet.test", None), ("a.b", None), ("", None),
])
def test_literal_addresses_in_every_spelling(host: str, address: str | None) -> None:
    assert literal_address(host) == (ipaddress.ip_address(address) if address else None)


@pytest.mark.e2e
def test_links_redirects_and_attachments_into_the_internal_network_are_refused(sqlite_url: str) -> None:
    with FaultSite() as site:
        archive = register(sqlite_url, site, "ssrf")
        result = crawl(sqlite_url, site)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        assert site.internal_requests == []  # nothing, not even robots.txt, was asked of 127.0.0.2
        good = site.of("ssrf", "archived")
        assert sorted(r.body for r in archive.iter_reports()) == sorted("\n".join(c.paragraphs) for c in good)
        assert all(urlsplit(s.url).hostname == "ssrf.test" for r in archive.iter_reports() for s in r.sightings)
        (run,) = archive.list_runs()
        refused = {e["url"]: e for e in run.errors if "refused: " in e["reason"]}
        expected = {c.recorded_url or site.page_url(c) for c in site.of("ssrf") if c.reason == "refused: "}
        assert set(refused) == expected, run.errors
        assert "a loopback address, not a host registered for the portal" in refused[
            site.internal_url(INTERNAL, "/internal/secret.html")]["reason"]
        assert "intranet.test is at 127.0.0.2" in refused[site.internal_url("intranet.test", "/internal/staff.html")][
            "reason"]
        assert run.stats["nianbao/portal/ssrf/ssrf/refused"] >= 2


@pytest.mark.e2e
def test_a_portal_registered_on_an_internal_host_is_crawled(sqlite_url: str) -> None:
    """Crawling one's own intranet server: registering it is the permission, for that host only."""
    with FaultSite() as site:
        archive = register(sqlite_url, site, "inside")
        result = crawl(sqlite_url, site)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        assert [r.body for r in archive.iter_reports()] == ["\n".join(INSIDE)]
        assert ("intranet.test", "/internal/secret.html") in site.internal_requests
