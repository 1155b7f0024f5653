"""The extraction corpus: saved real pages, built CMS-pattern pages and the demo portals' pages, each with gold.

Only real pages have *independent* golds (a third party's text, or a third-party rendering corrected by hand:
``extraction_corpus/realpages/PROVENANCE.md``); they measure quality (``tests/pipelines/test_extraction_quality.py``).
Built and demo pages were written together with their golds: they are regression snapshots
(``tests/pipelines/test_extraction_snapshots.py``). ``benchmarks/extraction.py`` reports the two groups apart.
File pages are listed in ``extraction_corpus/manifest.json``; demo pages are rendered in-process by
:meth:`nianbao.demo.DemoServer.respond` (no socket), their gold being :attr:`DemoDocument.body`.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from nianbao.demo import FAULT_CHROME_ONLY, FAULT_EMPTY, DemoServer, broken_portals, demo_portals
from tests.support import CORPUS

CORPUS = CORPUS
INDEPENDENT_PREFIXES = ("realpages/", "realshort/")


@dataclass(frozen=True)
class CorpusPage:
    """One page: raw bytes as served, its HTTP charset (if any), hand-checked gold body and expectations."""

    name: str
    raw: bytes
    charset: str | None
    gold: str
    url: str | None
    container: str | None
    title: str | None
    published: datetime.date | None
    gov: bool  # False for content-farm copies (not government pages: excluded from the gov mean)
    contains: str | None = None

    @property
    def independent(self) -> bool:
        """Gold not derived from our own output (see the module docstring)."""
        return self.name.startswith(INDEPENDENT_PREFIXES)


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def file_pages() -> list[CorpusPage]:
    """Pages saved under ``extraction_corpus/`` with a ``<name>.gold.txt`` next to them."""
    pages = []
    for entry in json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8")):
        base = CORPUS / entry["page"]
        gold = base.with_name(base.name + ".gold.txt").read_text(encoding="utf-8")
        if "gold_after" in entry:  # archive golds start with a metadata header
            gold = gold.split(entry["gold_after"], 1)[1]
        pages.append(
            CorpusPage(
                name=entry["page"],
                raw=base.with_name(base.name + ".html").read_bytes(),
                charset=None,
                gold=gold.strip(),
                url=entry.get("url"),
                container=entry["container"],
                title=entry["title"],
                published=_date(entry["published"]),
                gov=entry["gov"],
                contains=entry.get("contains"),
            )
        )
    return pages


def demo_pages() -> list[CorpusPage]:
    """Every demo-portal document with text (the malformed-markup one included), as the server sends it."""
    server = DemoServer([*demo_portals(), *broken_portals()])
    pages = []
    for portal in server.portals.values():
        for doc in portal.documents:
            if doc.fault in (FAULT_EMPTY, FAULT_CHROME_ONLY):
                continue  # no body to find: covered by the bad-input tests
            response = server.respond(portal.host, doc.paths[0])
            _, _, charset = response.content_type.partition("charset=")
            pages.append(
                CorpusPage(
                    name=f"demo/{portal.name}/{doc.doc_id}",
                    raw=response.body,
                    charset=charset or None,
                    gold=doc.body,
                    url=doc.url_of(portal.host),
                    container=None,
                    title=doc.title,
                    published=doc.published,
                    gov=True,
                )
            )
    return pages


def corpus() -> list[CorpusPage]:
    """File pages first, then demo pages, in a stable order."""
    return [*file_pages(), *demo_pages()]
