"""Recall@5 of `patina scry` on the labelled query set (tests/scry_queries.json).

Builds a real git repository in a temp dir with the session fixtures committed under
layer/sessions/ (one a day, in date order), runs the real pipeline, then every query.

    /tmp/venv/bin/python bench/bench_scry_recall.py [-k 5] [-v]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from gitutil import BASE_TIME, Repo  # noqa: E402

from patina import repo as patina_repo, update  # noqa: E402
from patina.scry.recall import evaluate, load_queries, mrr, recall  # noqa: E402

ORDER = ["session_summary_july27.md", "20250728-182427.md", "20251121-065812.md", "20251124-174931.md",
         "20260204-213118.md"]
TARGET = 0.9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", type=int, default=5, help="cut-off rank (default 5)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the top hits of every miss")
    args = parser.parse_args()
    queries = load_queries(str(ROOT / "tests" / "scry_queries.json"))
    with tempfile.TemporaryDirectory(prefix="patina-recall-") as tmp:
        repo = Repo(Path(tmp) / "repo")
        for i, name in enumerate(ORDER):
            text = (ROOT / "tests" / "fixtures" / "sessions" / name).read_text(encoding="utf-8")
            repo.commit(f"session notes: {name}", {f"layer/sessions/{name}": text}, when=BASE_TIME + i * 86_400)
        r = patina_repo.discover(str(repo.path))
        result = update.update(r)
        outcomes = evaluate(r.db_path, queries, k=args.k)
    print(f"log: {result.last_seq} events from {len(ORDER)} session files; {len(queries)} labelled queries")
    print(f"{'rank':>4}  query")
    for o in outcomes:
        print(f"{o.rank if o.rank else '-':>4}  {o.query}")
        if o.rank is None and args.verbose:
            print(f"      expected {o.expected}")
            for line in o.top:
                print(f"        {line}")
    print(f"recall@{args.k} = {recall(outcomes):.3f}   (target >= {TARGET})")
    print(f"MRR@{args.k}    = {mrr(outcomes):.3f}")
    print(f"hit@1     = {sum(o.rank == 1 for o in outcomes) / len(outcomes):.3f}")


if __name__ == "__main__":
    main()
