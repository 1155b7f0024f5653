"""PostgreSQL: query terms answered by the exact character-gram index of migration 0014 (``ix_report_grams``).

Every report's title and body, lower-cased, are indexed as their sets of character bigrams and trigrams; a term's
own grams (``nianbao_grams(lower(term))``) are looked up with array containment, which a GIN index answers
without reading any report. For a term of 2 or 3 characters that is the substring match itself: the reports
whose title or body holds its bigram(s) and, for 3 characters, its trigram are exactly those holding the term (as
``ILIKE`` would find it: both compare lower-cased texts). A longer term needs every one of its grams too, which
narrows the candidates to (nearly) the matches, and ``strpos`` then checks each candidate's text: the same test
as ``LIKE '%term%'`` (no wildcards to escape) at about twice the speed (220 vs 448 ms over 10,000 texts), and one
no other index offers to answer (with 0005's pg_trgm indexes still there, the planner took their candidates and
computed the grams of each: 10 s for 1,300 reports). A 1-character term has no gram and stays a ``LIKE`` scan.

The planner must never evaluate ``nianbao_report_grams`` row by row (≈ 5 ms a report) instead of using the index:
the function is declared expensive (0014), and ``forbid_row_plans`` leaves bitmap scans only.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, Engine, and_, func, inspect, literal, or_

from storage.models import Report

MIN_CHARS = 2  # shorter terms have no gram
EXACT_MAX_CHARS = 3  # up to this length a term's grams match exactly the reports holding it


def has_grams(engine: Engine) -> bool:
    """Whether this is PostgreSQL with the gram index (an archive upgraded to migration 0014)."""
    return engine.dialect.name == "postgresql" and any(
        ix["name"] == "ix_report_grams" for ix in inspect(engine).get_indexes("report"))


def form_condition(form: str, like: ColumnElement[bool]) -> ColumnElement[bool]:
    """Reports holding ``form`` in title or body; ``like`` is that same test as ``LIKE``/``ILIKE`` (the scan for a
    1-character form). Case is ignored where the form has any, as ``ILIKE`` does (query.Query._like)."""
    if len(form) < MIN_CHARS:
        return like
    grams = func.nianbao_report_grams(Report.title, Report.body).op("@>")(
        func.nianbao_grams(func.lower(literal(form))))
    if len(form) <= EXACT_MAX_CHARS:
        return grams
    cased = form.lower() != form.upper()
    return and_(grams, or_(*(func.strpos(func.lower(col) if cased else col, func.lower(literal(form)) if cased
                                         else literal(form)) > 0 for col in (Report.title, Report.body))))


def forbid_row_plans(conn: Connection) -> None:
    """For this transaction: no sequential or plain index scans of ``report``, so the gram condition can only be
    an index condition (GIN has bitmap scans only), never a per-row filter; other conditions use bitmaps too. No
    JIT either (``no_jit``). And room to sort many matches in memory, as the search's ordered queries may (pages no
    longer sort: they read ids alone); 100,000 ids with their keys spilled to disk with the default 4 MB (240 ms)."""
    no_jit(conn)
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off; "
                         "SET LOCAL work_mem = '32MB'")


def no_jit(conn: Connection) -> None:
    """For this transaction: the function's cost makes big plans look worth compiling (≈ 0.4 s, for a 15 ms
    query)."""
    conn.exec_driver_sql("SET LOCAL jit = off")
