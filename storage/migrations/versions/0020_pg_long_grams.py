"""PostgreSQL: an exact index of every 4-, 5- and 6-character string of the texts, so that a term of that length
is answered without reading any text.

A term of 4+ characters was narrowed by its trigrams (0014, 0015) and then checked in each candidate piece: for a
phrase many reports print that is one piece, and so one heap block, per report (依申请公开: 24,854 blocks at
100,000 reports, 113–141 ms with every block in ``shared_buffers``, 211–226 ms from the OS cache), whatever index
names the candidates, since only the text proves a match. ``nianbao_long_grams(doc)`` is every substring of 4, 5
and 6 characters of ``doc``, each packed exactly into 16 bytes (six code points of 21 bits, as 0014 packs three
into a ``bigint``; missing ones 0): no hash, so no collision. ``ix_report_long_grams`` is a GIN index of the
lower-cased title's and body's. A term of 4–6 characters is then held exactly by the reports whose grams contain
its own (``@>`` on a GIN index needs no recheck, as in 0014): the index alone answers, and its bitmap visits
``report``'s rows, many to a block, not the texts (storage.archive.pggrams; 依申请公开 16 ms).

``nianbao_whole_gram(grams)`` is the last of a term's grams, which both functions list after the shorter ones: the
gram of its whole length. Asking for it alone rather than for all of them (six for 6 characters), for 0014's
2–3-character terms as for these, spares the index intersecting the shorter grams' long lists: 10 instead of 24 ms
for 政府信息公开's 100,000 reports, 7 instead of 21 for a common 3-character term.

Cost: computing a text's long grams takes about 3 µs a character (``uuid`` keys took 4, one array of all three
lengths 5), and with GIN inserting about three keys a character a write of a 2,300-character report takes about
13 ms more; the index is 1.57 GB at 100,000 reports (docs/benchmarks.md). Like 0014's, the functions are the
index's on-disk format, and these objects are PostgreSQL's own, not in the models.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_OBJECTS = """
CREATE FUNCTION nianbao_long_grams(doc text) RETURNS bytea[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  c bigint[] := ARRAY(SELECT ascii(ch) FROM unnest(string_to_array(doc, NULL)) AS ch);
  head bytea[] := ARRAY(SELECT int8send((a << 42) | (b << 21) | x) FROM unnest(c, c[2:], c[3:]) AS u(a, b, x)
                        WHERE x IS NOT NULL);
BEGIN
  RETURN ARRAY(SELECT h || int8send(d << 42) FROM unnest(head, c[4:]) AS u(h, d) WHERE d IS NOT NULL)
      || ARRAY(SELECT h || int8send((d << 42) | (e << 21)) FROM unnest(head, c[4:], c[5:]) AS u(h, d, e)
               WHERE e IS NOT NULL)
      || ARRAY(SELECT h || int8send((d << 42) | (e << 21) | f) FROM unnest(head, c[4:], c[5:], c[6:]) AS u(h, d, e, f)
               WHERE f IS NOT NULL);
END $$;
CREATE FUNCTION nianbao_whole_gram(grams anyarray) RETURNS anyarray LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT grams[cardinality(grams):]
$$;
CREATE FUNCTION nianbao_report_long_grams(title text, body text) RETURNS bytea[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 1000 SET search_path FROM CURRENT AS $$
  SELECT coalesce(nianbao_long_grams(lower(title)), '{}') || coalesce(nianbao_long_grams(lower(body)), '{}')
$$;
CREATE INDEX ix_report_long_grams ON report USING gin (nianbao_report_long_grams(title, body));
ALTER INDEX ix_report_long_grams ALTER COLUMN 1 SET STATISTICS 0;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_OBJECTS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_report_long_grams; "
                   "DROP FUNCTION nianbao_report_long_grams(text, text), nianbao_whole_gram(anyarray), "
                   "nianbao_long_grams(text)")
