"""Recall@k of a labelled query set (tests/scry_queries.json): shared by the test and the bench.

A query is answered when one of its top k hits has the expected type and session and its
content starts with one of the expected prefixes.
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


def _matches(hit: Hit, spec: dict[str, Any]) -> bool:
    return (hit.type == spec["type"] and hit.origin == spec["session"]
            and any(hit.content.startswith(p) for p in spec["starts"]))


def evaluate(db_path: str, queries: list[dict[str, Any]], k: int = 5) -> list[Outcome]:
    """Run every query (project only, no persona) and locate its expected answer."""
    out = []
    for spec in queries:
        hits = scry(spec["query"], projects=[(None, db_path)], persona_home=None, limit=k).hits
        rank = next((i + 1 for i, h in enumerate(hits) if _matches(h, spec)), None)
        out.append(Outcome(spec["query"], f"{spec['type']} {spec['starts'][0]!r}", rank,
                           [f"{h.type}: {h.content[:70]}" for h in hits]))
    return out


def recall(outcomes: list[Outcome]) -> float:
    return sum(o.rank is not None for o in outcomes) / len(outcomes) if outcomes else 0.0


def mrr(outcomes: list[Outcome]) -> float:
    """Mean reciprocal rank (0 for a miss)."""
    return sum(1 / o.rank for o in outcomes if o.rank) / len(outcomes) if outcomes else 0.0
