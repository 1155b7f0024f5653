"""What the demo portals hold: the document/portal model and the deterministic content of each portal.

Every portal lives on a fake host under :data:`DEMO_DOMAIN` (reserved ``.test`` TLD) so stored URLs stay
stable while the proxy port changes between runs.  The content is fixed (no clock, no global RNG), so
tests and the benchmark can compare crawler output against :attr:`DemoDocument.body`.

Special cases a crawler must handle, all visible in the data:

* **two URLs, one document** — seed 000 (慧阳街道 2014) is one :class:`DemoDocument` with two ``paths``:
  ``/zwgk/zfxxgknb/201503/t20150318_<id>.html`` and the 街道年报 sub-column copy
  ``/zwgk/zfxxgknb/jdnb/201503/t20150318_<id2>.html`` (different docid, same page content).
* **repost** — the 吉林省政务服务和数字化建设管理局 2022 report is published on ``daan`` and ``changbai``
  as two documents with identical ``body`` and therefore the same ``content_key``.
* **faults** — :func:`broken_portals` serves failing columns and detail pages whose ``fault`` says how they
  break; :attr:`DemoDocument.expect_archived` tells tests which ones a crawler should still store.
"""

from __future__ import annotations

import datetime
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from nianbao.demo import bodies
from nianbao.demo.bodies import Block

DEMO_DOMAIN = "nianbao.test"

# DemoDocument.fault values (used only by broken_portals())
FAULT_MALFORMED = "malformed"  # unclosed tags and stray </div>s, still a readable report
FAULT_EMPTY = "empty"  # 200 with an empty body
FAULT_CHROME_ONLY = "chrome-only"  # navigation and footer, no article text
# DemoPortal.fault values
FAULT_COLUMN_500 = "column-500"
FAULT_COLUMN_404 = "column-404"
FAULT_GONE = "gone"  # deleted: a tiny 200 page meta-refreshing to its column (docs/reference/cms-patterns.md §10)
FAULT_CHALLENGE_412 = "challenge-412"  # portal behind 瑞数: every page answers 412 with a $_ts cookie script


@dataclass(frozen=True)
class DemoDocument:
    """One document as the portal publishes it, plus the clean text an extractor should recover."""

    doc_id: str
    paths: tuple[str, ...]
    title: str
    organ: str
    published: datetime.date
    report_year: int | None
    kind: str  # "report" | "related" | "other"
    body: str
    content_key: str
    seed: str | None = None
    blocks: tuple[Block, ...] = field(default=(), repr=False)  # structured body the renderers use
    # chrome lines rendered *inside* the body container (as collected); never part of ``body``
    leaked_head: tuple[str, ...] = ()
    leaked_tail: tuple[str, ...] = ()
    doc_number: str = "无"  # 文号, shown in the xxgk metadata table
    # FAULT_* injected by broken_portals(); ``body`` is then what the page *should* have held
    fault: str = ""

    @property
    def expect_archived(self) -> bool:
        """Whether a correct crawler stores this document (empty and chrome-only pages have no text)."""
        return self.fault not in (FAULT_EMPTY, FAULT_CHROME_ONLY, FAULT_GONE)

    def url_of(self, host: str) -> str:
        """Absolute URL of the first (canonical) path on ``host``."""
        return f"http://{host}{self.paths[0]}"


@dataclass(frozen=True)
class DemoPortal:
    """A simulated government portal; ``cms`` picks the renderer (trs / hanweb / xxgk)."""

    name: str
    display_name: str
    host: str
    cms: str
    region: str
    region_code: str
    level: str
    encoding: str
    column_paths: tuple[str, ...]
    documents: tuple[DemoDocument, ...]
    site_code: str = ""  # 网站标识码 / meta SiteIDCode
    fault: str = ""
    homepage_only: bool = False  # registered by its homepage alone: the crawler must discover the column

    @property
    def homepage(self) -> str:
        return f"http://{self.host}/"

    @property
    def column_urls(self) -> tuple[str, ...]:
        return tuple(f"http://{self.host}{path}" for path in self.column_paths)


# --------------------------------------------------------------------------- building blocks

