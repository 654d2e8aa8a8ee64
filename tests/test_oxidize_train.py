"""Projections: deterministic fits, held-out scoring, and a projection worse than base said to be so."""

from __future__ import annotations

import pytest

np = pytest.importorskip("numpy")

from patina.oxidize import train as T  # noqa: E402


def unit(m):
    m = np.asarray(m, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def rotation(dim: int, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, dim)))
    return q.astype(np.float32)


def paired_log(n_pairs: int = 300, dim: int = 16, seed: int = 0, noise: float = 0.05, held_map=None, train_map=None):
    """A log of 2 * n_pairs events: event 2i+1 is a, event 2i+2 is its partner map(a) + noise.
    ``train_map`` applies to the pairs of the older 80% of the log, ``held_map`` to the rest."""
    rng = np.random.default_rng(seed)
    rows, pairs = [], []
    for i in range(n_pairs):
        a = rng.standard_normal(dim)
        a /= np.linalg.norm(a)
        older = (2 * i + 2) <= 0.8 * 2 * n_pairs
        mapping = train_map if older else held_map
        b = (mapping @ a if mapping is not None else a) + noise * rng.standard_normal(dim)
        rows += [a, b]
        pairs.append((2 * i + 1, 2 * i + 2))
    return unit(np.array(rows)), np.arange(1, 2 * n_pairs + 1), pairs


def test_split_by_the_later_event():
    seqs = np.arange(1, 11) * 10  # 10 events; holdout 0.2 keeps the first 8 (through seq 80)
    train, held, cut = T.split_pairs(seqs, [(10, 20), (70, 90), (30, 80), (90, 100), (10, 999), (40, 40)], 0.2)
    assert cut == 80
    assert [tuple(seqs[p]) for p in train] == [(10, 20), (30, 80)]
    assert [tuple(seqs[p]) for p in held] == [(70, 90), (90, 100)]  # unknown seqs and self-pairs dropped


def test_evaluate_filtered_ranking():
    vecs = unit([[1, 0], [0.9, 0.1], [0.8, 0.3], [0, 1], [-1, 0]])
    # Query 0: partner 2 is behind 1 (another partner of 0: not a competitor) -> rank 1.
    s = T.evaluate(vecs, np.array([[0, 2], [0, 1]]), k=1)
    assert s.recall == 1.0 and s.mrr == 1.0 and s.pairs == 2
    # Query 3: partner 4 (cosine 0) is behind 1 and 2, level with 0 (a tie is not behind) -> rank 3.
    s = T.evaluate(vecs, np.array([[3, 4]]), k=2)
    assert s.recall == 0.0 and s.mrr == pytest.approx(1 / 3)


@pytest.mark.parametrize("method,mode", [("ridge", "query"), ("procrustes", "query"), ("contrastive", "query"),
                                         ("contrastive", "both")])
def test_a_learnable_relation_beats_base(method, mode):
    r = rotation(16, 3)
    vecs, seqs, pairs = paired_log(train_map=r, held_map=r)
    settings = {"contrastive": {"epochs": 30, "lr": 0.01, "temperature": 0.05}, "ridge": {"ridge": 0.01}}.get(method, {})
    proj = T.train_projection(vecs, seqs, pairs, method=method, mode=mode, **settings)
    assert proj.cut_seq == 480 and proj.train_pairs == 240 and proj.base.pairs == 60
    assert proj.projected.recall > proj.base.recall
    assert proj.beats_base
    assert proj.project(vecs[:3]).shape == (3, 16)
    assert np.allclose(np.linalg.norm(proj.project(vecs[:3]), axis=1), 1.0, atol=1e-5)


def test_a_projection_worse_than_base_is_reported():
    # Training pairs are related through a rotation, held-out ones are near-duplicates: the map
    # learnt before the cut moves every held-out query away from its partner.
    vecs, seqs, pairs = paired_log(train_map=rotation(16, 4), held_map=None)
    proj = T.train_projection(vecs, seqs, pairs, method="procrustes")
    assert proj.base.recall == 1.0
    assert proj.projected.recall < proj.base.recall
    assert not proj.beats_base


@pytest.mark.parametrize("method", T.METHODS)
def test_fits_are_deterministic(method):
    vecs, seqs, pairs = paired_log(n_pairs=200, train_map=rotation(16, 5), held_map=rotation(16, 5))
    one = T.train_projection(vecs, seqs, pairs, method=method, seed=11)
    two = T.train_projection(vecs.copy(), seqs.copy(), list(pairs), method=method, seed=11)
    assert np.array_equal(one.matrix, two.matrix)
    assert one.base == two.base and one.projected == two.projected


def test_no_training_pairs_gives_the_identity():
    vecs, seqs, _ = paired_log(n_pairs=10)
    proj = T.train_projection(vecs, seqs, [(19, 20)])  # known only after the cut
    assert np.array_equal(proj.matrix, np.eye(16, dtype=np.float32))
    assert proj.train_pairs == 0 and not proj.beats_base


@pytest.mark.parametrize("mode", T.MODES)
def test_contrastive_gradient_matches_finite_differences(mode):
    rng = np.random.default_rng(0)
    a = unit(rng.standard_normal((8, 6))).astype(np.float64)
    b = unit(rng.standard_normal((8, 6))).astype(np.float64)
    w = np.eye(6) + 0.1 * rng.standard_normal((6, 6))
    grad = T._info_nce_grad(w, a, b, mode, 0.5)

    def loss(m):
        ua = a @ m.T
        ua /= np.linalg.norm(ua, axis=1, keepdims=True)
        ub = b @ m.T if mode == "both" else b
        ub = ub / np.linalg.norm(ub, axis=1, keepdims=True)
        logits = ua @ ub.T / 0.5
        logits -= logits.max(axis=1, keepdims=True)
        return -np.mean(np.diag(logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))))

    numeric = np.zeros_like(w)
    for i in range(6):
        for j in range(6):
            step = np.zeros_like(w)
            step[i, j] = 1e-6
            numeric[i, j] = (loss(w + step) - loss(w - step)) / 2e-6
    assert np.abs(grad - numeric).max() < 1e-7
    assert T.info_nce_loss(w, a, b, mode, 0.5) == pytest.approx(loss(w), abs=1e-5)


def test_bad_arguments():
    vecs, seqs, pairs = paired_log(n_pairs=5)
    with pytest.raises(ValueError):
        T.train_projection(vecs, seqs[::-1], pairs)
    with pytest.raises(ValueError):
        T.train_projection(vecs, seqs, pairs, method="magic")
    with pytest.raises(ValueError):
        T.train_projection(vecs, seqs, pairs, holdout=1.5)


def test_a_gain_within_the_noise_is_no_gain():
    base = T.Scores(0.5, 0.5, 4, 10, (1, 2, 1, 2))
    same = T.Scores(0.5, 0.5, 4, 10, (1, 2, 1, 2))
    assert T.gain_z(base, same) == 0.0
    lucky = T.Scores(0.5, 0.5625, 4, 10, (1, 1, 1, 4))  # one pair up, one down: a wash
    assert abs(T.gain_z(base, lucky)) < T.MIN_Z
    steady = T.Scores(1.0, 0.9, 6, 10, (1, 1, 1, 1, 1, 2))
    assert T.gain_z(T.Scores(0.5, 0.5, 6, 10, (2, 2, 2, 2, 2, 2)), steady) > T.MIN_Z
    proj = T.Projection("x", "ridge", "query", np.eye(2, dtype=np.float32), base, lucky, 0, 0)
    assert not proj.beats_base
