"""SQLite's FTS5 conditions for query terms: the trigram index (migration 0001) for forms of 3+ characters, the
bigram index (migration 0013, ``storage.bigrams``) for shorter ones.

A term matches in any of its forms (``storage.archive.terms``): each form goes to the index its length suits,
so a term whose forms differ in length (``㍻`` and its fold ``平成``) asks both. A short form with non-ASCII
cased letters asks for the token of each of its case forms, as ``LIKE`` is asked for each (``Query._like``):
the bigram index folds ASCII letters only, like ``LIKE``, so both find the same reports. FTS5's trigram index
folds every letter's case (ς finds σ): a term with forms of both kinds where a long one has such letters (``ςⅱ``,
whose fold is ``ςii``) is scanned as before, so that the index does not change which reports it finds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    TableClause,
    column,
    exists,
    intersect,
    literal_column,
    or_,
    select,
    table,
)

from storage.archive.terms import case_forms, has_case, term_forms
from storage.bigrams import token
from storage.models import Report

TRIGRAM_CHARS = 3  # the trigram tokenizer cannot match shorter forms
_TRIGRAMS = table("report_fts", column("rowid"))
_BIGRAMS = table("report_bigram", column("rowid"))


def _phrase(form: str) -> str:
    return '"' + form.replace('"', '""') + '"'


def _tokens(form: str) -> list[str]:
    """The bigram index's tokens of a form of one or two characters: one per case form (see the module doc)."""
    return [f'"{token(f)}"' for f in case_forms(form)]


def _other_case(form: str) -> bool:
    """Letters with case beyond ASCII, which FTS5 folds and ``LIKE`` does not."""
    return any(not c.isascii() and c.lower() != c.upper() for c in form)


def _rowids(index: TableClause, expression: str) -> Select[Any]:
    return select(index.c.rowid).where(literal_column(index.name).op("MATCH")(expression))


def _plan(terms: Sequence[str], bigrams: bool) -> tuple[list[list[Select[Any]]], list[str]]:
    """Per condition, the index lookups of which any may match (two for a term with forms of both lengths); and
    the terms left over for a scan (those with a form shorter than a trigram, without ``bigrams``)."""
    long_terms: list[str] = []  # FTS5 expressions, one per term: ANDed into one MATCH per index
    short_terms: list[str] = []
    either: list[list[Select[Any]]] = []
    scanned: list[str] = []
    for term in terms:
        forms = term_forms(term)
        longer = " OR ".join(_phrase(f) for f in forms if len(f) >= TRIGRAM_CHARS)
        shorter = " OR ".join(dict.fromkeys(t for f in forms if len(f) < TRIGRAM_CHARS for t in _tokens(f)))
        if shorter and (not bigrams or any(_other_case(f) for f in forms if len(f) >= TRIGRAM_CHARS)):
            scanned.append(term)
        elif longer and shorter:
            either.append([_rowids(_TRIGRAMS, longer), _rowids(_BIGRAMS, shorter)])
        else:
            (long_terms if longer else short_terms).append(f"({longer or shorter})")
    one_each = [[_rowids(index, " AND ".join(parts))]
                for index, parts in ((_TRIGRAMS, long_terms), (_BIGRAMS, short_terms)) if parts]
    return one_each + either, scanned


def fts_conditions(terms: Sequence[str], bigrams: bool, rows: bool = False
                   ) -> tuple[list[ColumnElement[bool]], list[str]]:
    """Conditions on ``report`` for the terms the indexes answer (every term, with ``bigrams``), and the terms
    left over for a scan. ``rows``, for a few given rows: a term without cased letters is left to the substring test
    of the rows' own texts, which finds what the indexes find (neither folds anything of such a term) at a fiftieth
    of the cost (2,000 rows, 4 phrases, 100,000 reports: 44 ms against 2.7 s); for the others each row asks the
    index about its own id. Otherwise ``IN`` the index's whole answer."""
    caseless = [t for t in terms if rows and not any(map(has_case, term_forms(t)))]
    plan, scanned = _plan([t for t in terms if t not in caseless], bigrams)
    return [or_(*(exists(lookup.where(lookup.selected_columns[0] == Report.id)) if rows else Report.id.in_(lookup)
                  for lookup in lookups)) for lookups in plan], scanned + caseless


def matching_ids(terms: Sequence[str], bigrams: bool) -> Select[Any] | CompoundSelect | None:
    """The ids of the reports that hold every term, read from the indexes alone (no row of ``report`` is looked
    up: FTS5 hands them over in id order); ``None`` when a term needs a scan or both indexes."""
    plan, scanned = _plan(terms, bigrams)
    if scanned or not plan or any(len(lookups) > 1 for lookups in plan):
        return None
    return plan[0][0] if len(plan) == 1 else intersect(*(lookups[0] for lookups in plan))
