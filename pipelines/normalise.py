"""Stage 2: tidy the stored text and derive the form that is hashed.

The stored text keeps the page's own characters (full-width punctuation and all) so readers see
what was published. The hash form is NFKC-folded with every whitespace character removed:
Chinese needs no spaces, and line wrapping, indentation and half/full-width variants differ
between copies of the same report (HTML vs PDF, one portal vs another) without changing it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from pipelines.chrome import drop_chrome_lines

_WHITESPACE = re.compile(r"\s+")
_INLINE_SPACE = re.compile(r"[ \u3000\xa0]+")


def tidy(text: str) -> str:
    """Chrome lines dropped, each line stripped and its runs of spaces folded, no blank lines."""
    lines = (_INLINE_SPACE.sub(" ", line).strip() for line in drop_chrome_lines(text).splitlines())
    return "\n".join(line for line in lines if line)


def hash_form(text: str) -> str:
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


class NormalisePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        adapter["text"] = tidy(adapter["text"])
        adapter["hash_text"] = hash_form(adapter["text"])
        return item
