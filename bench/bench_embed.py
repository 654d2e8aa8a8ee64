"""Embedding throughput on the real Patina knowledge texts: which way of running the model is fastest.

    .venv/bin/python bench/bench_embed.py [--db /tmp/ox2-real/patina.db] [--model DIR] [--sample 8]
        [--rounds 3] [--all]

Texts are what `patina oxidize` embeds (the search index's documents, content + detail cut at
1,000 characters); ``--sample K`` takes every K-th (log order). Configurations, each run once per
round, rounds interleaved so a busy neighbour hurts all alike; the best round is the figure (the
least disturbed), the median beside it:

* fastembed            fastembed's own embed(), texts sorted by length (characters), batches of 32,
                       its default threads, its 512-token cut;
* 1 proc bN capC       the library in this process (onnxruntime's default threads: every core),
                       tokenized first, batches of N by token count, cut at C tokens;
* 2 procs bN capC      the same in two worker processes of one thread each (Embedder.set_workers);
* ... int8             the same with the weight products in int8 (Embedder.use_int8, the recipe's
                       default embed.int8: each text runs alone, so bN is 1);

``--all`` then embeds every text with the library's defaults (what `patina oxidize` does) once.
Build and oxidize the database first (README): ``patina scrape --repo <clone> --db /tmp/ox2-real/patina.db``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED_MODEL = "/work/shared/models/all-MiniLM-L6-v2-int8"


def texts_of(db: str) -> list[str]:
    import sqlite3

    from patina.oxidize.texts import knowledge_docs

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [d.text for d in knowledge_docs(conn, include_removed=True)]
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="/tmp/ox2-real/patina.db")
    parser.add_argument("--model", default=SHARED_MODEL)
    parser.add_argument("--sample", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--configs", default="fastembed,1:16:128,2:16:128,1:1:128:int8,2:1:128:int8",
                        help="fastembed and procs:batch:cap[:int8] entries")
    parser.add_argument("--all", action="store_true", help="then embed every text as `patina oxidize` does")
    args = parser.parse_args()

    from patina.oxidize.model import load_model

    texts = texts_of(args.db)
    sample = texts[::args.sample]
    embedders = {}
    for spec in args.configs.split(","):
        e = load_model(model_path=args.model, remember=False)
        if spec != "fastembed":
            procs, batch, cap = map(int, spec.split(":")[:3])
            if spec.endswith(":int8"):
                assert e.use_int8(tempfile.mkdtemp(prefix="patina-int8-")) == "", "no int8 graph"
            e.set_workers(procs)
            e.batch_size = batch
            e.set_max_tokens(cap)
            e.embed(sample[:300])  # start the workers, warm the arenas
        else:
            list(e._backend.embed(sample[:64], batch_size=32))
        embedders[spec] = e
    tokens = sum(len(ids) for ids in embedders[next(iter(embedders))]._token_ids(sample))
    print(f"{len(texts)} texts; sample {len(sample)} (every {args.sample}th), {tokens / len(sample):.0f} tokens "
          f"each on average (512 cap); model {next(iter(embedders.values())).identity.name}; {os.cpu_count()} cores")
    walls: dict[str, list[float]] = {k: [] for k in embedders}
    loads = []
    for _ in range(args.rounds):
        for spec, e in embedders.items():
            loads.append(os.getloadavg()[0])
            t = time.perf_counter()
            if spec == "fastembed":
                order = sorted(range(len(sample)), key=lambda i: (len(sample[i]), i))
                list(e._backend.embed([sample[i] for i in order], batch_size=32))
            else:
                e.embed(sample)
            walls[spec].append(time.perf_counter() - t)
    print(f"{'configuration':<22} {'best texts/s':>12} {'median':>8}")
    for spec, runs in walls.items():
        label = spec if spec == "fastembed" else "{} procs b{} cap{}".format(*spec.split(":")) + (
            " int8" if spec.endswith(":int8") else "")
        print(f"{label:<22} {len(sample) / min(runs):12.0f} {len(sample) / statistics.median(runs):8.0f}")
    print(f"load average while measuring: {min(loads):.2f}-{max(loads):.2f} (1-minute), target >= 200 texts/s")
    for e in embedders.values():
        e.close()
    if args.all:
        from patina.oxidize.recipe import Recipe
        from patina.oxidize.run import default_workers

        e = load_model(model_path=args.model, remember=False)
        e.set_max_tokens(Recipe().embed.max_tokens)
        e.set_workers(default_workers())
        if Recipe().embed.int8:
            e.use_int8(tempfile.mkdtemp(prefix="patina-int8-"))
        with e:
            t = time.perf_counter()
            e.embed(texts)
            took = time.perf_counter() - t
        print(f"all {len(texts)} texts, library defaults ({e.workers} procs, cap {e.max_tokens}, {e.compute}): "
              f"{took:.1f} s, "
              f"{len(texts) / took:.0f} texts/s; load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
