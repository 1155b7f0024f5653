"""A crawl's end brings the search's stored lookups (storage.archive.termcache) up to what it stored: a real crawl of
the demo portals over loopback, in its own process, on SQLite and PostgreSQL."""

from __future__ import annotations

from array import array

from sqlalchemy import select

from nianbao.demo import DemoServer, compliance_portals
from storage.archive.query import Query
from storage.archive.rows import read_ids
from storage.archive.termcache import term_cache
from storage.models import KeptLookup
from tests.support.monitoring import crawl, register
from tests.support.sample_archive import load


def test_a_crawl_brings_the_stored_lookups_up_to_what_it_stored(db_url: str) -> None:
    archive, _ = load(db_url)
    term_cache(archive.engine).least = 1
    search = Query(archive.engine)
    before = search.count("政府信息公开")
    portals = compliance_portals()
    register(db_url, portals)
    with DemoServer(portals) as server:
        crawl(server, db_url)
    run = archive.list_runs(1)[0]
    # (the sample archive's own portals are not served here: their homepages fail, as they should)
    assert run.stats["term_cache/rechecked"] == 1 and not [e for e in run.errors if e["stage"] == "term cache"]
    with archive.engine.connect() as conn:
        stored = sorted(array("i", conn.scalar(select(KeptLookup.ids).where(KeptLookup.terms == "政府信息公开"))))
        fresh = sorted(read_ids(conn, search._direct(["政府信息公开"])))
    assert stored == fresh and len(fresh) > before
