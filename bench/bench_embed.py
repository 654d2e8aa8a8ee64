"""Embedding throughput on the real Patina knowledge texts: log order vs sorted by length.

    .venv/bin/python bench/bench_embed.py [--db /tmp/patina-real.db] [--model DIR] [--sample 8] [--all]

Texts are the search index's documents (content + detail, cut at 1,000 characters). ``--sample K``
takes every K-th text (in log order) so the comparison stays short on 2 cores; ``--all`` then
embeds every text with the library's default (sorted batches) and caches the vectors for the
other benches. Build the database first:
``python -m patina scrape --repo /work/real/patina --db /tmp/patina-real.db``.
"""

from __future__ import annotations

import argparse
import time

from oxidize_common import REAL_DB, SHARED_MODEL, cached_vectors, load_docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=REAL_DB)
    parser.add_argument("--model", default=SHARED_MODEL)
    parser.add_argument("--sample", type=int, default=8, help="every K-th text for the comparison (default 8)")
    parser.add_argument("--batches", default="16,32,64,256", help="batch sizes to try, sorted")
    parser.add_argument("--all", action="store_true", help="then embed (and cache) every text")
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime threads (default: its own)")
    parser.add_argument("--skip-compare", action="store_true", help="skip the order/batch comparison")
    parser.add_argument("--consistency", type=int, default=0, metavar="N",
                        help="embed N texts in sorted batches and one by one: how far apart (verify's tolerance)")
    args = parser.parse_args()

    from patina.oxidize.model import load_model

    t0 = time.perf_counter()
    embedder = load_model(model_path=args.model, remember=False, threads=args.threads)
    print(f"model {embedder.identity.name} dim {embedder.dim}: loaded in {time.perf_counter() - t0:.2f} s")
    docs = load_docs(args.db)
    texts = [d.text for d in docs]
    sample = texts[::args.sample]
    chars = sum(map(len, sample)) / len(sample)
    print(f"{len(texts)} texts; sample {len(sample)} (every {args.sample}th, mean {chars:.0f} chars)")
    embedder.embed(sample[:64])  # warm-up
    runs = [("log order", False, 256), ("log order", False, 32)]
    runs += [("sorted", True, int(b)) for b in args.batches.split(",")]
    if args.skip_compare:
        runs = []
    else:
        print(f"{'order':<10} {'batch':>5} {'s':>7} {'texts/s':>8}")
    for label, sort, batch in runs:
        t = time.perf_counter()
        embedder.embed(sample, sort=sort, batch_size=batch)
        took = time.perf_counter() - t
        print(f"{label:<10} {batch:>5} {took:7.1f} {len(sample) / took:8.0f}", flush=True)
    if args.consistency:
        import numpy as np

        part = texts[::max(1, len(texts) // args.consistency)][:args.consistency]
        batched = embedder.embed(part)
        single = np.stack([embedder.embed([t])[0] for t in part])
        diff = np.abs(batched - single).max(axis=1)
        cos = (batched * single).sum(axis=1)
        print(f"consistency over {len(part)} texts, sorted batches vs one at a time: max |diff| "
              f"{diff.max():.2e} (median {np.median(diff):.2e}), min cosine {cos.min():.6f}")
    if args.all:
        cached_vectors(embedder, texts)


if __name__ == "__main__":
    main()
