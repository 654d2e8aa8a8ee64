"""The embeddings as derived state: a *lazy* materializer (see :mod:`patina.derived`).

Rolled back with the log like every materializer (a truncated log drops the vectors past the
cut, and the projections trained on them), but never absorbed by an update or a hook: absorbing
needs a model, which only `patina oxidize`, a background job it starts, the next `patina scry`
or `patina serve` load (:mod:`patina.oxidize.run`). Importing this module imports nothing heavy:
the hook path rolls it back.
"""

from __future__ import annotations

import sqlite3

from patina.oxidize import state


class Embeddings:
    name = state.NAME
    tables = (state.VECTORS, state.PROJECTIONS, "oxidize_meta")
    incremental = True
    lazy = True

    def __init__(self, embedder=None, recipe=None) -> None:
        self.embedder = embedder  # anything with .embed(texts) -> (n, dim) unit rows and .identity
        self.recipe = recipe

    def reset(self, conn: sqlite3.Connection) -> None:
        from patina.oxidize import vectors

        vectors.truncate(conn, 0)  # bumps the generation: a cached matrix reloads
        conn.execute(f"DELETE FROM {state.PROJECTIONS}")
        state.clear(conn)

    def truncate(self, conn: sqlite3.Connection, keep_through: int) -> None:
        """Drop the vectors of the events after ``keep_through`` and the projections trained on
        any of them (called before the log is cut)."""
        from patina.oxidize import vectors

        vectors.truncate(conn, keep_through)
        for name, info in state.projections(conn).items():
            if int(info.get("trained_through", 0)) > keep_through:
                conn.execute(f"DELETE FROM {state.PROJECTIONS} WHERE name = ?", (name,))

    def absorb(self, conn: sqlite3.Connection, after_seq: int) -> None:
        """Embed every document after ``after_seq`` in one go (``patina oxidize`` works in chunks
        through :mod:`patina.oxidize.run`; this is the whole-log path verify and tests use)."""
        if self.embedder is None or self.recipe is None:
            raise RuntimeError("the oxidize materializer needs a model: run `patina oxidize`")
        from patina.oxidize import run

        docs = run.documents(conn, self.recipe, after_seq)
        run.write_meta(conn, self.recipe, self.embedder.identity)
        if docs:
            run.append_vectors(conn, docs, self.embedder.embed([d.text for d in docs]))
