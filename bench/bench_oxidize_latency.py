"""Latency of a hybrid query: a cold CLI-like process, and warm in a running process (a service).

    .venv/bin/python bench/bench_oxidize_latency.py [--db /tmp/patina-real.db] [--model DIR] [--pad 100000]

Copies the real log to a temp database, stores its documents' vectors (from bench_embed.py's
cache) in ``oxidize_vectors``, optionally pads the table with random unit vectors up to ``--pad``
rows (the 100k case), then measures:

* cold process, light encoder: a new Python process that imports the library, loads the recorded
  query model (onnxruntime + tokenizers, no fastembed), embeds the query, maps the vectors' matrix
  file (write_matrix_file), top-10;
* cold process, fastembed: the same loading the model through fastembed (load_model);
* warm: lexical scry (BM25) + query embedding + VectorIndex top-50 + RRF, per query, in one process.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from oxidize_common import REAL_DB, ROOT, SHARED_MODEL, cached_vectors, load_docs

QUERIES = ["why did we drop the logic programming engine", "error handling in hooks", "where do API keys live",
           "vector storage decision", "how big is the database", "session notes format",
           "speed up the tree-sitter parse", "persona beliefs shared with the team"]


def run(code: str, *args: str, runs: int = 3) -> float:
    walls = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True)
        walls.append(time.perf_counter() - t)
    return statistics.median(walls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=REAL_DB)
    parser.add_argument("--model", default=SHARED_MODEL)
    parser.add_argument("--pad", type=int, default=0, help="pad the vector table to this many rows")
    args = parser.parse_args()

    from patina import store
    from patina.oxidize import fusion, model, vectors
    from patina.scry.search import scry

    embedder = model.load_model(model_path=args.model, remember=False)
    docs = load_docs(args.db)
    vecs = cached_vectors(embedder, [d.text for d in docs])
    with tempfile.TemporaryDirectory(prefix="patina-oxlat-") as tmp:
        db = str(Path(tmp) / "patina.db")
        shutil.copyfile(args.db, db)
        conn = store.connect(db)
        with store.transaction(conn):
            vectors.create(conn)
            vectors.append(conn, [d.seq for d in docs], vecs)
            if args.pad > len(docs):
                extra = np.random.default_rng(0).standard_normal((args.pad - len(docs), embedder.dim)).astype(np.float32)
                extra /= np.linalg.norm(extra, axis=1, keepdims=True)
                start = docs[-1].seq + 1
                vectors.append(conn, range(start, start + len(extra)), extra)
        n = vectors.count(conn)
        vectors.write_matrix_file(conn, tmp)
        conn.close()
        model.save_query_spec(embedder, tmp)
        light = ("import sys; from patina import store; from patina.oxidize import model, vectors; "
                 "e = model.load_query_encoder(sys.argv[2]); q = e.embed_one('why drop the logic engine'); "
                 "c = store.connect(sys.argv[1], readonly=True); print(vectors.search(c, q, 10, cache_dir=sys.argv[2])[0])")
        full = ("import sys; from patina import store; from patina.oxidize import model, vectors; "
                "e = model.load_model(model_path=sys.argv[3], remember=False); q = e.embed_one('why drop the logic engine'); "
                "c = store.connect(sys.argv[1], readonly=True); print(vectors.search(c, q, 10, cache_dir=sys.argv[2])[0])")
        nothing = "import sys"
        print(f"{n} vectors x {embedder.dim} in the database; model {embedder.identity.name}")
        base = run(nothing)
        print(f"cold process, python -c 'import sys' alone:        {base * 1000:7.0f} ms")
        print(f"cold process, light encoder + read + top-10:       {run(light, db, tmp) * 1000:7.0f} ms")
        print(f"cold process, fastembed load_model + read + top-10: {run(full, db, tmp, args.model) * 1000:7.0f} ms")

        conn = store.connect(db, readonly=True)
        index = vectors.VectorIndex()
        index.refresh(conn)
        encoder = model.load_query_encoder(tmp)
        parts = {"lexical": [], "embed": [], "vectors": [], "fusion": [], "total": []}
        for _ in range(3):
            for query in QUERIES:
                t0 = time.perf_counter()
                lexical = [h.seq for h in scry(query, projects=[(None, db)], persona_home=None, limit=50).hits]
                t1 = time.perf_counter()
                q = encoder.embed_one(query)
                t2 = time.perf_counter()
                semantic = [s for s, _ in index.search(conn, q, 50)]
                t3 = time.perf_counter()
                fusion.fuse_keys([lexical, semantic], limit=10)
                t4 = time.perf_counter()
                for key, value in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0)):
                    parts[key].append(value * 1000)
        conn.close()
        print("warm hybrid query (ms): " + ", ".join(
            f"{k} med {statistics.median(v):.1f} / max {max(v):.1f}" for k, v in parts.items()))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
