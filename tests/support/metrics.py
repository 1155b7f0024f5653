"""Text-similarity metrics shared by the extraction tests and benchmarks."""

from __future__ import annotations

import re
from collections import Counter

_WS = re.compile(r"\s+")


def char_ngrams(text: str, n: int = 4) -> Counter[str]:
    """Multiset of character n-grams after removing all whitespace (tabs and newlines too).

    Whitespace is dropped so that layout differences (line breaks, table tabs, gold texts that
    flatten tables into digit runs) do not count as extraction errors.
    """
    s = _WS.sub("", text)
    return Counter(s[i : i + n] for i in range(max(len(s) - n + 1, 0)))


def ngram_f1(predicted: str, gold: str, n: int = 4) -> float:
    """Character n-gram F1 between two texts (1.0 when both are empty)."""
    p, g = char_ngrams(predicted, n), char_ngrams(gold, n)
    if not p and not g:
        return 1.0
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return 2 * precision * recall / (precision + recall)
