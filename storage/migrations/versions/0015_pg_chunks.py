"""PostgreSQL: every report's title and body kept a second time, lower-cased, in short uncompressed pieces, so
that a long term's candidates are checked without decompressing whole texts.

The gram index (0014) narrows a term of 4+ characters to its candidates, but only the text proves a match, and a
report's body is stored compressed (pglz, TOAST): checking the 13,413 candidates of a common 6-character term at
100,000 reports cost ~200 ms of the page's 264 (14.6 µs a text; the same check on an uncompressed copy 6 µs).
``report_chunk`` holds the texts as pieces of 631 characters, one starting every 600: a term of up to
``OVERLAP + 1`` = 32 characters lies whole in at least one piece, so ``strpos`` over a candidate's pieces finds
exactly what it finds in the whole text. A piece is at most 631 × 4 bytes, under PostgreSQL's 2 kB TOAST
threshold for CJK text (3 bytes a character), and the column is ``STORAGE PLAIN``: pieces sit in the table's own
pages, never compressed. Longer terms still check the whole text (storage.archive.pggrams).

A row trigger keeps the pieces in step with every insert and every change of ``report.title``/``body``, whatever
writes them (the archive, a migration, a hand-made UPDATE); deleting a report deletes its pieces (foreign key).
Cost: one more copy of the texts, uncompressed (about 3 bytes a character of Chinese), and ~0.2 ms a write.
Like 0014's objects, this table is PostgreSQL's own and not in the models.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

STRIDE = 600  # a piece starts every STRIDE characters ...
OVERLAP = 31  # ... and runs OVERLAP characters into the next: terms of up to OVERLAP + 1 characters fit one piece

_OBJECTS = f"""
CREATE TABLE report_chunk (
  report_id integer NOT NULL REFERENCES report (id) ON DELETE CASCADE ON UPDATE CASCADE,
  seq integer NOT NULL,
  text text NOT NULL,
  PRIMARY KEY (report_id, seq)
);
ALTER TABLE report_chunk ALTER COLUMN text SET STORAGE PLAIN;
CREATE FUNCTION nianbao_chunks(doc text) RETURNS SETOF text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT substr(d, n * {STRIDE} + 1, {STRIDE + OVERLAP})
  FROM (SELECT lower(doc) AS d) AS l, generate_series(0, (length(d) - 1) / {STRIDE}) AS n
  WHERE d <> ''
$$;
CREATE FUNCTION nianbao_report_chunks() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM report_chunk WHERE report_id = NEW.id;
  END IF;
  INSERT INTO report_chunk (report_id, seq, text)
    SELECT NEW.id, p.seq - 1, p.text
    FROM unnest(ARRAY(SELECT nianbao_chunks(NEW.title)) || ARRAY(SELECT nianbao_chunks(NEW.body)))
         WITH ORDINALITY AS p(text, seq);
  RETURN NULL;
END $$;
CREATE FUNCTION nianbao_trigrams(doc text) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
DECLARE c bigint[] := ARRAY(SELECT ascii(ch) FROM unnest(string_to_array(doc, NULL)) AS ch);
BEGIN
  RETURN ARRAY(SELECT (x << 42) | (y << 21) | z FROM unnest(c, c[2:], c[3:]) AS u(x, y, z) WHERE z IS NOT NULL);
END $$;
CREATE TRIGGER report_chunks AFTER INSERT OR UPDATE OF title, body ON report
  FOR EACH ROW EXECUTE FUNCTION nianbao_report_chunks();
INSERT INTO report_chunk (report_id, seq, text)
  SELECT r.id, p.seq - 1, p.text
  FROM report AS r,
       unnest(ARRAY(SELECT nianbao_chunks(r.title)) || ARRAY(SELECT nianbao_chunks(r.body)))
       WITH ORDINALITY AS p(text, seq);
CREATE INDEX ix_report_chunk_trigrams ON report_chunk USING gin (nianbao_trigrams(text));
ALTER INDEX ix_report_chunk_trigrams ALTER COLUMN 1 SET STATISTICS 0;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_OBJECTS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER report_chunks ON report; DROP TABLE report_chunk; "
                   "DROP FUNCTION nianbao_report_chunks(), nianbao_chunks(text), nianbao_trigrams(text)")
