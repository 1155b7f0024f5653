"""Search latency, whole results pages and export throughput on a synthetic archive, SQLite and PostgreSQL.

Builds N reports (default 100,000) from the seed texts' paragraphs, varied: each report gets its own
place name, year and organ, ~20 paragraphs drawn from the seeds with every number changed, on one of
300 portals in 10 provinces at county and street level. Then times ``Archive.query.search`` (limit
20, newest first) for 2-, 3- and 6-character queries cut from the seed texts, without and with filters
(``year`` + a region code prefix), and prints p50/p95. Baseline, in the same run: the same search
as a plain ``LIKE`` scan without any index (what 0001 did on PostgreSQL and what SQLite does for
2-character terms), on a few queries. Export: ``Archive.export`` of one report year, rows/s.

Whole pages (issue 14's goal: p95 ≤ 150 ms at 100,000 reports): ``GET /`` through the ASGI app in-process
(search + true total + every facet + the template), for browsing (no query), the query kinds above and with
filters; and its parts, timed alone: the search, and the total with all seven facets (``Query.page(...,
facets=True)`` minus the search). Baseline in the same run: the old count + per-facet GROUP BY queries (year,
region and level only, each re-evaluating the query), which the new single set of matching ids replaced; with
``--against TREE``, also the same pages served by another checkout's code (e.g. ``/work/main`` before a change),
each query timed there and here back to back, so both see the machine's load of that moment (a checkout whose
schema is older than the archive's cannot open it: give it the newer migration files). Each page with a query is
timed three times at once: *first*, with the term cache emptied, in memory and its stored rows (its lookup paid in
full, as the first reader of a term ever pays it; the facet index and the databases' caches stay warm), *stored*
(memory emptied: the first page of the term in a process that did not look it up, reading the row the first page
stored), and *again* (the lookup kept: the next page, a facet clicked, another reader). Reports get attachments
(pdf/docx/doc/ofd, ~30 %) and statistics rows (~60 %, a third of them with findings) so that every facet has
values. Then pages with one filter alone (a region, a portal, a
level, a year) and a common term, and every other page on the same archive (report pages, feeds, portal pages,
the compliance grid, the organ index), p50 / p95 over a few paths of each; and the first page after a write
(the in-memory indexes updated from the journal), against rebuilding them from the whole archive; and a crawl's
end bringing the stored lookups up to its new reports, against looking them up again.

Usage: python benchmarks/search.py [--docs 100000] [--backends sqlite,postgresql] [--pg URL] [--archive FILE]
[--pg-database NAME] [--pages-only] [--against TREE] [--parts pages,filters,other,after,refresh]
(PostgreSQL is skipped when no server answers at --pg / NIANBAO_TEST_PG_URL.) A build at 100,000 reports takes
minutes: with ``--archive FILE`` (SQLite) or ``--pg-database NAME`` (PostgreSQL) it goes there and is kept, and a
later run reuses it (upgraded to the newest schema on open, not rebuilt) when it holds ``--docs`` reports.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, delete, func, insert, inspect, literal, literal_column, select, text, union
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from nianbao.web.app import create_app
from storage import Archive, PortalSpec, ReportRecord
from storage.archive.compliance import ComplianceIndex, compliance_index
from storage.archive.facets import facet_index
from storage.archive.levels import ORGAN_LEVELS, organ_level_condition
from storage.archive.query import Filters, Query, parse_terms
from storage.models import Attachment, Portal, Report, ReportStatistics, Sighting
from storage.session import dispose_engine

try:
    from storage.archive import termcache
    from storage.archive.termcache import term_cache
except ImportError:  # the worker of --against, serving a checkout from before the term cache
    termcache = term_cache = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "nianbao" / "demo" / "seeds").glob("*.txt"))
PROVINCES = [("辽宁省", "21"), ("吉林省", "22"), ("黑龙江省", "23"), ("江苏省", "32"), ("浙江省", "33"),
             ("福建省", "35"), ("山东省", "37"), ("河南省", "41"), ("湖北省", "42"), ("四川省", "51")]
SYLLABLES = "安宁平和兴隆丰泰华新长永定清河山城东西南北阳明光远昌盛德顺天福江海云松"
BATCH = 2000
QUERIES_PER_KIND = 20
PAGE_QUERIES = 10  # per kind, for whole pages (each page is timed best of 2)
BASELINE_QUERIES = 3  # per kind, the old count + facets, timed once (up to ~40 s each on PostgreSQL at 100,000)
FORMATS = ("pdf",) * 6 + ("docx", "doc", "ofd") + ("",) * 21  # ~30 % of reports have an attachment


def _place(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(2))


def portals(rng: random.Random) -> list[PortalSpec]:
    out = []
    for i in range(300):
        province, code = PROVINCES[i % len(PROVINCES)]
        county = _place(rng) + rng.choice("县区市")
        street = i % 3 == 2
        name = county + (_place(rng) + "街道" if street else "")
        out.append(PortalSpec(name=f"p{i:03d}", homepage=f"http://p{i:03d}.bench.test/", region=province + name,
                              region_code=f"{code}{i:04d}" + ("001" if street else ""),
                              level="street" if street else "county"))
    return out


def reports(n: int, specs: list[PortalSpec], rng: random.Random) -> Iterator[dict[str, Any]]:
    """Report rows (plus the portal index they are seen on), each text varied from the seeds."""
    paragraphs = [p for f in SEEDS for p in f.read_text(encoding="utf-8").splitlines() if p.strip()]
    now = dt.datetime.now(dt.UTC)
    for i in range(n):
        portal = rng.randrange(len(specs))
        place = specs[portal].region.removeprefix(next(p for p, _ in PROVINCES if specs[portal].region.startswith(p)))
        year = rng.randint(2008, 2024)
        body_parts = [f"{place}{year}年政府信息公开工作年度报告。本报告由{place}人民政府办公室编制。"]
        for p in rng.sample(paragraphs, 20):
            body_parts.append(re.sub(r"\d+", lambda m: str(rng.randint(0, 10 ** len(m.group(0)))), p))
        body = "\n".join(body_parts)
        yield {"content_sha256": hashlib.sha256(f"{i}:{body}".encode()).hexdigest(),
               "title": f"{place}{year}年政府信息公开工作年度报告", "organ": f"{place}人民政府办公室",
               "report_year": year, "report_year_source": "title", "body": body, "meta": {},
               "published": dt.date(year + 1, rng.randint(1, 3), rng.randint(1, 28)), "first_seen": now,
               "_portal": portal}


def build(url: str, n: int) -> tuple[Archive, float, int]:
    """Fill an empty archive; returns it, the seconds it took and the characters of text stored."""
    rng = random.Random(7)
    archive = Archive(url)
    specs = portals(rng)
    for spec in specs:
        archive.add_portal(spec)
    started, chars = time.perf_counter(), 0
    with archive.engine.begin() as conn:
        if archive.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size = -500000")  # 500 MB: FTS5 merges its segments in memory
        portal_ids = dict(conn.execute(select(Portal.name, Portal.id)).all())
        batch: list[dict[str, Any]] = []
        for row in reports(n, specs, rng):
            batch.append(row)
            if len(batch) == BATCH:
                chars += _insert(conn, batch, specs, portal_ids)
                batch = []
        if batch:
            chars += _insert(conn, batch, specs, portal_ids)
    with archive.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return archive, time.perf_counter() - started, chars


def _insert(conn: Any, batch: list[dict[str, Any]], specs: list[PortalSpec], portal_ids: dict[str, int]) -> int:
    portals_of = [row.pop("_portal") for row in batch]
    ids = conn.execute(insert(Report).returning(Report.id, sort_by_parameter_order=True), batch).scalars().all()
    now = batch[0]["first_seen"]
    conn.execute(insert(Sighting), [
        {"url": f"http://{specs[p].name}.bench.test/{rid}.html", "report_id": rid,
         "portal_id": portal_ids[specs[p].name], "http_status": 200, "first_seen": now, "last_seen": now}
        for rid, p in zip(ids, portals_of, strict=True)])
    rng = random.Random(ids[0])
    formats = [(rid, rng.choice(FORMATS)) for rid in ids]
    conn.execute(insert(Attachment), [
        {"report_id": rid, "url": f"http://bench.test/{rid}.{fmt}", "file_name": f"{rid}.{fmt}", "format": fmt,
         "size": 1, "sha256": f"{rid:064x}", "extractor": "bench", "status": "ok", "first_seen": now}
        for rid, fmt in formats if fmt])
    conn.execute(insert(ReportStatistics), [
        {"report_id": rid, "format": "2021", "statistics": {}, "findings": [], "received": rng.randint(0, 50),
         "findings_count": rng.choice((0, 0, 1)), "read_at": now} for rid in ids if rng.random() < 0.6])
    return sum(len(r["body"]) for r in batch)


def queries(length: int, rng: random.Random) -> list[str]:
    """Substrings of the seed texts without punctuation, digits or spaces (what people search for)."""
    text_ = "".join(f.read_text(encoding="utf-8") for f in SEEDS)
    out: set[str] = set()
    while len(out) < QUERIES_PER_KIND:
        start = rng.randrange(len(text_) - length)
        term = text_[start:start + length]
        if re.fullmatch(rf"[\u4e00-\u9fff]{{{length}}}", term):
            out.add(term)
    return sorted(out)


def timed(call: Callable[[], Any], repeat: int = 3) -> float:
    """Best of ``repeat`` runs, in milliseconds (the first also warms the cache)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def first_stored_again(archive: Archive, call: Callable[[], Any]) -> tuple[float, float, float]:
    """A page asked for the first time ever, its terms' lookup paid in full (the term cache emptied, in memory and
    its stored rows; the facet index and the databases' caches stay warm); then as the first page of a process that
    did not look the terms up (memory emptied: the row the first stored is read); and at once again, as the next
    page, a facet clicked or another reader asks for it (the lookup kept), in ms."""
    def forget(stored: bool) -> None:
        if term_cache is not None:
            term_cache(archive.engine).clear()
        if stored and inspect(archive.engine).has_table("kept_lookup"):
            with archive.engine.begin() as conn:
                conn.exec_driver_sql("DELETE FROM kept_lookup")

    forget(stored=True)
    first = timed(call, 1)
    forget(stored=False)
    return first, timed(call, 1), timed(call, 1)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def scan_baseline(archive: Archive, term: str) -> float:
    """The same search as a LIKE scan over every report, no index (0001 on PostgreSQL): the baseline.

    For a common term a scan in publish-date order stops after 20 matches, so only rare terms show the
    index's worth; both are printed."""
    like = Report.body.contains(term, autoescape=True) | Report.title.contains(term, autoescape=True)
    stmt = select(Report.id).where(like).order_by(Report.published.desc(), Report.id.desc()).limit(20)
    with archive.engine.connect() as conn:
        if archive.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_bitmapscan = off")  # keep the trigram index out of the baseline
            conn.exec_driver_sql("SET enable_indexscan = off")
        started = time.perf_counter()
        conn.execute(stmt).all()
        return (time.perf_counter() - started) * 1000