@dataclass(frozen=True)
class _Entry:
    """A document before it gets ids and paths; ``make`` builds the body from a seeded RNG."""

    title: str
    organ: str
    published: datetime.date
    report_year: int | None
    kind: str
    make: Callable[[random.Random], tuple[Block, ...]]
    rng_key: str = ""  # shared key => identical body (repost); defaults to portal + title
    seed: str | None = None
    leaked: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    doc_number: str = "无"
    sub_column: bool = False  # TRS only: listed in the second column path
    also_sub_column: bool = False  # TRS only: listed in both columns (two URLs)
    fault: str = ""


def _d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def _report(title: str, organ: str, published: str, year: int, **kw: object) -> _Entry:
    """A generated report: narrative before 2019, six headings with tables from 2019 on."""
    gen = bodies.formatted_report if year >= 2019 else bodies.narrative_report
    short = organ.removesuffix("人民政府").removesuffix("办事处")
    return _Entry(title, organ, _d(published), year, "report", lambda rng: gen(rng, short, year), **kw)


def _seed(prefix: str, title: str | None, organ: str, published: str, year: int,
          leak: bool = False, **kw: object) -> _Entry:
    """A report whose body is a real seed text; ``leak`` keeps its collected chrome in the page."""
    seed = bodies.load_seed(prefix)
    leaked = (seed.chrome_head, seed.chrome_tail) if leak else ((), ())
    return _Entry(title or seed.title or "", organ, _d(published), year, "report",
                  lambda _rng: seed.paragraphs, seed=seed.name, leaked=leaked, **kw)


def _other(kind: str, title: str, organ: str, published: str,
           make: Callable[[random.Random], tuple[Block, ...]], **kw: object) -> _Entry:
    return _Entry(title, organ, _d(published), None, kind, make, **kw)


def _work_points(place: str, year: int, office: str, published: str) -> _Entry:
    """A county's yearly 政务公开工作要点: on the column, but not an annual report."""
    return _other("other", f"{place}{year}年政务公开工作要点", office, published,
                  lambda rng: bodies.work_points(rng, place, year))


def _infographic(place: str, year: int, office: str, published: str) -> _Entry:
    """An 图解 of a year's report: titled like the report, related to it, not one itself."""
    return _other("related", f"图解：{place}{year}年政府信息公开工作年度报告", office, published,
                  lambda rng: bodies.infographic(rng, place, year))


def _repost_jilin(published: str) -> _Entry:
    """The provincial report both Jilin county portals repost (same rng_key => same body)."""
    organ = "吉林省政务服务和数字化建设管理局"
    return _report(f"{organ}2022年政府信息公开工作年度报告", organ, published, 2022,
                   rng_key="repost:jl-zwfw-2022")


# --------------------------------------------------------------------------- the three base portals

def _daan() -> list[_Entry]:
    gov, office = "大安市人民政府", "大安市人民政府办公室"
    return [
        _seed("000", None, "大安市慧阳街道办事处", "2015-03-18", 2014, also_sub_column=True),
        _report("大安市2013年政府信息公开工作年度报告", gov, "2014-02-26", 2013),
        _report("大安市锦华街道2015年政务信息公开年度报告", "大安市锦华街道办事处", "2016-03-04", 2015),
        _report("大安市人民政府2016年度政府信息公开工作年度报告", gov, "2017-01-20", 2016),
        _report("2017年度安广镇政府信息公开工作报告", "大安市安广镇人民政府", "2018-02-09", 2017),
        _report("大安市临江街道办事处2018年政府信息公开年度报告", "大安市临江街道办事处", "2019-03-12", 2018,
                sub_column=True),
        _report("大安市2019年政府信息公开工作年度报告", gov, "2020-01-21", 2019),
        _report("大安市长虹街道办事处2020年度政府信息公开工作年度报告", "大安市长虹街道办事处",
                "2021-01-28", 2020),
        _report("大安市2021年政府信息公开工作年度报告", gov, "2022-01-25", 2021),
        _report("大安市2022年政府信息公开工作年度报告", gov, "2023-01-17", 2022),
        _report("两家子镇2022年政府信息公开工作年度报告", "大安市两家子镇人民政府", "2023-01-16", 2022),
        _repost_jilin("2023-02-03"),
        _report("大安市2023年度政府信息公开工作年度报告", gov, "2024-01-19", 2023),
        _report("大安市人民政府2024年政府信息公开工作年度报告", gov, "2025-01-22", 2024),
        _other("other", "关于2014年政府信息公开工作要点落实情况的函", office, "2014-12-05",
               lambda rng: bodies.letter(rng, "大安市", 2014)),
        _work_points("大安市", 2019, office, "2019-04-10"),
        _other("related", "关于做好2020年政府信息公开工作年度报告编制发布工作的通知", office, "2020-12-15",
               lambda rng: bodies.report_notice(rng, "大安市人民政府", 2020, "2021年1月20日"),
               doc_number="大政办发〔2020〕31号"),
        _infographic("大安市", 2022, office, "2023-01-18"),
    ]


