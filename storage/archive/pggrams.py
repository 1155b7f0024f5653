"""PostgreSQL: query terms answered by the exact character-gram index of migration 0014 (``ix_report_grams``).

Every report's title and body, lower-cased, are indexed as their sets of character bigrams and trigrams; a term's
own grams (``nianbao_grams(lower(term))``) are looked up with array containment, which a GIN index answers
without reading any report. For a term of 2 or 3 characters that is the substring match itself: the reports
whose title or body holds its bigram(s) and, for 3 characters, its trigram are exactly those holding the term (as
``ILIKE`` would find it: both compare lower-cased texts). A longer term needs every one of its grams too, which
narrows the candidates to (nearly) the matches, and ``strpos`` then checks each candidate's text: the same test
as ``LIKE '%term%'`` (no wildcards to escape) at about twice the speed (220 vs 448 ms over 10,000 texts), and one
no other index offers to answer (with 0005's pg_trgm indexes still there, the planner took their candidates and
computed the grams of each: 10 s for 1,300 reports). Where the archive has migration 0015's pieces
(``report_chunk``), a term of up to 32 characters is checked in them: lower-cased, uncompressed, in the table's
own pages, instead of de-TOASTing and decompressing each whole text (see the migration). Where it has 0020's
index of every 4–6-character string (``ix_report_long_grams``), a term of that length is answered exactly by it,
as a 2–3-character term is by 0014's: no text is read. A 1-character term has no gram and stays a ``LIKE`` scan.

The planner must never evaluate ``nianbao_report_grams`` row by row (≈ 5 ms a report) instead of using the index:
the function is declared expensive (0014), and ``forbid_row_plans`` leaves bitmap scans only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Engine,
    Integer,
    Select,
    and_,
    case,
    column,
    exists,
    func,
    inspect,
    intersect,
    literal,
    or_,
    select,
    table,
    union,
)

from storage.archive.base import among
from storage.archive.rows import read_ids
from storage.archive.terms import has_case, term_forms
from storage.models import Report

MIN_CHARS = 2  # shorter terms have no gram
EXACT_MAX_CHARS = 3  # up to this length a term's grams match exactly the reports holding it
LONG_MAX_CHARS = 6  # ... and from EXACT_MAX_CHARS + 1 to this one, its long grams (0020)
CHUNK_MAX_CHARS = 32  # up to this length a term lies whole in one of 0015's pieces of a text
_CHUNKS = table("report_chunk", column("report_id"), column("text"))
TITLE_SAMPLE = 500  # the newest reports whose titles say whether a long term is looked up from the titles first
TITLE_SHARE = 0.5  # ... when at least this share of them hold it


def has_grams(engine: Engine) -> bool:
    """Whether this is PostgreSQL with the gram index (an archive upgraded to migration 0014)."""
    return _has_report_index(engine, "ix_report_grams")


def has_chunks(engine: Engine) -> bool:
    """Whether this PostgreSQL archive keeps its texts in pieces too (migration 0015)."""
    return engine.dialect.name == "postgresql" and inspect(engine).has_table("report_chunk")


def has_long_grams(engine: Engine) -> bool:
    """Whether this PostgreSQL archive has the index of every 4–6-character string (migration 0020)."""
    return _has_report_index(engine, "ix_report_long_grams")


def _has_report_index(engine: Engine, name: str) -> bool:
    return engine.dialect.name == "postgresql" and any(
        ix["name"] == name for ix in inspect(engine).get_indexes("report"))


def _report_grams(form: str, whole: bool = False) -> ColumnElement[bool]:
    """Reports whose 0014 grams hold ``form``'s; ``whole``: its gram of its whole length alone (0020's
    ``nianbao_whole_gram``), exact for 2–3 characters, where all of them narrow a longer form's candidates."""
    grams = func.nianbao_grams(func.lower(literal(form)))
    return func.nianbao_report_grams(Report.title, Report.body).op("@>")(
        func.nianbao_whole_gram(grams) if whole else grams)


def _exact(form: str, long: bool) -> ColumnElement[bool] | None:
    """The reports holding ``form``, from a gram index alone where one answers exactly: 0014's for 2–3 characters,
    with ``long`` (0020) its long grams for 4–LONG_MAX_CHARS; else None. With 0020 only the gram of the form's whole
    length is asked for (``nianbao_whole_gram``), not each of its shorter grams too, which the index would intersect:
    a common 3-character term 47 → 33 ms, 政府信息公开 57 → 41 ms at 100,000 reports."""
    if MIN_CHARS <= len(form) <= EXACT_MAX_CHARS:
        return _report_grams(form, whole=long)
    if long and len(form) <= LONG_MAX_CHARS:
        return func.nianbao_report_long_grams(Report.title, Report.body).op("@>")(
            func.nianbao_whole_gram(func.nianbao_long_grams(func.lower(literal(form)))))
    return None


def form_condition(form: str, like: ColumnElement[bool], chunks: bool = False, long: bool = False
                   ) -> ColumnElement[bool]:
    """Reports holding ``form`` in title or body; ``like`` is that same test as ``LIKE``/``ILIKE`` (the scan for a
    1-character form). Case is ignored where the form has any, as ``ILIKE`` does (query.Query._like). ``chunks``:
    the archive has 0015's lower-cased pieces, where a form of up to CHUNK_MAX_CHARS is checked; ``long``: 0020's
    long grams, which answer a form of up to LONG_MAX_CHARS."""
    if len(form) < MIN_CHARS:
        return like
    exact = _exact(form, long)
    if exact is not None:
        return exact
    grams = _report_grams(form)
    if chunks and len(form) <= CHUNK_MAX_CHARS:
        return and_(grams, _in_pieces(form))
    cased = has_case(form)
    return and_(grams, or_(*(func.strpos(func.lower(col) if cased else col, func.lower(literal(form)) if cased
                                         else literal(form)) > 0 for col in (Report.title, Report.body))))


