"""Recall@k of a labelled query set (tests/scry_queries.json, bench/scry_paraphrases.json): shared
by the tests and the benches.

A query is answered when one of its top k hits is an expected answer. A query names its answer
directly (``type``, ``session``, ``starts``: the type, the session id or commit sha, and prefixes
of the content), or lists every acceptable one under ``answers``, each either such a triple or,
for a fact stated all over the log, ``types`` with ``contains_any`` / ``contains_all`` (substrings
of the content, case-insensitive).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from patina.scry.search import Hit, scry


@dataclass(frozen=True)
class Outcome:
    query: str
    expected: str  # a readable form of the expectation
    rank: int | None  # 1-based rank of the first matching hit, None if not in the top k
    top: list[str]  # the top hits, "type: content" (for reading misses)


def load_queries(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)["queries"]


def answers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The acceptable answers of a query (one, or its ``answers`` list)."""
    return spec["answers"] if "answers" in spec else [spec]


def matches_answer(typ: str, origin: str, content: str, answer: dict[str, Any]) -> bool:
    if "type" in answer and typ != answer["type"]:
        return False
    if "types" in answer and typ not in answer["types"]:
        return False
    if "session" in answer and origin != answer["session"]:
        return False
    if "starts" in answer and not any(content.startswith(p) for p in answer["starts"]):
        return False
    low = content.lower()
    if "contains_any" in answer and not any(w.lower() in low for w in answer["contains_any"]):
        return False
    if "contains_all" in answer and not all(w.lower() in low for w in answer["contains_all"]):
        return False
    return True


def matches(typ: str, origin: str, content: str, spec: dict[str, Any]) -> bool:
    """Is a document (type, session id or sha, content) an expected answer of the query ``spec``?"""
    return any(matches_answer(typ, origin, content, a) for a in answers(spec))


def _matches(hit: Hit, spec: dict[str, Any]) -> bool:
    return matches(hit.type, hit.origin, hit.content, spec)


def evaluate(db_path: str, queries: list[dict[str, Any]], k: int = 5) -> list[Outcome]:
    """Run every query (project only, no persona) and locate its expected answer."""
    out = []
    for spec in queries:
        hits = scry(spec["query"], projects=[(None, db_path)], persona_home=None, limit=k).hits
        rank = next((i + 1 for i, h in enumerate(hits) if _matches(h, spec)), None)
        first = answers(spec)[0]
        out.append(Outcome(spec["query"], f"{first.get('type', first.get('types'))} "
                           f"{(first.get('starts') or first.get('contains_any') or first.get('contains_all'))[0]!r}", rank,
                           [f"{h.type}: {h.content[:70]}" for h in hits]))
    return out


def recall(outcomes: list[Outcome]) -> float:
    return sum(o.rank is not None for o in outcomes) / len(outcomes) if outcomes else 0.0


def mrr(outcomes: list[Outcome]) -> float:
    """Mean reciprocal rank (0 for a miss)."""
    return sum(1 / o.rank for o in outcomes if o.rank) / len(outcomes) if outcomes else 0.0
