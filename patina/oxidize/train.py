"""Projections trained from the log's own pairs: a linear map that brings related items together.

Given the base vectors of the embedded events (unit rows, keyed by seq) and pairs of related
events (seq_a, seq_b), a projection is a d x d matrix W. Scoring is cosine after the map:

* ``mode="query"`` (default): cos(W q, x) -- only the query is mapped, stored vectors stay as
  they are (a search costs one extra matrix-vector product, and retraining touches no row);
* ``mode="both"``: cos(W q, W x) -- both sides mapped (the stored matrix must be mapped too).

Methods (all deterministic for the same inputs and seed; numpy only):

* ``ridge``: least squares W a ~ b, pulled towards the identity: (A'A + lam I) W' = A'B + lam I,
  lam = ``ridge`` x pairs / d (so the pull does not fade as the log grows);
* ``procrustes``: the orthogonal W closest to mapping a onto b (SVD of B'A); with ``both`` an
  orthogonal map changes no cosine, so it only makes sense on the query side;
* ``contrastive``: W starts at the identity and takes a few epochs of Adam on the InfoNCE loss
  with in-batch negatives (each pair's partner against the other partners of its batch),
  shuffled by a fixed seed.

Validation: the log's newest ``holdout`` fraction of embedded events is held out. Pairs whose
later event lies before the cut train; pairs known only after it are scored, each pair's first
event as the query against every embedded event (itself and its other held-out partners
excluded): recall@k and MRR, for the base vectors and for the projection. A projection is worth
using only when it beats the base on the held-out pairs (:attr:`Projection.beats_base`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

METHODS = ("ridge", "procrustes", "contrastive")
MODES = ("query", "both")


@dataclass(frozen=True)
class Scores:
    recall: float  # fraction of held-out pairs whose partner ranks within k
    mrr: float  # mean of 1/rank of the partner (no cut-off)
    pairs: int  # pairs scored
    k: int = 10
    ranks: tuple[int, ...] = field(default=(), repr=False, compare=False)  # each scored pair's rank


def gain_z(base: Scores, projected: Scores) -> float:
    """How sure the projection's MRR gain is: the mean paired difference of reciprocal ranks over
    its standard error (same pairs, same order). > 0: better; the gate wants > :data:`MIN_Z`."""
    if not base.ranks or len(base.ranks) != len(projected.ranks):
        return 0.0
    diff = 1.0 / np.asarray(projected.ranks, dtype=np.float64) - 1.0 / np.asarray(base.ranks, dtype=np.float64)
    spread = diff.std(ddof=1) if len(diff) > 1 else 0.0
    if spread == 0.0:
        return 0.0 if diff.mean() == 0 else float(np.sign(diff.mean()) * np.inf)
    return float(diff.mean() / (spread / np.sqrt(len(diff))))


# A projection is used only when its held-out MRR gain is this many standard errors above zero
# (and its recall@k is no lower): a gain within the noise of a few thousand pairs is no gain.
MIN_Z = 2.0


@dataclass
class Projection:
    name: str  # "semantic", "temporal", ...
    method: str
    mode: str
    matrix: np.ndarray  # (d, d) float32: the map (x -> matrix @ x)
    base: Scores  # held-out figures with the base vectors
    projected: Scores  # the same pairs, through the projection
    cut_seq: int  # events after this seq were held out
    train_pairs: int
    settings: dict = field(default_factory=dict)

    @property
    def gain_z(self) -> float:
        return gain_z(self.base, self.projected)

    @property
    def beats_base(self) -> bool:
        """Better than the base vectors on the held-out pairs, beyond noise: MRR higher by more
        than :data:`MIN_Z` standard errors of the paired difference, and recall@k no lower.
        Only then is the projection used."""
        return self.projected.recall >= self.base.recall and self.gain_z > MIN_Z

    def project(self, vectors: np.ndarray) -> np.ndarray:
        """Map vectors (rows, or one vector) and scale them to unit length."""
        return _unit(np.asarray(vectors, dtype=np.float32) @ self.matrix.T)


def _unit(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    return m / np.where(norms > 0, norms, 1.0)


def _pair_index(seqs: np.ndarray, pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    """Pairs as row indexes (m, 2), dropping pairs with an unknown seq or a seq paired with itself."""
    arr = np.array([(int(a), int(b)) for a, b in pairs], dtype=np.int64).reshape(-1, 2)
    if len(arr) == 0:
        return arr
    pos = np.searchsorted(seqs, arr)
    pos = np.minimum(pos, len(seqs) - 1)
    known = (seqs[pos] == arr).all(axis=1) & (arr[:, 0] != arr[:, 1])
    return pos[known]


def cut_seq(seqs: np.ndarray, holdout: float) -> int:
    """The last seq of the training part: the newest ``holdout`` fraction of ``seqs`` lies after it."""
    if not 0 < holdout < 1:
        raise ValueError("holdout must be in (0, 1)")
    seqs = np.asarray(seqs)
    keep = int(np.floor(len(seqs) * (1 - holdout)))
    return int(seqs[max(keep - 1, 0)]) if len(seqs) else 0


def split_pairs(seqs: np.ndarray, pairs: Iterable[tuple[int, int]], holdout: float = 0.2
                ) -> tuple[np.ndarray, np.ndarray, int]:
    """(train, held-out, cut): pairs (as row indexes) known by the cut, and those known only after."""
    seqs = np.asarray(seqs, dtype=np.int64)
    idx = _pair_index(seqs, pairs)
    cut = cut_seq(seqs, holdout)
    later = seqs[idx].max(axis=1) if len(idx) else np.zeros(0, dtype=np.int64)
    return idx[later <= cut], idx[later > cut], cut


def evaluate(vectors: np.ndarray, pairs_idx: np.ndarray, matrix: np.ndarray | None = None, *, mode: str = "query",
             k: int = 10, max_pairs: int = 4000, seed: int = 0) -> Scores:
    """recall@k and MRR of ``pairs_idx`` (row indexes) against every row of ``vectors``.

    Each pair (a, b): a is the query, b must be found; a itself and a's other partners among the
    pairs are not counted as competitors (filtered ranking). At most ``max_pairs`` pairs are
    scored (a fixed-seed sample)."""
    if len(pairs_idx) == 0:
        return Scores(0.0, 0.0, 0, k)
    pairs_idx = np.asarray(pairs_idx)
    if len(pairs_idx) > max_pairs:
        pick = np.sort(np.random.default_rng(seed).choice(len(pairs_idx), max_pairs, replace=False))
        scored = pairs_idx[pick]
    else:
        scored = pairs_idx
    partners: dict[int, set[int]] = {}
    for a, b in pairs_idx:
        partners.setdefault(int(a), set()).add(int(b))
    base = _unit(vectors)
    docs = base if matrix is None or mode == "query" else _unit(base @ matrix.T)
    queries = base[scored[:, 0]] if matrix is None else _unit(base[scored[:, 0]] @ matrix.T)
    ranks = np.empty(len(scored), dtype=np.int64)
    for start in range(0, len(scored), 512):
        chunk = scored[start:start + 512]
        sims = queries[start:start + 512] @ docs.T
        for j, (a, b) in enumerate(chunk):
            row = sims[j]
            target = row[b]
            better = int(np.count_nonzero(row > target))
            # Competitors that do not count: the query itself and its other partners.
            for other in partners[int(a)] | {int(a)}:
                if other != b and row[other] > target:
                    better -= 1
            ranks[start + j] = better + 1
    return Scores(float(np.mean(ranks <= k)), float(np.mean(1.0 / ranks)), len(scored), k,
                  tuple(int(r) for r in ranks))


# ----------------------------------------------------------------------------------- fitting

def fit(method: str, a: np.ndarray, b: np.ndarray, *, mode: str = "query", seed: int = 0,
        ridge: float = 10.0, epochs: int = 2, batch: int = 256, lr: float = 3e-4, temperature: float = 0.1
        ) -> np.ndarray:
    """W (d, d) such that W a_i lies near b_i (rows of ``a`` and ``b``: the pairs, unit vectors).

    Defaults: what did best on the real Patina log's held-out semantic pairs (bench/bench_train.py)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r} (methods: {', '.join(METHODS)})")
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (modes: {', '.join(MODES)})")
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    d = a.shape[1]
    if method == "ridge":
        lam = ridge * len(a) / d
        lhs = a.T @ a + lam * np.eye(d)
        rhs = a.T @ b + lam * np.eye(d)
        return np.linalg.solve(lhs, rhs).T.astype(np.float32)
    if method == "procrustes":
        u, _, vt = np.linalg.svd(b.T @ a)
        return (u @ vt).astype(np.float32)
    return _contrastive(a, b, mode=mode, seed=seed, epochs=epochs, batch=batch, lr=lr, temperature=temperature)