def _xinfu() -> list[_Entry]:
    gov, office = "抚顺市新抚区人民政府", "新抚区人民政府办公室"
    return [
        _seed("001", None, "抚顺市新抚区站前街道办事处", "2018-03-23", 2017, leak=True),
        _report("新抚区2012年政府信息公开工作年度报告", gov, "2013-03-15", 2012),
        _report("新抚区东公园街道2014年政府信息公开年度报告", "新抚区东公园街道办事处", "2015-02-12", 2014),
        _report("新抚区2015年度政府信息公开工作年度报告", gov, "2016-03-10", 2015),
        _report("2016年度永安台街道政府信息公开工作报告", "新抚区永安台街道办事处", "2017-02-24", 2016),
        _report("新抚区人民政府2018年政府信息公开工作年度报告", gov, "2019-01-30", 2018),
        _report("新抚区2019年政府信息公开工作年度报告", gov, "2020-01-17", 2019),
        _report("新抚区榆林街道2021年政府信息公开工作年度报告", "新抚区榆林街道办事处", "2022-01-27", 2021),
        _report("新抚区2022年政府信息公开工作年度报告", gov, "2023-01-13", 2022),
        _report("新抚区2023年度政府信息公开工作年度报告", gov, "2024-01-18", 2023),
        _report("新抚区南阳街道2024年政府信息公开工作年度报告", "新抚区南阳街道办事处", "2025-02-11", 2024),
        _other("other", "关于报送2017年政府信息公开工作年度报告的函", office, "2018-01-05",
               lambda rng: bodies.letter(rng, "新抚区", 2017)),
        _work_points("新抚区", 2018, office, "2018-04-16"),
        _other("related", "关于做好2021年政府信息公开工作年度报告编制发布工作的通知", office, "2021-12-20",
               lambda rng: bodies.report_notice(rng, "新抚区人民政府", 2021, "2022年1月15日")),
        _infographic("新抚区", 2022, office, "2023-01-16"),
        _other("related", "《新抚区2023年政府信息公开工作年度报告》解读", office, "2024-01-19",
               lambda rng: bodies.interpretation(rng, "新抚区", 2023)),
    ]


def _changbai() -> list[_Entry]:
    gov, office = "长白朝鲜族自治县人民政府", "长白朝鲜族自治县人民政府办公室"
    return [
        _seed("002", "城关街道2008年政府信息公开工作年度报告", "长白朝鲜族自治县城关街道办事处",
              "2009-03-20", 2008, leak=True),
        _seed("004", None, "长白朝鲜族自治县宝泉山镇人民政府", "2012-03-17", 2011),
        _seed("003", None, "长白朝鲜族自治县长征街道办事处", "2014-02-20", 2013),
        _report("长白朝鲜族自治县2012年政府信息公开工作年度报告", gov, "2013-01-25", 2012),
        _report("长白镇2015年政府信息公开年度报告", "长白朝鲜族自治县长白镇人民政府", "2016-03-02", 2015),
        _report("长白朝鲜族自治县人民政府2017年度政府信息公开工作年度报告", gov, "2018-01-26", 2017),
        _report("长白朝鲜族自治县2020年政府信息公开工作年度报告", gov, "2021-01-29", 2020),
        _report("八道沟镇2021年度政府信息公开工作年度报告", "长白朝鲜族自治县八道沟镇人民政府",
                "2022-02-15", 2021),
        _repost_jilin("2023-02-06"),
        _report("长白朝鲜族自治县2023年政府信息公开工作年度报告", gov, "2024-01-22", 2023),
        _report("长白朝鲜族自治县2024年度政府信息公开工作年度报告", gov, "2025-01-24", 2024),
        _other("related", "关于上传2011年度政府信息公开工作报告的通知", office, "2012-01-10",
               lambda rng: bodies.report_notice(rng, gov, 2011, "2012年2月10日"),
               doc_number="长政办字〔2012〕6号"),
        _other("other", "关于2016年政府信息公开工作要点落实情况的函", office, "2016-11-22",
               lambda rng: bodies.letter(rng, "长白朝鲜族自治县", 2016)),
        _work_points("长白朝鲜族自治县", 2019, office, "2019-05-08"),
        _infographic("长白朝鲜族自治县", 2023, office, "2024-01-23"),
    ]


