"""``term_stats``: vocabulary, document frequency and IDF of the project's own words.

The corpus is every commit message and every session observation text as it stands now
(the ``observations`` view: decisions, patterns, work, context, observations; items a later
version of their session file dropped are left out). A batch materializer: IDF
changes for every term with every document, so it is rebuilt whole by
``patina materialize`` when stale rather than on the hook path.

The tokenizer is rules-as-data (:data:`TOKEN`, :data:`STOPWORDS`, :data:`SHA_LIKE`) so
a change to it is one visible edit.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections import Counter
from typing import Iterable, Iterator

# Words are runs of letters/digits/underscores (identifiers stay whole), case-folded.
TOKEN = re.compile(r"\w+")
# Commit shas and other hex ids are not vocabulary.
SHA_LIKE = re.compile(r"^(?=[0-9a-f]*[0-9])[0-9a-f]{7,64}$")
MIN_LENGTH = 2
STOPWORDS = frozenset("""
a an and are as at be been but by can did do does for from had has have he her his how i if in into is
it its it's just me more most my no not of on or our out over she so some than that the their them then
there these they this those to too up us was we were what when where which while who why will with would
you your
""".split())
IDF_DECIMALS = 9  # rounded so the stored REAL is the same on every machine's libm


def tokens(text: str) -> list[str]:
    """The terms of ``text``, in order, with repeats."""
    out = []
    for raw in TOKEN.findall(text.casefold()):
        if len(raw) < MIN_LENGTH or raw.isdigit() or raw in STOPWORDS or SHA_LIKE.match(raw):
            continue
        out.append(raw)
    return out


def idf(documents: int, doc_freq: int) -> float:
    """BM25's IDF: positive even for a term in every document."""
    return round(math.log(1.0 + (documents - doc_freq + 0.5) / (doc_freq + 0.5)), IDF_DECIMALS)


def documents(conn: sqlite3.Connection) -> Iterator[tuple[str, str]]:
    """(kind, text) for every document of the corpus: commits, then session observations."""
    for (message,) in conn.execute("SELECT data ->> '$.message' FROM eventlog "
                                   "WHERE event_type = 'git.commit' ORDER BY seq"):
        yield "commit", message or ""
    for (content,) in conn.execute("SELECT content FROM observations ORDER BY seq"):
        yield "session", content or ""


def statistics(docs: Iterable[tuple[str, str]]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """({term: [doc_freq, term_freq]}, {kind: [documents, tokens]}) including kind 'all'."""
    terms: dict[str, list[int]] = {}
    corpus: dict[str, list[int]] = {"all": [0, 0]}
    for kind, text in docs:
        counts = Counter(tokens(text))
        n_tokens = sum(counts.values())
        for key in (kind, "all"):
            slot = corpus.setdefault(key, [0, 0])
            slot[0] += 1
            slot[1] += n_tokens
        for term, n in counts.items():
            slot = terms.get(term)
            if slot is None:
                terms[term] = [1, n]
            else:
                slot[0] += 1
                slot[1] += n
    return terms, corpus


class TermStats:
    name = "term_stats"
    incremental = False
    tables = ("term_stats", "term_corpus")

    def reset(self, conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM term_stats")
        conn.execute("DELETE FROM term_corpus")

    def absorb(self, conn: sqlite3.Connection, after_seq: int) -> None:
        """Recompute over the whole log (IDF depends on every document, so ``after_seq`` cannot narrow it)."""
        self.reset(conn)
        terms, corpus = statistics(documents(conn))
        n_docs = corpus["all"][0]
        conn.executemany(
            "INSERT INTO term_stats(term, doc_freq, term_freq, idf) VALUES (?, ?, ?, ?)",
            ((t, df, tf, idf(n_docs, df)) for t, (df, tf) in sorted(terms.items())),
        )
        conn.executemany(
            "INSERT INTO term_corpus(kind, documents, tokens) VALUES (?, ?, ?)",
            ((k, d, n) for k, (d, n) in sorted(corpus.items())),
        )

