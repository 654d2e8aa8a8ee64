"""Projection training on the real Patina log: which method beats the base vectors on held-out pairs.

    .venv/bin/python bench/bench_train.py [--db /tmp/patina-real.db] [--model DIR] [--holdout 0.2]

Semantic pairs (same session; decision -> following commits) and temporal pairs (commits that
changed the same file) from the log, the newest 20% of the
embedded events held out, each method fitted on the pairs known before the cut and scored on the
pairs after it: recall@10 and MRR for the base vectors and the projection, and the fit time.
Vectors come from the cache bench_embed.py --all fills (or are embedded here, which takes minutes).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from oxidize_common import REAL_DB, SHARED_MODEL, cached_vectors, load_docs

RUNS = [
    ("ridge", "query", {"ridge": 0.1}),
    ("ridge", "query", {"ridge": 1.0}),
    ("ridge", "query", {"ridge": 10.0}),
    ("procrustes", "query", {}),
    ("contrastive", "query", {"epochs": 2, "lr": 1e-3, "temperature": 0.05}),
    ("contrastive", "query", {"epochs": 5, "lr": 1e-3, "temperature": 0.05}),
    ("contrastive", "query", {"epochs": 2, "lr": 3e-4, "temperature": 0.1}),
    ("contrastive", "query", {"epochs": 5, "lr": 3e-4, "temperature": 0.1}),
    ("contrastive", "both", {"epochs": 2, "lr": 3e-4, "temperature": 0.1}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=REAL_DB)
    parser.add_argument("--model", default=SHARED_MODEL)
    parser.add_argument("--holdout", type=float, default=0.2)
    parser.add_argument("--per-item", type=int, default=2)
    parser.add_argument("--kinds", default="semantic,temporal", help="pair kinds to train on")
    args = parser.parse_args()

    import sqlite3

    from patina.oxidize.model import load_model
    from patina.oxidize.pairs import semantic_pairs, temporal_pairs
    from patina.oxidize.train import train_projection

    embedder = load_model(model_path=args.model, remember=False)
    docs = load_docs(args.db)
    vectors = cached_vectors(embedder, [d.text for d in docs])
    seqs = np.array([d.seq for d in docs])
    conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    for kind in args.kinds.split(","):
        t = time.perf_counter()
        if kind == "semantic":
            pairs = semantic_pairs(conn, per_item=args.per_item, seqs=seqs.tolist())
        else:
            pairs = temporal_pairs(conn, seqs=seqs.tolist())
        print(f"\n{kind}: {len(docs)} embedded events, {len(pairs)} pairs ({time.perf_counter() - t:.2f} s); "
              f"newest {args.holdout:.0%} held out")
        print(f"{'method':<12} {'mode':<6} {'settings':<24} {'train':>6} {'held':>5} {'base R@10':>9} "
              f"{'base MRR':>8} {'proj R@10':>9} {'proj MRR':>8} {'z':>6} {'used':>5} {'fit s':>6}")
        for method, mode, settings in RUNS:
            t = time.perf_counter()
            p = train_projection(vectors, seqs, pairs, name=kind, method=method, mode=mode, holdout=args.holdout,
                                 **settings)
            took = time.perf_counter() - t
            label = ",".join(f"{k}={v}" for k, v in settings.items()) or "-"
            print(f"{method:<12} {mode:<6} {label:<24} {p.train_pairs:>6} {p.base.pairs:>5} {p.base.recall:9.3f} "
                  f"{p.base.mrr:8.3f} {p.projected.recall:9.3f} {p.projected.mrr:8.3f} {p.gain_z:6.1f} "
                  f"{'yes' if p.beats_base else 'no':>5} {took:6.1f}", flush=True)


if __name__ == "__main__":
    main()
