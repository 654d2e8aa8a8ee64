"""Latency of hybrid `patina scry` on a large log: warm through the service, and cold CLI calls.

    .venv/bin/python bench/bench_oxidize_latency.py [--events 120000] [--model DIR] [--repeat 5]
        [--real /tmp/ox2-real/patina.db]

Builds bench_scry.py's synthetic log (default 120,000 events, every one a knowledge event: the
worst case), brings its derived tables current, and gives every document a vector: random unit
vectors (384 dimensions) written through the oxidize materializer's own functions, recorded as
made by the model given (the shared MiniLM by default), whose light query encoder is saved in
the data directory as `patina oxidize` does. The vectors are random, so semantic ranks mean
nothing here; the work per query (embed the query, one matrix product over every vector,
BM25, the temporal probe, fusion) is the real one. Then:

* warm, service: POST /scry {"mode": "hybrid"} to a running service (models and matrices
  loaded), per query after one warm-up, and the same through `scry()` in-process with a kept
  engine (the part the HTTP layer does not pay);
* cold CLI: a new `python -m patina scry` process per query, in-process (PATINA_SCRY_LOCAL=1:
  imports, light encoder, matrix file mapped) and through the running service;
* with --real: the cold in-process CLI on the real Patina log (its real vectors).

Targets (the issue): warm hybrid < 50 ms through the service; cold CLI < 1.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

QUERIES = ["why did we drop the logic programming engine", "error handling in hooks", "where do API keys live",
           "vector storage decision", "how big is the database", "session notes format",
           "speed up the tree-sitter parse", "persona beliefs shared with the team", "what changed in src/main.rs",
           "release process"]
SHARED_MODEL = "/work/shared/models/all-MiniLM-L6-v2-int8"


def build(tmp: str, events: int, model_dir: str) -> tuple[str, str]:
    """(work tree with a git repo, database path) of the synthetic log with vectors."""
    import numpy as np

    from bench_scry import synthetic_events
    from patina import derived, store
    from patina.oxidize import model, recipe, run, state, vectors

    work = Path(tmp) / "proj"
    (work / ".patina" / "data").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    db = str(work / ".patina" / "data" / "patina.db")
    conn = store.connect(db)
    store.create_schema(conn)
    with store.transaction(conn):
        store.append(conn, synthetic_events(events, random.Random(7)), 0)
        derived.absorb_all(conn)
    embedder = model.load_model(model_path=model_dir, remember=False)
    if recipe.Recipe().embed.int8:  # the query encoder saved below runs what `patina oxidize` would
        embedder.use_int8(model.int8_cache_dir(os.path.dirname(db)))
    seqs = [r[0] for r in conn.execute("SELECT seq FROM scry_docs ORDER BY seq")]
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((len(seqs), embedder.dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    with store.transaction(conn):
        run.write_meta(conn, recipe.Recipe(), embedder.identity)
        vectors.append(conn, seqs, vecs)
        last, ts = store.last_event(conn)
        store.set_progress(conn, state.NAME, last, ts)
    vectors.write_matrix_file(conn, os.path.dirname(db))
    model.save_query_spec(embedder, os.path.dirname(db))
    conn.close()
    return str(work), db


def summary(ms: list[float]) -> str:
    ms = sorted(ms)
    p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
    return f"median {statistics.median(ms):7.1f} ms  p90 {p90:7.1f} ms  max {ms[-1]:7.1f} ms  ({len(ms)} runs)"


def cold(work: str, db: str, env: dict, queries: list[str]) -> list[float]:
    out = []
    for q in queries:
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "patina", "scry", q, "--repo", work, "--db", db, "--no-persona",
                               "--mode", "hybrid"], capture_output=True, text=True, env=env)
        out.append((time.perf_counter() - t) * 1000)
        if proc.returncode != 0 or proc.stderr.strip():
            print(f"  ({q!r}: exit {proc.returncode}: {proc.stderr.strip()[:200]})")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=120_000)
    parser.add_argument("--model", default=SHARED_MODEL)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--real", default=None, help="also: cold CLI on this oxidized real log (its work tree: "
                                                     "--real-repo)")
    parser.add_argument("--real-repo", default="/tmp/ox2-real-src")
    args = parser.parse_args()

    from patina.scry.search import scry
    from patina.scry.semantic import Engine
    from patina.scry.service import RunningServer

    with tempfile.TemporaryDirectory(prefix="patina-oxlat-") as tmp:
        t = time.perf_counter()
        work, db = build(tmp, args.events, args.model)
        from patina import store
        from patina.oxidize import state

        conn = store.connect(db, readonly=True)
        n_events, n_vectors = store.last_seq(conn), state.vector_count(conn)
        conn.close()
        print(f"synthetic log: {n_events:,} events, {n_vectors:,} vectors x 384 (built in {time.perf_counter() - t:.0f} s)")

        engine = Engine(keep=True)
        dirs = {db: os.path.dirname(db)}
        inproc = []
        for q in QUERIES:
            scry(q, projects=[(None, db)], persona_home=None, mode="hybrid", engine=engine, data_dirs=dirs)
            for _ in range(args.repeat):
                t = time.perf_counter()
                scry(q, projects=[(None, db)], persona_home=None, mode="hybrid", engine=engine, data_dirs=dirs)
                inproc.append((time.perf_counter() - t) * 1000)

        home = os.path.join(tmp, "home")
        os.makedirs(home)
        with open(os.path.join(home, "projects.registry"), "w") as fh:
            fh.write(f"bench: {json.dumps(work)}\n")
        env = {**os.environ, "PATINA_HOME": home, "PYTHONPATH": str(ROOT)}
        http = []
        with RunningServer(home_dir=home, announce=True) as srv:
            for q in QUERIES:
                body = json.dumps({"query": q, "persona": False, "mode": "hybrid"}).encode()
                req = urllib.request.Request(srv.url + "/scry", data=body, headers={"content-type": "application/json"})
                urllib.request.urlopen(req, timeout=60).read()
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    urllib.request.urlopen(req, timeout=60).read()
                    http.append((time.perf_counter() - t) * 1000)
            via_service = cold(work, db, {**env, "PATINA_SCRY_LOCAL": "0"}, QUERIES)
        local = cold(work, db, {**env, "PATINA_SCRY_LOCAL": "1"}, QUERIES)
        print(f"warm hybrid, service (HTTP POST /scry):   {summary(http)}   target < 50 ms")
        print(f"warm hybrid, scry() in-process (kept):    {summary(inproc)}")
        print(f"cold CLI, through the running service:    {summary(via_service)}   target < 1.5 s")
        print(f"cold CLI, in-process (light encoder):     {summary(local)}   target < 1.5 s")
    if args.real:
        env = {**os.environ, "PATINA_SCRY_LOCAL": "1", "PYTHONPATH": str(ROOT)}
        conn = store.connect(args.real, readonly=True)
        n_events, n_vectors = store.last_seq(conn), state.vector_count(conn)
        conn.close()
        real = cold(args.real_repo, args.real, env, QUERIES)
        print(f"real Patina log ({n_events:,} events, {n_vectors:,} vectors), cold CLI in-process: {summary(real)}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
