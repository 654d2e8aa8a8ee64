"""Recall@k and MRR of lexical, semantic and fused search on both labelled query sets.

    .venv/bin/python bench/bench_oxidize_recall.py [--db /tmp/patina-real.db] [--model DIR] [-k 5] [-v]

Sets: tests/scry_queries.json over the session fixtures (built here through the real pipeline,
as bench/bench_scry_recall.py does) and bench/scry_paraphrases.json over the real Patina log
(``python -m patina scrape --repo /work/real/patina --db /tmp/patina-real.db``).

Methods, each a ranked list of the search index's current documents:

* lexical     today's scry (BM25), project only;
* semantic    cosine between the query's and the documents' vectors (the library: model, vectors);
* sem+proj    the same with the query mapped by the projection trained on that log's semantic
              pairs (train.py; used only where it beats the base on held-out pairs, else = semantic);
* rrf         reciprocal rank fusion (k=60) of lexical and semantic (top --depth of each);
* rrf+proj    the same with sem+proj;
* rrf sem×2   RRF with the semantic list weighted 2 (information only, not tuned).

Also "session@k": the share of queries with any item of the labelled session in the top k (a
looser rule that credits a sibling item stating the same fact), for lexical / semantic / rrf.

A query is answered when one of the top k is the labelled item (recall.py's rule); MRR@k.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from oxidize_common import REAL_DB, ROOT, SHARED_MODEL, cached_vectors, load_docs

sys.path.insert(0, str(ROOT / "tests"))

METHODS = ("lexical", "semantic", "sem+proj", "rrf", "rrf+proj", "rrf sem×2")


def build_fixture_db(tmp: str) -> str:
    from gitutil import BASE_TIME, Repo

    from patina import repo as patina_repo, update
    from bench_scry_recall import ORDER

    repo = Repo(Path(tmp) / "repo")
    for i, name in enumerate(ORDER):
        text = (ROOT / "tests" / "fixtures" / "sessions" / name).read_text(encoding="utf-8")
        repo.commit(f"session notes: {name}", {f"layer/sessions/{name}": text}, when=BASE_TIME + i * 86_400)
    r = patina_repo.discover(str(repo.path))
    update.update(r)
    return r.db_path


def matches(doc, spec) -> bool:
    return doc.type == spec["type"] and doc.origin == spec["session"] and any(
        doc.text.startswith(p) for p in spec["starts"])


def evaluate_set(name: str, db: str, queries: list[dict], embedder, args) -> dict:
    from patina.oxidize import fusion, vectors
    from patina.oxidize.pairs import semantic_pairs
    from patina.oxidize.train import train_projection
    from patina.scry.search import scry

    docs = load_docs(db)
    by_seq = {d.seq: d for d in docs}
    texts = [d.text for d in docs]
    vecs = cached_vectors(embedder, texts) if len(docs) > 2000 else embedder.embed(texts)
    matrix = vectors.Matrix(np.array([d.seq for d in docs], dtype=np.int64), vecs)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    pairs = semantic_pairs(conn, seqs=matrix.seqs.tolist())
    conn.close()
    proj = train_projection(vecs, matrix.seqs, pairs, method=args.method, mode="query", **json.loads(args.settings))
    use = proj.beats_base
    print(f"\n{name}: {len(docs)} documents, {len(queries)} queries; projection {args.method} on {proj.train_pairs} "
          f"pairs: held-out R@10 {proj.base.recall:.3f} -> {proj.projected.recall:.3f}, MRR {proj.base.mrr:.3f} -> "
          f"{proj.projected.mrr:.3f}, z {proj.gain_z:.1f} ({'used' if use else 'NOT used: not better than base beyond noise'})")
    ranks: dict[str, list] = {m: [] for m in METHODS}
    session = {"lexical": 0, "semantic": 0, "rrf": 0}
    query_ms = []
    for spec in queries:
        lexical = [h.seq for h in scry(spec["query"], projects=[(None, db)], persona_home=None,
                                       limit=args.depth).hits]
        t = time.perf_counter()
        q = embedder.embed([spec["query"]])[0]
        semantic = [s for s, _ in vectors.top_k(matrix, q, args.depth)]
        query_ms.append((time.perf_counter() - t) * 1000)
        projected = [s for s, _ in vectors.top_k(matrix, proj.project(q), args.depth)] if use else semantic
        lists = {
            "lexical": lexical, "semantic": semantic, "sem+proj": projected,
            "rrf": fusion.fuse_keys([lexical, semantic], k=60),
            "rrf+proj": fusion.fuse_keys([lexical, projected], k=60),
            "rrf sem×2": [key for key, _ in fusion.rrf([lexical, semantic], k=60, weights=[1.0, 2.0])],
        }
        for method in ("lexical", "semantic", "rrf"):
            session[method] += any(by_seq[s].origin == spec["session"] for s in lists[method][:args.k])
        for method, ranked in lists.items():
            top = ranked[:args.k]
            ranks[method].append(next((i + 1 for i, s in enumerate(top) if matches(by_seq[s], spec)), None))
        if args.verbose:
            marks = " ".join(f"{m}={ranks[m][-1] or '-'}" for m in METHODS)
            print(f"  {marks:<60} {spec['query'][:70]}")
    out = {}
    for method in METHODS:
        r = ranks[method]
        out[method] = (sum(x is not None for x in r) / len(r), sum(1 / x for x in r if x) / len(r))
    out["_query_ms"] = float(np.median(query_ms))
    out["_session"] = {m: v / len(queries) for m, v in session.items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=REAL_DB, help="the real Patina log")
    parser.add_argument("--model", default=SHARED_MODEL)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--depth", type=int, default=50, help="how many of each list go into the fusion")
    parser.add_argument("--method", default="contrastive", help="projection method (train.py)")
    parser.add_argument("--settings", default='{}', help='fit settings, JSON (default: train.fit defaults)')
    parser.add_argument("-v", "--verbose", action="store_true", help="rank of every query by every method")
    args = parser.parse_args()

    from patina.oxidize.model import load_model
    from patina.scry.recall import load_queries

    embedder = load_model(model_path=args.model, remember=False)
    results = {}
    with tempfile.TemporaryDirectory(prefix="patina-oxrecall-") as tmp:
        fixture_db = build_fixture_db(tmp)
        results["scry_queries (fixtures)"] = evaluate_set(
            "tests/scry_queries.json", fixture_db, load_queries(str(ROOT / "tests" / "scry_queries.json")),
            embedder, args)
    results["scry_paraphrases (real)"] = evaluate_set(
        "bench/scry_paraphrases.json", args.db, load_queries(str(ROOT / "bench" / "scry_paraphrases.json")),
        embedder, args)
    print(f"\nrecall@{args.k} / MRR@{args.k}; model {embedder.identity.name}")
    print(f"{'set':<26} " + " ".join(f"{m:>13}" for m in METHODS) + "  query ms")
    for name, res in results.items():
        print(f"{name:<26} " + " ".join(f"{res[m][0]:.3f}/{res[m][1]:.3f}".rjust(13) for m in METHODS)
              + f"  {res['_query_ms']:.1f}")
    print(f"\nsession@{args.k} (any item of the labelled session in the top {args.k}):")
    for name, res in results.items():
        print(f"{name:<26} " + "  ".join(f"{m} {v:.3f}" for m, v in res["_session"].items()))


if __name__ == "__main__":
    main()
