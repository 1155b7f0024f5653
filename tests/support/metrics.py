"""Text-similarity metrics shared by the extraction tests and benchmarks.

Character n-gram F1 after removing all whitespace, so that layout differences (line breaks, table
tabs, gold texts that flatten tables into digit runs) do not count as extraction errors.  The one
implementation lives with the document readers, which use it to check their own layout.
"""

from __future__ import annotations

from pipelines.text.documents.layout import char_ngrams, ngram_f1

__all__ = ["char_ngrams", "ngram_f1"]
