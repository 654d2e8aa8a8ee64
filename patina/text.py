"""Words: the one tokenizer and stopword list shared by ``term_stats`` and ``patina scry``.

A word is a run of letters and digits (what SQLite FTS5's ``unicode61`` tokenizer, which
indexes scry, calls a token: ``insert_all`` is two words), case-folded. Rules as data, so a
change to them is one visible edit.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W_]+")
# Commit shas and other hex ids are not vocabulary.
SHA_LIKE = re.compile(r"^(?=[0-9a-f]*[0-9])[0-9a-f]{7,64}$")
MIN_LENGTH = 2
# Words that match nearly every document.
STOPWORDS = frozenset("""
a about an and are as at be been but by can did do does for from had has have he her his how i if
in into is it its just me more most my no not of on or our out over she so some than that the their
them then there these they this those to too up us was we were what when where which while who why
will with would you your
""".split())


def words(text: str) -> list[str]:
    """Every word of ``text``, case-folded, in order, with repeats."""
    return WORD.findall(text.casefold())


def is_stopword(word: str) -> bool:
    return word in STOPWORDS


_HEX = frozenset("0123456789abcdef")


def is_sha_like(word: str) -> bool:
    """:data:`SHA_LIKE`, without running a regex on every word (a word is letters and digits:
    one that is not all letters has a digit)."""
    return 7 <= len(word) <= 64 and not word.isalpha() and _HEX.issuperset(word)


def terms(text: str) -> list[str]:
    """The vocabulary of ``text`` (term statistics): words without stopwords, numbers, one-letter
    words and hex ids, in order, with repeats."""
    return [w for w in words(text)
            if len(w) >= MIN_LENGTH and not w.isdigit() and w not in STOPWORDS and not is_sha_like(w)]


def query_words(text: str, limit: int) -> list[str]:
    """A search query's words, without duplicates, stopwords dropped unless nothing else is left."""
    seen: list[str] = []
    for word in words(text):
        if word not in seen:
            seen.append(word)
    content = [w for w in seen if w not in STOPWORDS]
    return (content or seen)[:limit]