def old_count_and_facets(query: Query, q: str | None, filters: Filters) -> None:
    """The baseline: what a page ran before: a count, then one GROUP BY per facet (year, region, level), each
    evaluating the query's conditions again."""
    where = query.conditions(parse_terms(q), filters)
    seen_on = Report.__table__.join(Sighting, Sighting.report_id == Report.id).join(
        Portal, Portal.id == Sighting.portal_id)
    levels = union(select(Report.id.label("rid"), Portal.level.label("level")).select_from(seen_on)
                   .where(*where, Portal.level.is_not(None)),
                   *(select(Report.id, literal(level)).where(*where, organ_level_condition(level))
                     for level in ORGAN_LEVELS)).subquery()
    statements = [select(func.count()).select_from(Report).where(*where),
                  select(Report.report_year, func.count(Report.id).label("n")).where(*where)
                  .group_by(Report.report_year),
                  select(Portal.region, func.count(Report.id.distinct()).label("n")).select_from(seen_on)
                  .where(*where, Portal.region.is_not(None)).group_by(Portal.region),
                  select(levels.c.level, func.count(levels.c.rid.distinct()).label("n")).group_by(levels.c.level)]
    with query.engine.connect() as conn:
        for i, stmt in enumerate(statements):
            conn.execute(stmt if i == 0 else stmt.order_by(literal_column("n").desc()).limit(20)).all()


