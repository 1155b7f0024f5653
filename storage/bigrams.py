"""SQLite: the text of the bigram index (migration 0013) that answers 1- and 2-character query terms.

FTS5's trigram tokenizer cannot match a term shorter than three characters, so such a term used to scan every
report (2 s a page at 100,000 reports, for the true total). ``report_bigram`` is a contentless FTS5 table whose
one row per report holds, as tokens, every distinct character and every distinct pair of adjacent characters of
its title and of its body (never a pair across the two). A term of one or two characters then is one token
lookup, and a report has the token exactly when its title or body contains the term as a substring: the same
reports as ``LIKE '%term%'``.

Tokens are the hex of the gram's UTF-8 bytes (any character, even a space, quote or NUL, becomes a plain
``ascii``-tokenizer word), taken after folding ASCII letters to lower case, which is what SQLite's ``LIKE``
ignores; other letters keep their case, and ``storage.archive.query`` spells out their case forms as it does
for ``LIKE``. Only which reports hold a token is stored (``detail=none``): no positions, no counts.

The triggers compute the tokens with :func:`grams`, which every connection of ours registers
(:func:`register`); a connection without it (a plain ``sqlite3`` shell) can read the archive but cannot write a
report's title or body (``no such function: nianbao_bigrams``), which fails loudly rather than leaving the
index behind the text.
"""

from __future__ import annotations

import sqlite3
from operator import add

FUNCTION = "nianbao_bigrams"


def token(gram: str) -> str:
    """The index's token for a gram of one or two characters (ASCII letters folded to lower case)."""
    return gram.encode("utf-8", "surrogatepass").lower().hex()


def grams(title: str | None, body: str | None) -> str:
    """The tokens of a report's title and body, space-separated, each once, in a fixed order (a ``delete``
    must hand FTS5 the very tokens the insert did)."""
    seen: dict[str, None] = {}
    for text in (title, body):
        if text:
            seen.update(dict.fromkeys(text))
            seen.update(dict.fromkeys(map(add, text, text[1:])))
    return " ".join(dict.fromkeys(map(token, seen)))


def register(dbapi_conn: sqlite3.Connection) -> None:
    """Make :func:`grams` callable as ``nianbao_bigrams(title, body)`` (the triggers of migration 0013)."""
    dbapi_conn.create_function(FUNCTION, 2, grams, deterministic=True)
