"""``term_stats``: vocabulary, document frequency and IDF of the project's own words.

The corpus is every commit message and every session observation text as it stands now
(the ``observations`` view: decisions, patterns, work, context, observations; items a later
version of their session file dropped are left out). A batch materializer: IDF
changes for every term with every document, so it is rebuilt whole by
``patina materialize`` when stale rather than on the hook path.

Words are :mod:`patina.text`'s (the tokenizer and stopwords scry uses too).
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from typing import Iterable, Iterator

from patina import store
from patina.text import terms as tokens

IDF_DECIMALS = 9  # rounded so the stored REAL is the same on every machine's libm


def idf(documents: int, doc_freq: int) -> float:
    """BM25's IDF: positive even for a term in every document."""
    return round(math.log(1.0 + (documents - doc_freq + 0.5) / (doc_freq + 0.5)), IDF_DECIMALS)


def documents(conn: sqlite3.Connection) -> Iterator[tuple[str, str]]:
    """(kind, text) for every document of the corpus: commits, then session observations."""
    for (message,) in store.field(conn, "git.commit", "$.message"):
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