class OtherTree:
    """The same pages served by another checkout's code (``--against TREE``, e.g. main before a change): a worker
    process imports ``storage`` and ``nianbao`` from TREE and times each page asked of it, alternately with this
    checkout's, so that both see the same load on a shared machine."""

    def __init__(self, tree: Path, url: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(tree)}
        self.process = subprocess.Popen([sys.executable, __file__, "--serve-pages", url], env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.ask(None)  # builds its facet index once, like ours

    def ask(self, params: dict[str, str] | None) -> tuple[float, float, float]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(params) + "\n")
        self.process.stdin.flush()
        first, stored, again = self.process.stdout.readline().split()
        return float(first), float(stored), float(again)

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait()


def serve_pages(url: str) -> None:
    """The worker of ``OtherTree``: one JSON line of query parameters in, the page's times (first, stored, again)
    out."""
    archive = Archive(url)
    client = TestClient(create_app(archive))
    for line in sys.stdin:
        params = json.loads(line) or {}
        print(*first_stored_again(archive, lambda params=params: client.get("/", params=params)), flush=True)


def measure_pages(name: str, archive: Archive, against: tuple[OtherTree, OtherTree] | None = None) -> None:
    """Whole results pages over HTTP-in-process, their parts, and the old count + facets as the baseline; with
    ``against`` (this checkout's worker, the other's), every page in both workers, one right after the other (in this
    process instead, pages came out slower than the same code in a worker for some kinds: 24 vs 38 ms p50)."""
    rng = random.Random(13)
    query = Query(archive.engine)
    client = TestClient(create_app(archive))
    filters = Filters(year=2019, region="22")
    params = {"year": "2019", "region": "22"}
    kinds: list[tuple[str, list[str | None]]] = [("browse (no query)", [None] * 3)]
    kinds += [(f"{n}-character terms", queries(n, rng)[:PAGE_QUERIES]) for n in (2, 3, 6)]
    kinds.append(("3-char place names", [_place(rng) + rng.choice("县区市") for _ in range(PAGE_QUERIES)]))
    # what people type most, and what every report prints: long terms found in (nearly) every report
    kinds.append(("phrases in every report", ["政府信息公开", "信息公开工作", "依申请公开",
                                              "政府信息公开工作年度报告"]))
    client.get("/")  # builds the facet index once (timed separately below)

    def here(asked: dict[str, str]) -> tuple[float, float, float]:
        return (against[0].ask(asked) if against
                else first_stored_again(archive, lambda: client.get("/", params=asked)))

    print(f"\n{name}: whole results page GET / (search + total + 7 facets + template), ms; first: the terms' lookup "
          "paid in full (term cache emptied, stored rows too), stored: a process's first (the stored row read), "
          "again: the same page at once after (lookup kept)")
    print(f"{'query':<22}{'':<10}{'first p50':>10}{'p95':>8}{'stored p50':>11}{'p95':>8}{'again p50':>10}{'p95':>8}"
          f"{'search p95':>12}"
          f"{'count+facets p95':>18}{'old count+facets p95':>22}{'ratio':>10}"
          + (f"{'other tree first p50':>22}{'p95':>8}{'ratio':>8}{'load':>6}" if against else ""))
    print(f"(count+facets: first; old count+facets: the first {BASELINE_QUERIES} queries of each kind, timed once)")
    for label, terms in kinds:
        for filtered in (False, True):
            f, extra = (filters, params) if filtered else (Filters(), {})
            page, other = [], []
            for n, t in enumerate(terms):
                asked = {**({"q": t} if t else {}), **extra}
                if against and n % 2:  # every other query: the other tree first
                    other.append(against[1].ask(asked)[0])
                page.append(here(asked))
                if against and not n % 2:
                    other.append(against[1].ask(asked)[0])
            first, stored, again = [p[0] for p in page], [p[1] for p in page], [p[2] for p in page]
            search = [timed(lambda t=t, f=f: query.search(t, f, limit=20), 2) for t in terms]
            parts = [first_stored_again(archive, lambda t=t, f=f: query._total_and_facets(parse_terms(t), f, 20))[0]
                     for t in terms]
            old = [timed(lambda t=t, f=f: old_count_and_facets(query, t, f), 1) for t in terms[:BASELINE_QUERIES]]
            print(f"{label:<22}{'+filters' if filtered else '':<10}{pct(first, 50):>10.1f}{pct(first, 95):>8.1f}"
                  f"{pct(stored, 50):>11.1f}{pct(stored, 95):>8.1f}{pct(again, 50):>10.1f}{pct(again, 95):>8.1f}"
                  f"{pct(search, 95):>12.1f}{pct(parts, 95):>18.1f}"
                  f"{pct(old, 95):>22.1f}{pct(old, 95) / max(pct(parts, 95), 0.1):>9.1f}×" + (
                      f"{pct(other, 50):>22.1f}{pct(other, 95):>8.1f}{pct(other, 95) / pct(first, 95):>7.2f}×"
                      f"{os.getloadavg()[0]:>6.1f}" if against else ""))
    index = facet_index(archive.engine)
    with archive.engine.connect() as conn:
        check = timed(lambda: index.refresh(conn), 3)
        build = timed(lambda: index.refresh(conn, force=True), 1)
    print(f"facet index: rebuilt in {build:.0f} ms (paid by the first page after the archive changes); "
          f"change check {check:.1f} ms a page; {sum(len(g) for g in index.signatures):,} signatures")