def _contrastive(a: np.ndarray, b: np.ndarray, *, mode: str, seed: int, epochs: int, batch: int, lr: float,
                 temperature: float) -> np.ndarray:
    """InfoNCE with in-batch negatives on cos(W a, b) (or cos(W a, W b)), Adam, W from the identity."""
    rng = np.random.default_rng(seed)
    d = a.shape[1]
    w = np.eye(d)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    step = 0
    n = len(a)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n - 1, batch):
            idx = order[start:start + batch]
            if len(idx) < 2:
                continue
            grad = _info_nce_grad(w, a[idx], b[idx], mode, temperature)
            step += 1
            m = beta1 * m + (1 - beta1) * grad
            v = beta2 * v + (1 - beta2) * grad * grad
            w = w - lr * (m / (1 - beta1 ** step)) / (np.sqrt(v / (1 - beta2 ** step)) + eps)
    return w.astype(np.float32)


def _normalize_grad(raw: np.ndarray, unit: np.ndarray, norms: np.ndarray, g_unit: np.ndarray) -> np.ndarray:
    """Gradient through x -> x/|x|: (g - u (u.g)) / |x|."""
    return (g_unit - unit * np.sum(unit * g_unit, axis=1, keepdims=True)) / norms


def _info_nce_grad(w: np.ndarray, a: np.ndarray, b: np.ndarray, mode: str, temperature: float) -> np.ndarray:
    """d(loss)/dW of the InfoNCE loss (mean over the batch; row i of b is the positive of row i of a)."""
    qa = a @ w.T
    na = np.linalg.norm(qa, axis=1, keepdims=True)
    ua = qa / na
    if mode == "both":
        qb = b @ w.T
        nb = np.linalg.norm(qb, axis=1, keepdims=True)
        ub = qb / nb
    else:
        ub = b
    logits = ua @ ub.T / temperature
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    g = p.copy()
    g[np.arange(len(a)), np.arange(len(a))] -= 1.0
    g /= len(a) * temperature  # d(loss)/d(ua . ub) for each (i, j)
    g_ua = g @ ub
    grad = _normalize_grad(qa, ua, na, g_ua).T @ a
    if mode == "both":
        g_ub = g.T @ ua
        grad += _normalize_grad(qb, ub, nb, g_ub).T @ b
    return grad


