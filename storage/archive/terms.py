"""The forms a query term matches in: as typed and NFKC-folded, and (SQLite) in every case of its letters.

Stored texts keep what the page printed, so a full-width query (２０１４年) must also look for its half-width
fold (2014年), and a folded form must not replace the typed one (Ⅱ folds to II). PostgreSQL's ILIKE ignores
the case of every letter, SQLite's LIKE only of ASCII ones; spelling out the case forms of a short term with
other letters (É, Ω, Ⅱ) makes both backends return the same reports.
"""

from __future__ import annotations

import unicodedata


def term_forms(term: str) -> list[str]:
    """The term as typed and NFKC-folded: ２０１４年 also finds 2014年, and Ⅱ still finds Ⅱ (whose fold is II)."""
    return list(dict.fromkeys([term, unicodedata.normalize("NFKC", term)]))


def has_case(text: str) -> bool:
    """Whether ``text`` has any letter with case (Chinese has none): only then may a case-folding match differ."""
    return text.lower() != text.upper()


def case_forms(term: str, limit: int = 16) -> list[str]:
    """Every upper/lower combination of the term's non-ASCII letters (SQLite's LIKE folds ASCII only), or just
    the term when there are more than ``limit``."""
    forms = [""]
    for ch in term:
        options = list(dict.fromkeys([ch, ch.lower(), ch.upper()])) if not ch.isascii() else [ch]
        options = [o for o in options if len(o) == 1]  # ß → SS is no one-character form
        forms = [f + o for f in forms for o in options]
        if len(forms) > limit:
            return [term]
    return forms
