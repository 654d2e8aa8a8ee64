"""``patina oxidize``: bring the vectors and projections of a project's log current.

    recipe (from the commit the log is built for) -> model -> embed what is new, in chunks ->
    train the recipe's projections -> record what they were made with -> caches for cold scry

Incremental like every derived table: only documents past the ``oxidize`` materializer's
progress are embedded; a changed recipe (its embedding part) or another model starts over.
The model runs *outside* the update lock: each chunk is read under the lock, embedded without
it, and written under it again only if the documents it embedded are still the log's (a hook
may have truncated and replayed meanwhile), so hooks are never held up for long.

:func:`catch_up` is the small version the next ``patina scry`` (or ``patina serve``) runs with
the model it already has for the query: a short backlog (the session notes a commit just
added) is embedded and stored on the spot. :func:`background` is what the hooks' background job
runs when the backlog is long or the recipe changed. None of this is imported on the hook path.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from patina import store
from patina.oxidize import state

CHUNK = 512  # documents embedded between two visits to the lock
LOCK_WAIT_INLINE = 2.0  # seconds scry waits for the lock to store what it embedded


@dataclass
class OxidizeResult:
    model: str
    compute: str = "float"  # the model's weight products: float or int8
    embedded: int = 0  # documents embedded by this run
    vectors: int = 0  # vectors stored now
    through: int = 0  # the last seq considered
    seconds: float = 0.0
    embed_seconds: float = 0.0
    started_over: str | None = None  # why every vector was dropped first
    notes: list[str] = field(default_factory=list)  # what the recipe asks for that is ignored
    projections: list[dict[str, Any]] = field(default_factory=list)

    @property
    def texts_per_second(self) -> float:
        return self.embedded / self.embed_seconds if self.embed_seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["texts_per_second"] = round(self.texts_per_second, 1)
        return out

    def lines(self) -> list[str]:
        out = [f"note: {n}" for n in self.notes]
        if self.started_over:
            out.append(f"started over: {self.started_over}")
        rate = f" in {self.embed_seconds:.1f} s ({self.texts_per_second:.0f} texts/s)" if self.embedded else ""
        out.append(f"embedded {self.embedded} document(s){rate} with {self.model} ({self.compute}); {self.vectors} vectors "
                   f"through seq {self.through} ({self.seconds:.1f} s in all)")
        for p in self.projections:
            if p.get("skipped"):
                out.append(f"projection {p['name']}: {p['skipped']}")
                continue
            out.append(f"projection {p['name']} ({p['method']}, {p['train_pairs']} training pairs, "
                       f"{p['base']['pairs']} held out): recall@10 {p['base']['recall']:.3f} -> "
                       f"{p['projected']['recall']:.3f}, MRR {p['base']['mrr']:.3f} -> {p['projected']['mrr']:.3f}"
                       f" (z {p['gain_z']:.1f}): " + ("used by scry" if p["used"] else
                                                       "not used (no better than the plain vectors)"))
        return out


# --------------------------------------------------------------------------------- building blocks

def documents(conn, recipe, after_seq: int, limit: int | None = None):
    """What the recipe embeds after ``after_seq`` (see :func:`patina.oxidize.texts.embeddable`)."""
    from patina.oxidize.texts import embeddable

    return embeddable(conn, after_seq=after_seq, types=recipe.embed.types, code_symbols=recipe.embed.code_symbols,
                      max_chars=recipe.embed.max_chars, limit=limit)


def write_meta(conn, recipe, identity, recipe_blob: str | None = None) -> None:
    from patina.events import canonical_json

    state.put(conn, "recipe_blob", recipe_blob)
    state.put(conn, "recipe", canonical_json(recipe.as_dict()))
    state.put(conn, "recipe_hash", recipe.hash())
    state.put(conn, "vectors_hash", recipe.vectors_hash())
    state.put(conn, "model", identity.to_json())


def append_vectors(conn, docs, vecs) -> int:
    from patina.oxidize import vectors

    return vectors.append(conn, [d.seq for d in docs], vecs)


def start_over_reason(conn, recipe, identity) -> str | None:
    """Why the stored vectors cannot be extended with this recipe and model (None: they can)."""
    stored = state.stored_identity(conn)
    if stored is None:
        return "no vectors yet" if state.has_vectors(conn) else None
    if stored != identity:
        return f"the model changed ({stored.label()} -> {identity.label()})"
    if state.get(conn, "vectors_hash") != recipe.vectors_hash():
        return "the recipe changed what is embedded, or how"
    return None


def commit_chunk(conn, recipe, identity, after: int, docs, vecs, *, final: bool) -> bool:
    """Store the vectors of ``docs`` (the documents after ``after`` read earlier, embedded without
    the lock) and move the progress, if they are still what the log holds: the progress is still
    ``after``, the model the same, and the documents after ``after`` the same ones (a hook may
    have truncated and replayed meanwhile). ``final``: ``docs`` were all the documents there were,
    so the progress moves to the log's last seq. Runs in the caller's transaction, under the lock.
    Returns whether anything was stored."""
    if state.progress(conn) != after or state.stored_identity(conn) != identity:
        return False
    again = documents(conn, recipe, after, limit=len(docs) + (1 if final else 0))
    if [(d.seq, d.text) for d in again] != [(d.seq, d.text) for d in docs]:
        return False
    if docs:
        append_vectors(conn, docs, vecs)
    if final:
        through, ts = store.last_event(conn)
    else:
        through, ts = docs[-1].seq, docs[-1].timestamp
    store.set_progress(conn, state.NAME, through, ts)
    return True


def _open(repo_or_path):
    from patina.errors import DatabaseError

    path = getattr(repo_or_path, "db_path", repo_or_path)
    conn = store.connect(path)
    if store.health(conn, quick=True) != "ok":
        conn.close()
        raise DatabaseError(f"{path} is not a current Patina database: run `patina scrape`")
    return conn


# ----------------------------------------------------------------------------------- patina oxidize

def load_embedder(recipe, *, model_path=None, data_dir=None, remember: bool = True, workers: int = 1):
    """The recipe's model, cut at its max_tokens, computing in int8 where the recipe says and the
    model allows (ModelUnavailable, one line, when there is none).
    ``workers``: processes for large jobs (`patina oxidize` uses one per core, at most
    :data:`MAX_WORKERS`; ``PATINA_EMBED_WORKERS`` overrides)."""
    from patina.oxidize.model import load_model

    embedder = load_model(recipe.embedding_model, model_path, data_dir=data_dir, remember=remember)
    embedder.set_max_tokens(recipe.embed.max_tokens)
    embedder.set_workers(workers)
    if recipe.embed.int8:
        from patina.oxidize.model import int8_cache_dir

        embedder.use_int8(int8_cache_dir(data_dir))
    return embedder


MAX_WORKERS = 4


def default_workers() -> int:
    """Worker processes for a large embedding job: $PATINA_EMBED_WORKERS, else one per core (at most 4)."""
    try:
        return max(1, int(os.environ["PATINA_EMBED_WORKERS"]))
    except (KeyError, ValueError):
        return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def oxidize(repo, *, model_path: str | None = None, full: bool = False, embedder=None,
            progress: Callable[[int, int], None] | None = None, waiting=None,
            wait: float | None = None) -> OxidizeResult:
    """Embed what is new, train the recipe's projections, write the caches a cold scry maps.

    ``model_path``: a local model directory (remembered in the data directory); ``embedder``: an
    already loaded one (tests, the background job). ``full``: drop every vector first.
    ``progress(done, total)``: documents embedded so far. Raises ConfigError (bad recipe),
    ModelUnavailable (no model: one line), DatabaseError (no current log)."""
    from patina.oxidize import recipe as recipes

    start = time.monotonic()
    store.require(repo.db_path)
    conn = _open(repo)
    try:
        head = store.get_meta(conn, "head")
    finally:
        conn.close()
    from patina.config import blob_ids

    blob = blob_ids(repo.git_dir, head, [recipes.RECIPE_PATH])[0] if head else None
    recipe = recipes.load(repo.git_dir, head)
    own = embedder is None
    if own:
        embedder = load_embedder(recipe, model_path=model_path, data_dir=repo.data_dir, workers=default_workers())
    try:
        return _oxidize(repo, recipe, blob, embedder, full, progress, waiting, wait, start)
    finally:
        if own:
            embedder.close()


def _oxidize(repo, recipe, blob, embedder, full, progress, waiting, wait, start) -> OxidizeResult:
    from patina.oxidize.materializer import Embeddings

    notes = list(recipe.notes)
    if recipe.embed.int8 and embedder.int8_note:
        notes.append(f"embed.int8: {embedder.int8_note}; computing in float")
    result = OxidizeResult(model=embedder.identity.name, compute=embedder.compute, notes=notes)
    total = None
    first = True
    while True:
        with _locked(repo.db_path, wait, waiting):
            conn = _open(repo)
            try:
                with store.transaction(conn):
                    if first:
                        why = "--full" if full else start_over_reason(conn, recipe, embedder.identity)
                        if why and (state.has_vectors(conn) or state.is_set_up(conn)):
                            Embeddings().reset(conn)
                            store.set_progress(conn, state.NAME, 0, None)
                            result.started_over = why
                        write_meta(conn, recipe, embedder.identity, blob)
                        first = False
                after = state.progress(conn)
                if total is None:
                    total = state.backlog(conn, recipe)
                docs = documents(conn, recipe, after, limit=CHUNK)
                final = len(docs) < CHUNK
                if not docs:
                    with store.transaction(conn):
                        commit_chunk(conn, recipe, embedder.identity, after, [], None, final=True)
                    result.vectors = state.vector_count(conn)
                    result.through = state.progress(conn)
                    break
            finally:
                conn.close()
        t = time.perf_counter()
        vecs = embedder.embed([d.text for d in docs])
        result.embed_seconds += time.perf_counter() - t
        with _locked(repo.db_path, wait, waiting):
            conn = _open(repo)
            try:
                with store.transaction(conn):
                    if commit_chunk(conn, recipe, embedder.identity, after, docs, vecs, final=final):
                        result.embedded += len(docs)
            finally:
                conn.close()
        if progress is not None:
            progress(result.embedded, max(total or 0, result.embedded))
    result.projections = train_projections(repo.db_path, recipe, waiting=waiting, wait=wait)
    _write_caches(repo, embedder)
    result.seconds = time.monotonic() - start
    return result


def _locked(db_path: str, wait, waiting):
    """The update lock of ``db_path`` (LockBusy if ``wait`` runs out)."""
    from contextlib import contextmanager

    from patina.errors import LockBusy
    from patina.lock import holder, locked

    @contextmanager
    def hold():
        with locked(db_path, wait=wait, what="patina oxidize", waiting=waiting) as got:
            if not got:
                raise LockBusy(f"the lock is held by {holder(db_path) or 'another patina'}")
            yield

    return hold()


def _write_caches(repo, embedder) -> None:
    """The matrix file and the light query encoder's spec in the data directory (caches: a cold
    scry maps the one and loads the other instead of fastembed)."""
    from patina.oxidize import model, vectors

    conn = store.connect(repo.db_path, readonly=True)
    try:
        vectors.write_matrix_file(conn, repo.data_dir)
    finally:
        conn.close()
    model.save_query_spec(embedder, repo.data_dir)


# ----------------------------------------------------------------------------------- projections

def pairs_for(conn, name: str, seqs: list[int], config=None) -> list[tuple[int, int]]:
    from patina.oxidize import pairs

    if name == "semantic":
        return pairs.semantic_pairs(conn, seqs=seqs)
    if name == "temporal":
        max_files = config.cochange.max_files if config is not None else 30
        return pairs.temporal_pairs(conn, max_files=max_files, seqs=seqs)
    return pairs.dependency_pairs(conn, seqs=seqs)


def train_projections(db_path: str, recipe, *, waiting=None, wait: float | None = None) -> list[dict[str, Any]]:
    """Train every projection the recipe enables whose stored one is stale (other settings, or
    trained on other vectors), validated on the newest ``holdout`` of events; drop the ones the
    recipe no longer enables. Deterministic for the same vectors, pairs and settings."""
    from patina.derived._common import team_config
    from patina.oxidize import vectors
    from patina.oxidize.train import train_projection

    out = []
    for name in recipe.enabled_projections() + [n for n in ("semantic", "temporal", "dependency")
                                                  if n not in recipe.enabled_projections()]:
        enabled = name in recipe.enabled_projections()
        with _locked(db_path, wait, waiting):
            conn = _open(db_path)
            try:
                stored = state.projections(conn).get(name)
                through = state.progress(conn)
                if not enabled:
                    if stored is not None:
                        with store.transaction(conn):
                            conn.execute(f"DELETE FROM {state.PROJECTIONS} WHERE name = ?", (name,))
                    continue
                if stored is not None and stored.get("hash") == recipe.projection_hash(name) \
                        and stored.get("trained_through") == through:
                    out.append({**stored, "name": name})
                    continue
                matrix = vectors.load(conn)
                pairs = pairs_for(conn, name, matrix.seqs.tolist(), team_config(conn))
            finally:
                conn.close()
        settings = recipe.projection(name)
        if len(matrix) < 10 or not pairs:
            out.append({"name": name, "skipped": f"not trained: {len(pairs)} pairs among {len(matrix)} vectors"})
            continue
        proj = train_projection(matrix.rows, matrix.seqs, pairs, name=name, method=settings.method, mode="query",
                                holdout=settings.holdout, seed=settings.seed, epochs=settings.epochs,
                                lr=settings.lr, temperature=settings.temperature, batch=settings.batch_size,
                                ridge=settings.ridge)
        info = {"hash": recipe.projection_hash(name), "method": proj.method, "trained_through": through,
                "cut_seq": proj.cut_seq, "train_pairs": proj.train_pairs, "pairs": len(pairs),
                "base": _scores(proj.base), "projected": _scores(proj.projected),
                "gain_z": round(proj.gain_z, 3) if abs(proj.gain_z) != float("inf") else 0.0,
                "used": bool(proj.beats_base)}
        with _locked(db_path, wait, waiting):
            conn = _open(db_path)
            try:
                with store.transaction(conn):
                    if state.progress(conn) == through:
                        from patina.events import canonical_json

                        conn.execute(f"INSERT OR REPLACE INTO {state.PROJECTIONS}(name, matrix, info) VALUES (?, ?, ?)",
                                     (name, vectors.to_blob(proj.matrix), canonical_json(info)))
            finally:
                conn.close()
        out.append({**info, "name": name})
    return out


def _scores(s) -> dict[str, Any]:
    return {"recall": round(s.recall, 4), "mrr": round(s.mrr, 4), "pairs": s.pairs, "k": s.k}


def used_projections(conn) -> dict[str, Any]:
    """name -> (d, d) matrix of the stored projections that beat the base on held-out pairs."""
    import numpy as np

    out = {}
    try:
        rows = conn.execute(f"SELECT name, matrix, info FROM {state.PROJECTIONS} ORDER BY name").fetchall()
    except Exception:  # noqa: BLE001 - no table: no projection
        return out
    for name, blob, info in rows:
        try:
            if not json.loads(info).get("used"):
                continue
        except ValueError:
            continue
        flat = np.frombuffer(blob, dtype="<f4")
        d = int(round(len(flat) ** 0.5))
        if d * d == len(flat):
            out[name] = flat.reshape(d, d).astype(np.float32)
    return out


# ------------------------------------------------------------------------------ keeping current

def catch_up(db_path: str, encoder, *, max_texts: int = state.INLINE_MAX, wait: float = LOCK_WAIT_INLINE):
    """Embed the few documents the vectors lack with ``encoder`` (the query model a scry or the
    service already loaded) and store them. Returns (documents stored, rows embedded but not
    stored (a :class:`~patina.oxidize.vectors.Matrix`, or None), why nothing was done or None).

    Nothing is done when oxidize never ran, the encoder is not the model the vectors were made
    with, or the backlog is longer than ``max_texts`` (the hooks' background job, or `patina
    oxidize`, embeds it). When the lock or a writable database cannot be had, the embedded rows
    come back for this query only."""
    import sqlite3

    import numpy as np

    from patina.lock import locked
    from patina.oxidize import vectors

    conn = store.connect(db_path, readonly=True)
    try:
        recipe = state.stored_recipe(conn)
        identity = state.stored_identity(conn)
        if recipe is None or identity is None:
            return 0, None, "no vectors"
        if identity != encoder.identity:
            return 0, None, "model"
        after = state.progress(conn)
        if after == store.last_seq(conn):
            return 0, None, None
        if state.backlog(conn, recipe, limit=max_texts) > max_texts:
            return 0, None, "backlog"
        docs = documents(conn, recipe, after)
    finally:
        conn.close()
    vecs = encoder.embed([d.text for d in docs]) if docs else None
    try:
        with locked(db_path, wait=wait, what="patina scry (embedding new documents)") as got:
            if got:
                conn = _open(db_path)
                try:
                    with store.transaction(conn):
                        if commit_chunk(conn, recipe, encoder.identity, after, docs, vecs, final=True):
                            return len(docs), None, None
                finally:
                    conn.close()
    except (OSError, sqlite3.OperationalError):  # a database or directory this user cannot write
        pass
    if not docs:
        return 0, None, None
    return 0, vectors.Matrix(np.array([d.seq for d in docs], dtype=np.int64), vecs), None


def background(repo, log: Callable[[str], None]) -> None:
    """What the hooks' background job runs after the log is current, when
    :func:`patina.oxidize.state.wanted_in_background` says so: `patina oxidize` with the model
    the project uses (its remembered directory, $PATINA_MODEL_PATH, or fastembed's cache),
    logging how it went (a missing model is one line in hook.log)."""
    from patina.errors import PatinaError

    try:
        result = oxidize(repo, wait=None)
    except PatinaError as exc:
        log(f"oxidize: {exc}")
        return
    log("oxidize: " + "; ".join(result.lines()))