def info_nce_loss(w: np.ndarray, a: np.ndarray, b: np.ndarray, mode: str = "query", temperature: float = 0.1) -> float:
    """The loss :func:`_info_nce_grad` differentiates (for tests and curiosity)."""
    ua = _unit(a @ w.T).astype(np.float64)
    ub = _unit(b @ w.T).astype(np.float64) if mode == "both" else np.asarray(b, dtype=np.float64)
    logits = ua @ ub.T / temperature
    logits -= logits.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return float(-np.mean(np.diag(log_p)))


def train_projection(vectors: np.ndarray, seqs: Sequence[int], pairs: Iterable[tuple[int, int]], *,
                     name: str = "semantic", method: str = "contrastive", mode: str = "query",
                     holdout: float = 0.2, k: int = 10, seed: int = 0, max_eval_pairs: int = 4000,
                     **settings) -> Projection:
    """Fit a projection on the pairs known by the cut and score it on the pairs after it.

    ``vectors``: base vectors (n, d), row i for event ``seqs[i]`` (increasing). ``pairs``: related
    events (seq_a, seq_b), in either order; both directions train. ``settings`` go to :func:`fit`
    (ridge, epochs, batch, lr, temperature)."""
    seqs_arr = np.asarray(seqs, dtype=np.int64)
    if len(seqs_arr) != len(vectors):
        raise ValueError(f"{len(seqs_arr)} seqs for {len(vectors)} vectors")
    if np.any(np.diff(seqs_arr) <= 0):
        raise ValueError("seqs must be strictly increasing")
    base = _unit(vectors)
    train, held, cut = split_pairs(seqs_arr, pairs, holdout)
    d = base.shape[1]
    if len(train) == 0:
        matrix = np.eye(d, dtype=np.float32)
    else:
        both_ways = np.concatenate([train, train[:, ::-1]])
        matrix = fit(method, base[both_ways[:, 0]], base[both_ways[:, 1]], mode=mode, seed=seed, **settings)
    base_scores = evaluate(base, held, None, k=k, max_pairs=max_eval_pairs, seed=seed)
    projected = evaluate(base, held, matrix, mode=mode, k=k, max_pairs=max_eval_pairs, seed=seed)
    return Projection(name, method, mode, matrix, base_scores, projected, cut, len(train), dict(settings))
