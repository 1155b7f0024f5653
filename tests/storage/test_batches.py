"""Batched archive writes (group commit) and batched URL look-ups: same results as one at a time."""

from __future__ import annotations

import datetime as dt

import pytest

from storage import Archive, ArchiveError, Outcome, PortalSpec
from tests.support.records import rec


def test_a_batch_gives_the_outcomes_of_one_call_at_a_time(db_url: str) -> None:
    """Within one transaction a later report sees the earlier ones: a repost, the same URL twice, an edit."""
    a = Archive(db_url)
    a.add_portal(PortalSpec(name="daan", homepage="http://www.daan.nianbao.test/"))
    run_id = a.start_run(["daan"])
    outcomes = a.record_many([
        rec("http://a/1", "慧阳街道报告", portal="daan", run_id=run_id),
        rec("http://b/1", "慧阳街道报告", portal="daan", run_id=run_id),  # repost of the same text
        rec("http://a/1", "慧阳街道报告", portal="daan", run_id=run_id),  # same page twice
        rec("http://a/1", "慧阳街道报告（修订）", portal="daan", run_id=run_id),  # then edited
        rec("http://c/1", "别处报告", run_id=run_id),  # no registry portal
    ])
    assert outcomes == [Outcome.NEW, Outcome.DUPLICATE, Outcome.UNCHANGED, Outcome.CHANGED, Outcome.NEW]
    assert a.count_reports() == 3 and a.count_sightings() == 3
    stats = a.get_run(run_id).stats  # type: ignore[union-attr]
    assert stats["nianbao/reports/new"] == 2 and stats["nianbao/portal/daan/reports/new"] == 1
    assert stats["nianbao/portal/daan/reports/duplicate"] == 1
    assert stats["nianbao/portal/daan/reports/unchanged"] == 1
    assert stats["nianbao/portal/daan/reports/changed"] == 1
    edited = next(r for r in a.iter_reports() if r.body == "慧阳街道报告（修订）")
    assert [(s.url, s.portal) for s in edited.sightings] == [("http://a/1", "daan")]
    assert len(a.versions(edited.id)) == 2


def test_a_batch_is_all_or_nothing(db_url: str) -> None:
    a = Archive(db_url)
    with pytest.raises(ArchiveError, match="URL of 2001 characters"):
        a.record_many([rec("http://a/1", "一"), rec("http://x.test/" + "a" * 1987, "二")])
    assert a.count_reports() == 0 and a.count_sightings() == 0


def test_a_removed_portal_is_forgotten_by_the_id_cache(db_url: str) -> None:
    """Sightings of a portal removed and registered again point at its new row, not the cached old id."""
    a = Archive(db_url)
    a.add_portal(PortalSpec(name="daan", homepage="http://www.daan.nianbao.test/"))
    a.add_portal(PortalSpec(name="xinfu", homepage="http://www.xinfu.nianbao.test/"))
    a.record(rec("http://a/1", "一", portal="daan"))
    assert a.remove_portal("daan")
    a.add_portal(PortalSpec(name="daan", homepage="http://www.daan.nianbao.test/"))
    a.record(rec("http://a/2", "二", portal="daan"))
    (second,) = [r for r in a.iter_reports() if r.body == "二"]
    assert [(s.url, s.portal) for s in second.sightings] == [("http://a/2", "daan")]


def test_last_checked_of_many_urls_matches_one_at_a_time(db_url: str) -> None:
    a = Archive(db_url)
    a.record(rec("http://a/1", "一"))
    a.record(rec("http://a/2", "二"))
    assert a.mark_withdrawn("http://a/2", "HTTP 404")
    urls = ["http://a/1", "http://a/2", "http://a/3", "http://a/1"]
    found = a.last_checked_many(urls)
    assert found == {u: a.last_checked(u) for u in urls if a.last_checked(u) is not None}
    assert set(found) == {"http://a/1"}
    assert found["http://a/1"].utcoffset() == dt.timedelta(0)  # aware, in UTC, on both backends


def test_last_checked_of_many_asks_in_chunks(db_url: str) -> None:
    """More URLs than one IN list holds (500) are all answered.

    Every other URL is archived (600 reports, not 1200: half the set-up), so each of the three lists of the
    1300 asked holds both known and unknown URLs."""
    a = Archive(db_url)
    a.record_many([rec(f"http://a/{n}", f"报告{n}") for n in range(0, 1200, 2)])
    found = a.last_checked_many(f"http://a/{n}" for n in range(1300))
    assert set(found) == {f"http://a/{n}" for n in range(0, 1200, 2)}