def measure_other_pages(name: str, archive: Archive) -> None:
    """Every other page and JSON route a user reaches from the results page, over the same archive: report pages,
    feeds (whole archive, a query, a portal), portal pages, the compliance grid and its CSV, the organ index.
    Each path best of 2; p50 / p95 over the paths of its kind."""
    rng = random.Random(17)
    client = TestClient(create_app(archive))
    with archive.engine.connect() as conn:
        top = conn.scalar(select(func.max(Report.id))) or 1
        portal_names = list(conn.scalars(select(Portal.name).order_by(Portal.name)))
    reports = [rng.randint(1, top) for _ in range(PAGE_QUERIES)]
    names = rng.sample(portal_names, min(PAGE_QUERIES, len(portal_names)))
    common = queries(3, rng)[:PAGE_QUERIES // 2]
    kinds: list[tuple[str, list[str]]] = [
        ("/reports/ID", [f"/reports/{i}" for i in reports]),
        ("/api/reports/ID", [f"/api/reports/{i}" for i in reports]),
        ("/feed.atom", ["/feed.atom"] * 3),
        ("/feed.atom?q= (3 chars)", [f"/feed.atom?q={t}" for t in common]),
        ("/feed.atom?q=公开&filter", [f"/feed.atom?q=公开&{f}" for f in ("region=22", "portal=p007", "level=street",
                                                                        "year=2019")]),
        ("/portals/NAME", [f"/portals/{n}" for n in names]),
        ("/portals/NAME/feed.atom", [f"/portals/{n}/feed.atom" for n in names]),
        ("/compliance", ["/compliance"] * 3),
        ("/compliance?region=", [f"/compliance?region={p[0]}" for p in PROVINCES[:5]]),
        ("/compliance.csv", ["/compliance.csv"] * 3),
        ("/api/compliance", ["/api/compliance"] * 3),
        ("/organs", ["/organs"] * 3),
    ]
    client.get("/")  # the facet index, as on the results page
    print(f"\n{name}: other pages, ms; best of 2 per path, and first / stored / again for those with a query (as in "
          "the table of whole pages)")
    print(f"{'page':<30}{'p50':>15}{'p95':>15}{'paths':>7}")
    for label, paths in kinds:
        for path in paths:  # a wrong path would time an error page
            assert client.get(path).status_code == 200, path
        if "q=" in label:
            times = [first_stored_again(archive, lambda path=path: client.get(path)) for path in paths]
            row = "".join(f"{' / '.join(f'{pct([t[n] for t in times], q):.0f}' for n in range(3)):>15}"
                          for q in (50, 95))
        else:
            best = [timed(lambda path=path: client.get(path), 2) for path in paths]
            row = f"{pct(best, 50):>15.1f}{pct(best, 95):>15.1f}"
        print(f"{label:<30}{row}{len(paths):>7}")


def measure_after_change(name: str, archive: Archive) -> None:
    """After a write, the facet index and the compliance grid read the journal (migration 0017) and update the
    reports and portals it names. A write is a crawl's commit of 1 or 100 new reports on one portal (through
    ``Archive.record_many``); then they are deleted (the archive is left as it was). After the commit, each index's
    refresh is timed alone; after the deletion, the first results page and grid (refresh included), and after the
    same write and deletion again the first page with a year and a region (the sort order kept too). Baseline in
    the same rounds: the whole-archive builds every first page after a change paid before the journal
    (``refresh(force=True)`` and a new compliance index)."""
    client = TestClient(create_app(archive))
    client.get("/")
    client.get("/compliance")
    with archive.engine.connect() as conn:
        portal = conn.scalar(select(Portal.name).order_by(Portal.name).limit(1))
    facets_, grid = facet_index(archive.engine), compliance_index(archive.engine)
    filtered = {"year": "2019", "region": "22"}
    print(f"\n{name}: after a write, ms, p50 / p95 of 7 rounds: the indexes' refresh from the journal against a "
          "rebuild, and the first pages")
    print(f"{'write':<12}{'facets: journal':>17}{'rebuild':>15}{'grid: journal':>15}{'rebuild':>15}{'ratio':>7}"
          f"{'first /':>15}{'first /compliance':>19}{'first /?year&region':>21}")
    for size in (1, 100):
        times: dict[str, list[float]] = {k: [] for k in ("facets", "full", "grid", "full grid", "/", "/compliance",
                                                         "filtered")}
        for round_ in range(7):
            records = [ReportRecord(url=f"http://{portal}.bench.test/change/{round_}/{n}.html",
                                    content_sha256=hashlib.sha256(f"change {round_} {n}".encode()).hexdigest(),
                                    body=f"变更{round_}-{n}：依申请公开。", title=f"变更{n}", organ="变更县人民政府",
                                    report_year=2024, published=dt.date(2025, 3, 1), portal=portal)
                       for n in range(size)]
            archive.record_many(records)
            with archive.engine.connect() as conn, Session(archive.engine) as s:
                times["facets"].append(timed(lambda conn=conn: facets_.refresh(conn), 1))
                times["grid"].append(timed(lambda s=s: grid.organs(s), 1))
                times["full"].append(timed(lambda conn=conn: facets_.refresh(conn, force=True), 1))
                times["full grid"].append(timed(lambda s=s: ComplianceIndex(archive.engine).organs(s), 1))
            client.get("/")  # the sort's order, which the rebuild just timed dropped (no write since: not timed)
            _delete(archive, records)
            times["/"].append(timed(lambda: client.get("/"), 1))
            times["/compliance"].append(timed(lambda: client.get("/compliance"), 1))
            client.get("/", params=filtered)  # the sort's order, made again since the rebuild timed above
            archive.record_many(records)  # once more, for the first filtered page after a write
            _delete(archive, records)
            times["filtered"].append(timed(lambda: client.get("/", params=filtered), 1))
        t = {k: f"{pct(v, 50):.0f} / {pct(v, 95):.0f}" for k, v in times.items()}
        ratio = (pct(times["full"], 50) + pct(times["full grid"], 50)) / (pct(times["facets"], 50)
                                                                         + pct(times["grid"], 50))
        print(f"{f'{size} report(s)':<12}{t['facets']:>17}{t['full']:>15}{t['grid']:>15}{t['full grid']:>15}"
              f"{ratio:>6.0f}×{t['/']:>15}{t['/compliance']:>19}{t['filtered']:>21}")
    print(f"refreshes: facet index {dict(facets_.stats)}, compliance grid {dict(grid.stats)}")


def measure_kept_refresh(name: str, archive: Archive) -> None:
    """The end of a crawl brings the stored lookups (storage.archive.termcache) up to what it stored: the phrases and
    a few 6-character terms stored, then a crawl's commit of 100 or 2,000 new reports (as ``measure_after_change``),
    and the refresh timed, as is the first page of a phrase in a process that did not look it up, after it. Baseline
    in the same rounds: what the refresh costs when it looks every stored term up again (as after a TRUNCATE), what
    emptying the rows would leave to the next readers."""
    if term_cache is None or not inspect(archive.engine).has_table("kept_lookup"):
        return
    client = TestClient(create_app(archive))
    query = Query(archive.engine)
    terms = ["政府信息公开", "信息公开工作", "依申请公开", "政府信息公开工作年度报告"]
    terms += queries(6, random.Random(13))[:4]
    with archive.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM kept_lookup")
        portal = conn.scalar(select(Portal.name).order_by(Portal.name).limit(1))
    for term in terms:
        client.get("/", params={"q": term})
    print(f"\n{name}: a crawl's end, ms, p50 / p95 of 3 rounds: {len(terms)} stored lookups brought up to the "
          "new reports, against looking each up again; then a process's first page of a phrase")
    print(f"{'write':<14}{'refresh':>15}{'look up again':>17}{'ratio':>7}{'first /?q= after':>19}")
    for size in (100, 2000):
        times: dict[str, list[float]] = {"refresh": [], "again": [], "page": []}
        for round_ in range(3):
            records = [ReportRecord(url=f"http://{portal}.bench.test/kept/{round_}/{n}.html",
                                    content_sha256=hashlib.sha256(f"kept {round_} {n}".encode()).hexdigest(),
                                    body=f"本县{round_}-{n}政府信息公开工作年度报告：依申请公开。", title=f"年报{n}",
                                    organ="变更县人民政府", report_year=2024, published=dt.date(2025, 3, 1),
                                    portal=portal) for n in range(size)]
            archive.record_many(records)
            times["refresh"].append(timed(query.refresh_kept, 1))
            term_cache(archive.engine).clear()
            times["page"].append(timed(lambda: client.get("/", params={"q": "政府信息公开"}), 1))
            _delete(archive, records)
            with _forced_lookups():
                times["again"].append(timed(query.refresh_kept, 1))
        t = {k: f"{pct(v, 50):.0f} / {pct(v, 95):.0f}" for k, v in times.items()}
        print(f"{f'{size} reports':<14}{t['refresh']:>15}{t['again']:>17}"
              f"{pct(times['again'], 50) / pct(times['refresh'], 50):>6.1f}×{t['page']:>19}")


@contextlib.contextmanager
def _forced_lookups() -> Iterator[None]:
    """The refresh looks every stored term up again, whatever the journal names."""
    saved, termcache.REFRESH_RECHECK_AT_MOST = termcache.REFRESH_RECHECK_AT_MOST, -1
    try:
        yield
    finally:
        termcache.REFRESH_RECHECK_AT_MOST = saved


def _delete(archive: Archive, records: list[ReportRecord]) -> None:
    with archive.engine.begin() as conn:
        conn.execute(delete(Report).where(Report.content_sha256.in_([r.content_sha256 for r in records])))


def measure_portal_filters(name: str, archive: Archive) -> None:
    """Whole results pages with one filter alone and a common term: a region, a portal or a level (filters on the
    portals a report was seen on), against a report year (a filter on the report itself). 5 terms per length."""
    rng = random.Random(13)
    client = TestClient(create_app(archive))
    client.get("/")
    terms = {n: queries(n, rng)[:PAGE_QUERIES // 2] for n in (2, 3, 6)}
    print(f"\n{name}: whole results page GET / with one filter and a common term, ms, first / stored / again (as "
          "in the table of whole pages)")
    print(f"{'filter':<16}" + "".join(f"{f'{n}-char p50':>16}{'p95':>16}" for n in terms))
    for label, params in (("region=22", {"region": "22"}), ("portal=p007", {"portal": "p007"}),
                          ("level=street", {"level": "street"}), ("year=2019", {"year": "2019"})):
        row = f"{label:<16}"
        for ts in terms.values():
            times = [first_stored_again(archive, lambda t=t, p=params: client.get("/", params={"q": t, **p}))
                     for t in ts]
            for q in (50, 95):
                row += f"{' / '.join(f'{pct([t[n] for t in times], q):.0f}' for n in range(3)):>16}"
        print(row)


def measure(name: str, archive: Archive) -> None:
    rng = random.Random(11)
    query = Query(archive.engine)
    filters = Filters(year=2019, region="22")  # one report year in one province (~0.6 % of reports)
    print(f"\n{name}: search latency, ms (limit 20, newest first; {QUERIES_PER_KIND} queries each, best of 3)")
    print(f"{'query':<22}{'p50':>9}{'p95':>9}{'p50 + filters':>16}{'p95 + filters':>16}{'hits (median)':>15}")
    for length in (2, 3, 6):
        terms = queries(length, rng)
        plain = [timed(lambda t=t: query.search(t, limit=20)) for t in terms]
        filtered = [timed(lambda t=t: query.search(t, filters, limit=20)) for t in terms]
        hits = statistics.median(query.count(t) for t in terms[:5])
        print(f"{length}-character terms{'':<5}{pct(plain, 50):>9.1f}{pct(plain, 95):>9.1f}"
              f"{pct(filtered, 50):>16.1f}{pct(filtered, 95):>16.1f}{hits:>15.0f}")
    rare = [_place(rng) + rng.choice("县区市") for _ in range(QUERIES_PER_KIND)]  # place names: a few reports each
    plain = [timed(lambda t=t: query.search(t, limit=20)) for t in rare]
    filtered = [timed(lambda t=t: query.search(t, filters, limit=20)) for t in rare]
    hits = statistics.median(query.count(t) for t in rare[:5])
    print(f"{'3-char place names':<22}{pct(plain, 50):>9.1f}{pct(plain, 95):>9.1f}"
          f"{pct(filtered, 50):>16.1f}{pct(filtered, 95):>16.1f}{hits:>15.0f}")
    for label, terms in (("common", queries(3, random.Random(5))[:3]), ("rare", rare[:3])):
        base = statistics.median(scan_baseline(archive, t) for t in terms)
        ours = statistics.median(timed(lambda t=t: query.search(t, limit=20), repeat=1) for t in terms)
        print(f"baseline, {label} 3-character terms: LIKE scan without index {base:.1f} ms, "
              f"nianbao {ours:.1f} ms → ×{base / ours:.1f}")
    started, n, size = time.perf_counter(), 0, 0
    for row in archive.export(year=2019):
        n, size = n + 1, size + len(row["body"])
    elapsed = time.perf_counter() - started
    print(f"export (report year 2019, with texts): {n} reports in {elapsed:.2f} s → {n / elapsed:,.0f} reports/s, "
          f"{size / elapsed / 1e6:.1f} M characters/s")


def _pg_database(admin_url: str, name: str | None = None) -> str | None:
    """A new database (``name``, or a random one), or the existing ``name`` as it is."""
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if name is None or not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                name = name or f"nianbao_bench_{uuid.uuid4().hex[:8]}"
                conn.execute(text(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                                  "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))
        admin.dispose()
    except Exception as exc:  # no server: say so and measure SQLite only
        print(f"PostgreSQL skipped: {exc.__class__.__name__}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return None
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


PARTS: dict[str, Callable[[str, Archive], None]] = {
    "filters": measure_portal_filters, "other": measure_other_pages, "after": measure_after_change,
    "refresh": measure_kept_refresh}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pages-only", action="store_true", help="Time whole pages only, not search and export.")
    parser.add_argument("--archive", type=Path, help="SQLite: keep the built archive in this file, or reuse it.")
    parser.add_argument("--pg", default=os.environ.get("NIANBAO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--against", type=Path, help="Also time every page with the code of this checkout (e.g. "
                                                     "main's), alternately with this one's; ratio > 1: faster here.")
    parser.add_argument("--serve-pages", metavar="URL", help=argparse.SUPPRESS)  # OtherTree's worker
    parser.add_argument("--parts", default=",".join(["pages", *PARTS]),
                        help="The page measurements to make, comma-separated (default: all).")
    parser.add_argument("--pg-database", help="Build PostgreSQL's archive into this database and keep it; reuse it "
                                              "when it already holds --docs reports.")
    args = parser.parse_args()
    if args.serve_pages:
        return serve_pages(args.serve_pages)
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            path = args.archive or Path(tmp) / "bench.db"
            url = f"sqlite:///{path}" if backend == "sqlite" else _pg_database(args.pg, args.pg_database)
            if url is None:
                continue
            try:
                started = time.perf_counter()
                archive = Archive(url)  # upgrades an archive built by an older schema
                with archive.engine.connect() as conn:
                    held = conn.scalar(select(func.count()).select_from(Report))
                if held and held != args.docs:
                    sys.exit(f"{make_url(url).database} holds {held:,} reports, not {args.docs:,}: drop it first")
                if held:
                    print(f"\n{backend}: reusing the {held:,} reports of {make_url(url).database}, opened and "
                          f"upgraded in {time.perf_counter() - started:.1f} s")
                else:
                    archive, seconds, chars = build(url, args.docs)
                    print(f"\n{backend}: {args.docs:,} reports, {chars / 1e6:.0f} M characters "
                          f"(mean {chars / args.docs:,.0f}) stored and indexed in {seconds:.0f} s")
                against = (OtherTree(ROOT, url), OtherTree(args.against, url)) if args.against else None
                try:
                    for part in args.parts.split(","):
                        if part == "pages":
                            measure_pages(backend, archive, against)
                        else:
                            PARTS[part](backend, archive)
                finally:
                    for worker in against or ():
                        worker.close()
                if not args.pages_only:
                    measure(backend, archive)
            finally:
                dispose_engine(url)
                if backend != "sqlite" and not args.pg_database:
                    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
                    with admin.connect() as conn:
                        conn.execute(text(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)"))
                    admin.dispose()


if __name__ == "__main__":
    main()