def _flaky() -> list[_Entry]:
    gov = "示范县人民政府"
    return [
        _report("示范县2021年政府信息公开工作年度报告", gov, "2022-01-20", 2021),
        _report("示范县2022年政府信息公开工作年度报告", gov, "2023-01-18", 2022),
        _report("示范县2023年政府信息公开工作年度报告", gov, "2024-01-17", 2023, fault=FAULT_MALFORMED),
        _report("示范县城东街道2023年政府信息公开工作年度报告", "示范县城东街道办事处", "2024-01-25", 2023,
                fault=FAULT_EMPTY),
        _report("示范县城西街道2023年政府信息公开工作年度报告", "示范县城西街道办事处", "2024-01-26", 2023,
                fault=FAULT_CHROME_ONLY),
    ]


# --------------------------------------------------------------------------- ids and paths per CMS

def _trs_path(column: str, day: datetime.date, doc_id: int) -> str:
    return f"{column}{day:%Y%m}/t{day:%Y%m%d}_{doc_id}.html"


def _assign_paths(cms: str, columns: tuple[str, ...], entries: list[_Entry]) -> list[tuple[str, tuple[str, ...]]]:
    """(doc_id, paths) per entry, ids growing with the publish date like a real CMS sequence."""
    order = sorted(range(len(entries)), key=lambda i: (entries[i].published, i))
    out: list[tuple[str, tuple[str, ...]]] = [("", ())] * len(entries)
    for rank, index in enumerate(order):
        entry, day = entries[index], entries[index].published
        if cms in ("trs", "trs_api"):
            doc_id = 1001 + rank * 37
            paths = [_trs_path(columns[1] if entry.sub_column else columns[0], day, doc_id)]
            if entry.also_sub_column:
                paths.append(_trs_path(columns[1], day, doc_id + 100))
        elif cms == "hanweb":
            doc_id = 100017 + rank * 214
            paths = [f"/art/{day.year}/{day.month}/{day.day}/art_4512_{doc_id}.html"]
        else:
            doc_id = 3107 + rank * 53
            paths = [f"{columns[0].rsplit('/', 1)[0]}/content_{doc_id}.html"]
        out[index] = (str(doc_id), tuple(paths))
    return out


def _build(name: str, display: str, cms: str, region: str, code: str, level: str, encoding: str,
           columns: tuple[str, ...], entries: list[_Entry], site_code: str, fault: str = "",
           homepage_only: bool = False) -> DemoPortal:
    documents = []
    for entry, (doc_id, paths) in zip(entries, _assign_paths(cms, columns, entries), strict=True):
        rng = random.Random(entry.rng_key or f"{name}:{entry.title}")
        blocks = entry.make(rng)
        body = bodies.body_text(blocks)
        documents.append(DemoDocument(
            doc_id=doc_id, paths=paths, title=entry.title, organ=entry.organ, published=entry.published,
            report_year=entry.report_year, kind=entry.kind, body=body,
            content_key=hashlib.sha1(body.encode("utf-8")).hexdigest()[:16], seed=entry.seed,
            blocks=blocks, leaked_head=entry.leaked[0], leaked_tail=entry.leaked[1],
            doc_number=entry.doc_number, fault=entry.fault,
        ))
    return DemoPortal(name=name, display_name=display, host=f"www.{name}.{DEMO_DOMAIN}", cms=cms,
                      region=region, region_code=code, level=level, encoding=encoding,
                      column_paths=columns, documents=tuple(documents), site_code=site_code, fault=fault,
                      homepage_only=homepage_only)


def _base_portals() -> list[DemoPortal]:
    return [
        _build("daan", "大安市人民政府", "trs", "吉林省白城市大安市", "220882", "county", "utf-8",
               ("/zwgk/zfxxgknb/", "/zwgk/zfxxgknb/jdnb/"), _daan(), "2208820001"),
        _build("xinfu", "抚顺市新抚区人民政府", "hanweb", "辽宁省抚顺市新抚区", "210402", "county", "utf-8",
               ("/col/col4512/index.html",), _xinfu(), "2104020005"),
        _build("changbai", "长白朝鲜族自治县人民政府", "xxgk", "吉林省白山市长白朝鲜族自治县", "220623",
               "county", "gbk", ("/xxgk/zfxxgknb/index.html",), _changbai(), "2206230001"),
    ]