def _form_ids(form: str, long: bool) -> Select[Any] | None:
    """The ids of the reports holding ``form``, from an index: a report gram index where one is exact (``_exact``),
    else the pieces holding its trigrams, checked with ``strpos`` (one piece read per match, not a whole text)."""
    if len(form) < MIN_CHARS or len(form) > CHUNK_MAX_CHARS:
        return None
    exact = _exact(form, long)
    if exact is not None:
        return select(Report.id).where(exact)
    term = func.lower(literal(form))
    return (select(_CHUNKS.c.report_id).distinct()
            .where(func.nianbao_trigrams(_CHUNKS.c.text).op("@>")(func.nianbao_trigrams(term)),
                   func.strpos(_CHUNKS.c.text, term) > 0))


def title_first_ids(conn: Connection, terms: Sequence[str], long: bool = False) -> list[int] | None:
    """The reports holding a long term that most titles hold, read from the titles first; None for any other
    query (several terms or forms, 2–3 characters, with ``long`` up to LONG_MAX_CHARS, or over CHUNK_MAX_CHARS, or
    fewer than ``TITLE_SHARE`` of the newest ``TITLE_SAMPLE`` titles holding it).

    Every report's title prints 政府信息公开工作年度报告, so no index narrows such a term: its lookup through the
    pieces checked 400,000 of them (0.65–0.9 s at 100,000 reports). Here one scan of the titles (short, in the
    table's own pages) splits the reports into those whose title holds it (``lower()``, as the pieces are, for a
    term with case; one without, such as any Chinese term, is found as it is, as ``LIKE`` finds it: ``lower()`` of
    100,000 titles cost 70–120 ms of the 116–161) and the rest, and only the rest's pieces are checked. The same
    answer, as a term lies whole in one piece and the title's pieces are its own."""
    forms = [form for term in terms for form in term_forms(term)]
    if len(forms) != 1 or not (LONG_MAX_CHARS if long else EXACT_MAX_CHARS) < len(forms[0]) <= CHUNK_MAX_CHARS:
        return None  # with ``long``, 政府信息公开's 100,000 ids come from the long grams in 53–60 ms
    no_jit(conn)
    term, cased = func.lower(literal(forms[0])), has_case(forms[0])

    def holds(title: ColumnElement[Any]) -> ColumnElement[bool]:
        return func.strpos(func.lower(title) if cased else title, term) > 0

    newest = select(Report.title).order_by(Report.id.desc()).limit(TITLE_SAMPLE).subquery()
    asked, held = conn.execute(select(func.count(), func.count().filter(holds(newest.c.title)))
                               .select_from(newest)).one()
    if not asked or held < asked * TITLE_SHARE:
        return None
    # both kinds in one statement (one snapshot), as plain integers: a title's holding is the id's sign
    signed = read_ids(conn, select(case((holds(Report.title), Report.id), else_=-Report.id)))
    rest = [-report_id for report_id in signed if report_id < 0]
    in_pieces = set(read_ids(conn, select(_CHUNKS.c.report_id).distinct().where(
        among("postgresql", _CHUNKS.c.report_id, rest, Integer), func.strpos(_CHUNKS.c.text, term) > 0))
                    ) if rest else set()
    return [report_id for report_id in signed if report_id > 0] + sorted(in_pieces)


def pieces_hold(terms: Sequence[str]) -> ColumnElement[bool]:
    """Reports whose pieces hold every term (any of its forms, each of 2–CHUNK_MAX_CHARS characters, so that it lies
    whole in one piece), tested report by report: for a few given reports. The gram index names every report of a
    common term first (政府信息公开: 131,200 entries, 47 ms, and each report's row read to test a year on it)."""
    return and_(*(or_(*(_in_pieces(form) for form in term_forms(term))) for term in terms))


def _in_pieces(form: str) -> ColumnElement[bool]:
    """A piece of the report's texts holds ``form`` (the pieces are lower-cased, as ``ILIKE`` compares)."""
    return exists().where(_CHUNKS.c.report_id == Report.id, func.strpos(_CHUNKS.c.text, func.lower(literal(form))) > 0)


def matching_ids(terms: Sequence[str], long: bool = False) -> Select[Any] | CompoundSelect | None:
    """The ids of the reports holding every term (any of its forms), without a filter; ``None`` when a form has
    1 or more than CHUNK_MAX_CHARS characters. With ``long`` (0020), a form of up to LONG_MAX_CHARS from its long
    grams alone. A longer term's matches come from its pieces' trigram index (0015) without looking up a row of
    ``report``: 62 ms for the 13,413 reports holding 信息公開事務 at 100,000 reports, against 120–160 ms checking
    each candidate's pieces and ~300 ms each candidate's whole text."""
    per_term: list[Select[Any] | CompoundSelect] = []
    for term in terms:
        lookups = [_form_ids(form, long) for form in term_forms(term)]
        if any(lookup is None for lookup in lookups):
            return None
        per_term.append(lookups[0] if len(lookups) == 1 else union(*lookups))  # type: ignore[arg-type]
    if not per_term:
        return None
    return per_term[0] if len(per_term) == 1 else intersect(*per_term)  # type: ignore[arg-type]


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
