"""Recall@k and MRR@k of lexical, semantic and hybrid `patina scry` on both labelled query sets,
through the library's own path (vectors stored by `patina oxidize`, the recipe's projections,
the fusion of patina.scry.hybrid), and the fusion variants that chose its defaults.

    PATINA_MODEL_PATH=/work/shared/models/all-MiniLM-L6-v2-int8 \\
        .venv/bin/python bench/bench_oxidize_recall.py [--db /tmp/ox2-real/patina.db] [-k 5] [-v]

Sets:

* tests/scry_queries.json over the session fixtures, built here through the real pipeline (as
  bench/bench_scry_recall.py does) and oxidized here with the model;
* bench/scry_paraphrases.json over the real Patina repository's log, which must already be
  oxidized: ``patina scrape --repo <patina clone> --db /tmp/ox2-real/patina.db`` then
  ``patina oxidize --db /tmp/ox2-real/patina.db --repo <clone>``.

A query is answered when one of its top k hits is one of its labelled answers (patina.scry.recall).
Variants (fusion settings passed to scry; the recipe's ``fusion`` section holds the chosen ones):
see VARIANTS below.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from patina.oxidize.recipe import Fusion  # noqa: E402

DEFAULT = Fusion()
# name -> (mode, fusion settings or None for the recipe's)
VARIANTS = {
    "lexical": ("lexical", None),
    "semantic": ("semantic", None),
    "hybrid": ("hybrid", None),  # the defaults (recipe fusion section)
    "rrf plain d50": ("hybrid", Fusion(k=60, depth=50, lexical=1.0, semantic=1.0, temporal=1.0, persona=0.95)),
    "rrf d20": ("hybrid", Fusion(k=60, depth=20, lexical=1.0, semantic=1.0, temporal=1.0, persona=0.95)),
    "rrf d10": ("hybrid", Fusion(k=60, depth=10, lexical=1.0, semantic=1.0, temporal=1.0, persona=0.95)),
    "champions 1 d20": ("hybrid", Fusion(k=60, depth=20, champions=1)),
    "champions 2 d20": ("hybrid", Fusion(k=60, depth=20, champions=2)),
    "champions 1 d10": ("hybrid", Fusion(k=60, depth=10, champions=1)),
    "sem x1.5 d20": ("hybrid", Fusion(k=60, depth=20, semantic=1.5)),
    "sem x2 d20": ("hybrid", Fusion(k=60, depth=20, semantic=2.0)),
    "floor .3 d20": ("hybrid", Fusion(k=60, depth=20, lexical_floor=0.3)),
    "floor .5 d20": ("hybrid", Fusion(k=60, depth=20, lexical_floor=0.5)),
    "k10 d20": ("hybrid", Fusion(k=10, depth=20)),

}


def fixture_db(tmp: str) -> str:
    from bench_scry_recall import ORDER
    from gitutil import BASE_TIME, Repo

    from patina import repo as patina_repo
    from patina.oxidize.run import oxidize
    from patina.runner import run_update

    repo = Repo(Path(tmp) / "repo")
    for i, name in enumerate(ORDER):
        text = (ROOT / "tests" / "fixtures" / "sessions" / name).read_text(encoding="utf-8")
        repo.commit(f"session notes: {name}", {f"layer/sessions/{name}": text}, when=BASE_TIME + i * 86_400)
    r = patina_repo.discover(str(repo.path))
    run_update(r)
    oxidize(r)
    return r.db_path


def evaluate(db: str, queries: list[dict], k: int, verbose: bool) -> dict[str, tuple[float, float, float]]:
    """variant -> (recall@k, MRR@k, median query ms)."""
    from patina.scry.recall import matches
    from patina.scry.search import scry
    from patina.scry.semantic import Engine

    engine = Engine(keep=True)  # the model loaded once, as a service holds it
    data_dirs = {db: os.path.dirname(db)}
    scry("warm up", projects=[(None, db)], persona_home=None, engine=engine, data_dirs=data_dirs)
    out = {}
    ranks: dict[str, list] = {}
    for name, (mode, fusion) in VARIANTS.items():
        found, times = [], []
        for spec in queries:
            t = time.perf_counter()
            hits = scry(spec["query"], projects=[(None, db)], persona_home=None, limit=k, mode=mode, engine=engine,
                        data_dirs=data_dirs, fusion=fusion).hits
            times.append((time.perf_counter() - t) * 1000)
            found.append(next((i + 1 for i, h in enumerate(hits) if matches(h.type, h.origin, h.content, spec)), None))
        ranks[name] = found
        times.sort()
        out[name] = (sum(r is not None for r in found) / len(found), sum(1 / r for r in found if r) / len(found),
                     times[len(times) // 2])
    if verbose:
        for i, spec in enumerate(queries):
            marks = " ".join(f"{n.split()[0][:4]}={ranks[n][i] or '-'}" for n in ("lexical", "semantic", "hybrid"))
            print(f"  {marks:<24} {spec['query'][:80]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="/tmp/ox2-real/patina.db", help="the real Patina log, oxidized")
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("-v", "--verbose", action="store_true", help="rank of every query by each mode")
    args = parser.parse_args()
    os.environ.setdefault("PATINA_MODEL_PATH", "/work/shared/models/all-MiniLM-L6-v2-int8")

    from patina import store
    from patina.oxidize import state
    from patina.scry.recall import load_queries

    results = {}
    with tempfile.TemporaryDirectory(prefix="patina-oxrecall-") as tmp:
        db = fixture_db(tmp)
        print("tests/scry_queries.json (session fixtures):")
        results["scry_queries (fixtures)"] = evaluate(db, load_queries(str(ROOT / "tests" / "scry_queries.json")),
                                                      args.k, args.verbose)
    conn = store.connect(args.db, readonly=True)
    try:
        model, projections = state.stored_identity(conn), state.projections(conn)
    finally:
        conn.close()
    print("bench/scry_paraphrases.json (real Patina log):")
    results["scry_paraphrases (real)"] = evaluate(
        args.db, load_queries(str(ROOT / "bench" / "scry_paraphrases.json")), args.k, args.verbose)
    print(f"\nrecall@{args.k} / MRR@{args.k}; model {model.name if model else '?'}; load {os.getloadavg()[0]:.2f}")
    for name, p in projections.items():
        print(f"projection {name}: held-out R@10 {p['base']['recall']:.3f} -> {p['projected']['recall']:.3f}, "
              f"MRR {p['base']['mrr']:.3f} -> {p['projected']['mrr']:.3f}: {'used' if p['used'] else 'not used'}")
    print(f"{'variant':<16} " + "  ".join(f"{s:>28}" for s in results))
    for name in VARIANTS:
        print(f"{name:<16} " + "  ".join(
            f"{res[name][0]:.3f} / {res[name][1]:.3f} ({res[name][2]:5.1f} ms)".rjust(28) for res in results.values()))


if __name__ == "__main__":
    main()
