"""Reciprocal rank fusion: one ranking from several oracles' rankings (lexical, semantic, ...).

score(d) = sum over the rankings r that hold d of weight_r / (k + rank_r(d)), ranks from 1.
Only ranks count, so BM25 scores and cosines never need to be put on one scale. Ties (equal
fused scores) go by the key's natural order (a seq, or a (project, seq) tuple), so the same
inputs always give the same order.
"""

from __future__ import annotations

from typing import Hashable, Iterable, Mapping, Sequence, TypeVar

K = 60

Key = TypeVar("Key", bound=Hashable)


def rrf(rankings: Mapping[str, Sequence[Key]] | Sequence[Sequence[Key]], *, k: int = K,
        weights: Mapping[str, float] | Sequence[float] | None = None, limit: int | None = None
        ) -> list[tuple[Key, float]]:
    """Fuse ``rankings`` (best first; by oracle name, or a plain list of lists) into
    (key, score) best first. ``weights``: per oracle (default 1 each). A key repeated within one
    ranking counts at its best rank only."""
    if k < 0:
        raise ValueError("k must be >= 0")
    if isinstance(rankings, Mapping):
        names = list(rankings)
        lists = [rankings[n] for n in names]
        w = [float((weights or {}).get(n, 1.0)) for n in names] if not isinstance(weights, Sequence) \
            else [float(x) for x in weights]
    else:
        lists = list(rankings)
        w = [1.0] * len(lists) if weights is None else [float(x) for x in weights]  # type: ignore[arg-type]
    if len(w) != len(lists):
        raise ValueError(f"{len(w)} weights for {len(lists)} rankings")
    scores: dict = {}
    for weight, ranking in zip(w, lists):
        seen = set()
        for rank, key in enumerate(ranking, start=1):
            if key in seen:
                continue
            seen.add(key)
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    fused = sorted(scores.items(), key=lambda item: (-item[1], _order(item[0])))
    return fused[:limit] if limit is not None else fused


def _order(key):
    """Keys of mixed kinds still sort (by kind name, then value)."""
    return (type(key).__name__, key)


def fuse_keys(rankings: Iterable[Sequence[Key]], *, k: int = K, limit: int | None = None) -> list[Key]:
    """Just the fused order of the keys."""
    return [key for key, _ in rrf(list(rankings), k=k, limit=limit)]
