"""``patina verify`` for the vectors: re-embed into the fresh build and compare within a tolerance.

The eventlog is byte-identical across machines; vectors are not (the same model on the same text
gives slightly different floats depending on the batch it ran in and the CPU), so they are
compared within :data:`TOLERANCE` (:func:`patina.oxidize.vectors.compare`): the same seqs, each
vector within the tolerance. Projections are retrained on the fresh vectors and compared by their
matrices (:data:`PROJECTION_TOLERANCE`) and their held-out figures. When no model is available
locally (never downloaded by verify), or it is not the one the vectors were made with, the
tables are reported as skipped, with the reason: never silently.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from patina.oxidize import state

TOLERANCE = 1e-3  # largest absolute difference of one vector component
PROJECTION_TOLERANCE = 2e-2  # of one matrix entry (training amplifies the vectors' small differences)
FIGURE_TOLERANCE = 0.02  # of a held-out recall or MRR
TABLES = (state.VECTORS, state.PROJECTIONS, "oxidize_meta")
# oxidize_meta keys that are a function of the log, the recipe and the model (the generation counter is not)
META_KEYS = ("model", "recipe", "recipe_blob", "recipe_hash", "vectors_hash")


def compare(live: sqlite3.Connection, fresh_path: str, data_dir: str | None) -> tuple[dict[str, str], list[str]]:
    """(table -> "identical..." | "different..." | "skipped: ...", one line per difference).
    ``fresh_path``: the rebuilt database, without vectors; they are made here, up to the live
    progress, with the model found locally."""
    from patina import store
    from patina.errors import PatinaError
    from patina.oxidize import run, vectors
    from patina.oxidize.materializer import Embeddings

    if not state.is_set_up(live):
        empty = not state.has_vectors(live)
        return {t: "identical (no vectors)" if empty else "different" for t in TABLES}, (
            [] if empty else ["oxidize_vectors holds vectors without a record of their model"])
    recipe = state.stored_recipe(live)
    identity = state.stored_identity(live)
    try:
        embedder = run.load_embedder(recipe, data_dir=data_dir, remember=False, workers=run.default_workers())
    except PatinaError as exc:
        why = f"skipped: cannot re-embed ({exc})"
        return {t: why for t in TABLES}, []
    with embedder:
        return _compare(live, fresh_path, recipe, identity, embedder)


def _compare(live, fresh_path, recipe, identity, embedder) -> tuple[dict[str, str], list[str]]:
    from patina import store
    from patina.oxidize import run, vectors
    from patina.oxidize.materializer import Embeddings

    if embedder.identity != identity:
        why = (f"skipped: the local model ({embedder.identity.label()}) is not the one "
               f"the vectors were made with ({identity.label()})")
        return {t: why for t in TABLES}, []
    through = state.progress(live)
    fresh = store.connect(fresh_path)
    try:
        with store.transaction(fresh):
            run.write_meta(fresh, recipe, identity, state.get(live, "recipe_blob"))
            docs = [d for d in run.documents(fresh, recipe, 0) if d.seq <= through]
            if docs:
                run.append_vectors(fresh, docs, embedder.embed([d.text for d in docs]))
            store.set_progress(fresh, Embeddings.name, through, None)
        out: dict[str, str] = {}
        problems: list[str] = []
        diff = vectors.compare(vectors.load(fresh), vectors.load(live), TOLERANCE)
        n = state.vector_count(live)
        if diff is None:
            out[state.VECTORS] = f"identical within {TOLERANCE:g} ({n} vectors)"
        else:
            out[state.VECTORS] = "different"
            problems.append(f"oxidize_vectors: seq {diff.seq}: {diff.what}")
        meta_live = {k: state.get(live, k) for k in META_KEYS}
        meta_fresh = {k: state.get(fresh, k) for k in META_KEYS}
        bad = [k for k in META_KEYS if meta_live[k] != meta_fresh[k]]
        out["oxidize_meta"] = "identical" if not bad else "different"
        problems += [f"oxidize_meta: {k} differs" for k in bad]
    finally:
        fresh.close()
    verdict, lines = _projections(live, fresh_path, recipe)
    out[state.PROJECTIONS] = verdict
    return out, problems + lines


def _projections(live: sqlite3.Connection, fresh_path: str, recipe) -> tuple[str, list[str]]:
    """Retrain the live projections on the fresh vectors and compare."""
    import numpy as np

    from patina import store
    from patina.oxidize import run

    stored = state.projections(live)
    if not stored:
        return "identical (none)", []
    through = state.progress(live)
    stale = sorted(n for n, info in stored.items() if info.get("trained_through") != through)
    if stale:
        return (f"skipped: {', '.join(stale)} trained on other vectors than the current ones "
                "(run `patina oxidize`)"), []
    run.train_projections(fresh_path, recipe, wait=None)
    fresh = store.connect(fresh_path, readonly=True)
    try:
        again = state.projections(fresh)
        mats_live, mats_fresh = _matrices(live), _matrices(fresh)
    finally:
        fresh.close()
    problems = []
    worst = 0.0
    for name, info in stored.items():
        other = again.get(name)
        if other is None or name not in mats_live or name not in mats_fresh:
            problems.append(f"oxidize_projections: {name} was not retrained")
            continue
        worst = max(worst, float(np.abs(mats_live[name] - mats_fresh[name]).max()))
        for side in ("base", "projected"):
            for figure in ("recall", "mrr"):
                a, b = info[side][figure], other[side][figure]
                if abs(a - b) > FIGURE_TOLERANCE:
                    problems.append(f"oxidize_projections: {name} {side} {figure} {a:.3f} vs {b:.3f}")
    if worst > PROJECTION_TOLERANCE:
        problems.append(f"oxidize_projections: matrices differ by {worst:.2e}")
    if problems:
        return "different", problems
    return f"identical within {PROJECTION_TOLERANCE:g} ({len(stored)} retrained, largest difference {worst:.1e})", []


def _matrices(conn: sqlite3.Connection) -> dict[str, Any]:
    import numpy as np

    out = {}
    for name, blob in conn.execute(f"SELECT name, matrix FROM {state.PROJECTIONS}"):
        flat = np.frombuffer(blob, dtype="<f4")
        d = int(round(len(flat) ** 0.5))
        out[name] = flat.reshape(d, d)
    return out