_BASE: list[DemoPortal] = []


def demo_portals(copies: int = 1) -> list[DemoPortal]:
    """The demo portals; ``copies`` > 1 appends clones ``<name>-2`` … on hosts ``www.<name>-2.nianbao.test``.

    Clones keep the documents (same ids, paths, bodies and content_keys): they exist to give the
    throughput benchmark many hosts, not new content.  The base set is built once and cached.
    """
    if not _BASE:
        _BASE.extend(_base_portals())
    portals = list(_BASE)
    for copy in range(2, copies + 1):
        for base in _BASE:
            name = f"{base.name}-{copy}"
            portals.append(replace(base, name=name, host=f"www.{name}.{DEMO_DOMAIN}"))
    return portals


def broken_portals() -> list[DemoPortal]:
    """Fault-injection portals (TRS templates), kept out of :func:`demo_portals`.

    ``broken-500`` / ``broken-404`` answer their column with HTTP 500 / 404 and list nothing;
    ``flaky`` lists two normal reports plus one malformed, one empty and one chrome-only detail page.
    """
    column = ("/zwgk/zfxxgknb/",)
    common = ("trs", "示范省示范市示范县", "999999", "county", "utf-8", column)
    return [
        _build("broken-500", "示范县人民政府", *common, [], "9999990001", FAULT_COLUMN_500),
        _build("broken-404", "示范县人民政府", *common, [], "9999990002", FAULT_COLUMN_404),
        _build("flaky", "示范县人民政府", *common, _flaky(), "9999990003"),
    ]


def _taonan() -> list[_Entry]:
    gov, office = "洮南市人民政府", "洮南市人民政府办公室"
    return [
        _report("洮南市2016年政府信息公开工作年度报告", gov, "2017-02-10", 2016),
        _report("洮南市2017年度政府信息公开工作年度报告", gov, "2018-01-30", 2017),
        _report("洮南市团结街道2018年政府信息公开工作年度报告", "洮南市团结街道办事处", "2019-02-20", 2018),
        _report("洮南市2019年政府信息公开工作年度报告", gov, "2020-01-22", 2019),
        _report("洮南市2020年政府信息公开工作年度报告", gov, "2021-01-26", 2020),
        _report("洮南市瓦房镇2021年政府信息公开工作年度报告", "洮南市瓦房镇人民政府", "2022-02-14", 2021),
        _report("洮南市2022年度政府信息公开工作年度报告", gov, "2023-01-19", 2022),
        _report("洮南市2023年政府信息公开工作年度报告", gov, "2024-01-23", 2023),
        _report("洮南市2024年政府信息公开工作年度报告", gov, "2025-01-21", 2024),
        _report("洮南市光明街道2021年政府信息公开工作年度报告", "洮南市光明街道办事处", "2022-01-28", 2021,
                fault=FAULT_GONE),
        _work_points("洮南市", 2020, office, "2020-04-08"),
        _infographic("洮南市", 2023, office, "2024-01-24"),
    ]


def _tongyu() -> list[_Entry]:
    gov = "通榆县人民政府"
    return [_report(f"通榆县{year}年政府信息公开工作年度报告", gov, f"{year + 1}-01-20", year) for year in (2022, 2023)]


def extra_portals() -> list[DemoPortal]:
    """Portals for discovery and hostile-site handling, kept out of :func:`demo_portals`; served by ``nianbao demo``.

    ``taonan`` is registered by its homepage alone (the crawler must discover its 年报 column), lists
    through a TRS search API (first page static, then ``POST /fjdzapp/search``) and has one deleted
    report whose page meta-refreshes to the column; ``tongyu`` sits behind a 瑞数-style challenge that
    answers 412 to every plain request, so nothing of it can be archived.
    """
    return [
        _build("taonan", "洮南市人民政府", "trs_api", "吉林省白城市洮南市", "220881", "county", "utf-8",
               ("/zwgk/zfxxgk/zfxxgknb/",), _taonan(), "2208810001", homepage_only=True),
        _build("tongyu", "通榆县人民政府", "trs", "吉林省白城市通榆县", "220822", "county", "utf-8",
               ("/zwgk/zfxxgknb/",), _tongyu(), "2208220001", FAULT_CHALLENGE_412),
    ]
