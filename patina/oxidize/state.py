"""What the vectors and projections in a database were made with, and whether they are current.

Kept in ``oxidize_meta`` (key/value) and ``oxidize_projections``, this module's own tables; the
progress (the last seq whose events were considered) is the ``oxidize`` materializer's, kept by
:mod:`patina.store` like every materializer's. Numpy-free: status, hooks and scry read it cheaply.

Keys of ``oxidize_meta``:

* ``recipe``        the effective recipe (canonical JSON) the vectors were made with;
* ``vectors_hash``  its :meth:`~patina.oxidize.recipe.Recipe.vectors_hash`;
* ``model``         the model identity (name, sha256 of the ONNX file, dimension);
* ``vectors:oxidize_vectors:generation``  bumped by every truncation (patina.oxidize.vectors).
"""

from __future__ import annotations

import json
import os
import sqlite3
from typing import Any

NAME = "oxidize"  # the materializer's name (its progress in scrape_meta)
VECTORS = "oxidize_vectors"
PROJECTIONS = "oxidize_projections"
# Texts the next scry (or the service) embeds itself when the vectors lag the log; a longer
# backlog goes to a background `patina oxidize` (started by the hook that appended it).
INLINE_MAX = 64


def get(conn: sqlite3.Connection, key: str) -> str | None:
    try:
        row = conn.execute("SELECT value FROM oxidize_meta WHERE key = ?", (key,)).fetchone()
    except sqlite3.OperationalError:  # a database without the table
        return None
    return row[0] if row else None


def put(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM oxidize_meta WHERE key = ?", (key,))
    else:
        conn.execute("INSERT INTO oxidize_meta(key, value) VALUES (?, ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))


def clear(conn: sqlite3.Connection) -> None:
    """Forget what the vectors were made with (the generation counter stays: it only grows)."""
    conn.execute("DELETE FROM oxidize_meta WHERE key NOT LIKE 'vectors:%:generation'")


def stored_recipe(conn: sqlite3.Connection):
    """The recipe the stored vectors were made with (None before the first oxidize)."""
    from patina.oxidize import recipe

    raw = get(conn, "recipe")
    if raw is None:
        return None
    try:
        return recipe.from_dict(json.loads(raw))
    except ValueError:
        return None


def stored_identity(conn: sqlite3.Connection):
    """The model identity the stored vectors were made with (None before the first oxidize)."""
    from patina.oxidize.model import ModelIdentity

    raw = get(conn, "model")
    if raw is None:
        return None
    try:
        return ModelIdentity.from_json(raw)
    except (ValueError, KeyError, TypeError):
        return None


def vector_count(conn: sqlite3.Connection) -> int:
    try:
        return conn.execute(f"SELECT count(*) FROM {VECTORS}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def has_vectors(conn: sqlite3.Connection) -> bool:
    try:
        return conn.execute(f"SELECT 1 FROM {VECTORS} LIMIT 1").fetchone() is not None
    except sqlite3.OperationalError:
        return False


def progress(conn: sqlite3.Connection) -> int:
    from patina import store

    return store.progress(conn, NAME)[0]


def is_set_up(conn: sqlite3.Connection) -> bool:
    """Has `patina oxidize` ever run on this database (so vectors are to be kept current)?"""
    return get(conn, "model") is not None


def backlog(conn: sqlite3.Connection, recipe=None, *, limit: int | None = None) -> int:
    """How many documents the vectors lack: embeddable documents after the progress (counted up
    to ``limit``: "more than N" is all a caller needs to know)."""
    recipe = recipe or stored_recipe(conn)
    if recipe is None:
        return 0
    after = progress(conn)
    types = list(recipe.embed.types)
    cap = f" LIMIT {int(limit) + 1}" if limit is not None else ""
    n = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM scry_docs WHERE seq > ? AND type IN "
                     f"({','.join('?' * len(types))}){cap})", (after, *types)).fetchone()[0] if types else 0
    if recipe.embed.code_symbols:
        from patina import store
        from patina.oxidize.texts import CODE_TYPES

        for _ in store.events(conn, after, CODE_TYPES, by_type=True):
            n += 1
            if limit is not None and n > limit:
                break
    return n


def projections(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """name -> info (JSON) of the stored projections."""
    try:
        rows = conn.execute(f"SELECT name, info FROM {PROJECTIONS} ORDER BY name").fetchall()
    except sqlite3.OperationalError:
        return {}
    out = {}
    for name, info in rows:
        try:
            out[name] = json.loads(info)
        except ValueError:
            continue
    return out


def local_model_sha(model_path: str | None, data_dir: str | None) -> str | None:
    """sha256 of the model file a local directory would give now (explicit, $PATINA_MODEL_PATH or
    remembered), without loading it; None when the model is found by name (fastembed's cache)."""
    from patina.oxidize.model import file_sha256, resolve_model_path

    directory = resolve_model_path(model_path, data_dir)
    if directory is None:
        return None
    try:
        return file_sha256(os.path.join(directory, "model.onnx"))
    except OSError:
        return None


def report(conn: sqlite3.Connection, *, recipe_now=None, recipe_error: str | None = None,
           data_dir: str | None = None) -> dict[str, Any] | None:
    """What ``patina status`` says about vectors and projections; None when oxidize never ran.

    ``stale``: the reasons the vectors are not current (the recipe's embedding part changed, the
    model available locally is another one, the log moved on); each projection says whether it is
    used (it beat the base on held-out pairs) and whether it is stale (trained on fewer vectors
    than there are, or with other settings)."""
    from patina import store

    identity = stored_identity(conn)
    if identity is None:
        return None
    made_with = stored_recipe(conn)
    last, _ = store.last_event(conn)
    done = progress(conn)
    info: dict[str, Any] = {"vectors": vector_count(conn), "embedded_through": done, "last_seq": last,
                            "model": identity.name, "model_sha256": identity.sha256, "dim": identity.dim,
                            "compute": identity.compute,
                            "recipe_hash": get(conn, "recipe_hash"), "stale": []}
    if recipe_error:
        info["stale"].append(f"the committed recipe is invalid ({recipe_error})")
    elif recipe_now is not None and made_with is not None and recipe_now.vectors_hash() != made_with.vectors_hash():
        info["stale"].append("recipe changed (model or what is embedded): run `patina oxidize`")
    sha = local_model_sha(None, data_dir)
    if sha is not None and sha != identity.sha256:
        info["stale"].append("the local model is not the one the vectors were made with: run `patina oxidize`")
    behind = backlog(conn, made_with) if done != last else 0
    info["behind"] = behind
    if behind:
        info["stale"].append(f"log moved on: {behind} document(s) not embedded yet (the next scry or "
                             "`patina oxidize` embeds them)")
    projs = []
    for name, p in projections(conn).items():
        reasons = []
        if p.get("trained_through") != done:
            reasons.append("vectors changed since training")
        elif done != last:
            reasons.append("log moved on")
        if recipe_now is not None and name in recipe_now.enabled_projections() and \
                p.get("hash") != recipe_now.projection_hash(name):
            reasons.append("recipe changed")
        projs.append({"name": name, "used": bool(p.get("used")), "base": p.get("base"),
                      "projected": p.get("projected"), "stale": reasons})
    if recipe_now is not None:
        for name in recipe_now.enabled_projections():
            if name not in {p["name"] for p in projs}:
                projs.append({"name": name, "used": False, "base": None, "projected": None,
                              "stale": ["not trained yet"]})
    info["projections"] = sorted(projs, key=lambda p: p["name"])
    return info


def status(conn: sqlite3.Connection, repo, head: str | None) -> dict[str, Any] | None:
    """:func:`report` with the recipe committed at ``head`` (what `patina status` shows)."""
    from patina.config import uncommitted
    from patina.errors import ConfigError
    from patina.oxidize import recipe as recipes

    recipe_now, error = None, None
    try:
        recipe_now = recipes.load(repo.git_dir, head)
    except ConfigError as exc:
        error = str(exc)
    info = report(conn, recipe_now=recipe_now, recipe_error=error, data_dir=repo.data_dir)
    if info is not None and uncommitted(repo.git_dir, repo.work_tree, head, recipes.RECIPE_PATH):
        info["recipe_uncommitted"] = True
    return info


def report_lines(info: dict[str, Any] | None) -> list[str]:
    """``patina status`` lines for :func:`report`'s dict."""
    if info is None:
        return ["vectors    none (run `patina oxidize` for semantic search)"]
    state = "current" if not info["stale"] else "stale: " + "; ".join(info["stale"])
    out = [f"vectors    {info['vectors']} x {info['dim']} by {info['model']} ({info.get('compute', 'float')}), through seq "
           f"{info['embedded_through']}: {state}"]
    if info.get("recipe_uncommitted"):
        from patina.oxidize.recipe import UNCOMMITTED

        out.append(f"recipe     {UNCOMMITTED}")
    for p in info["projections"]:
        figures = ""
        if p["base"] and p["projected"]:
            figures = (f" held-out R@10 {p['base']['recall']:.3f} -> {p['projected']['recall']:.3f}, "
                       f"MRR {p['base']['mrr']:.3f} -> {p['projected']['mrr']:.3f};")
        use = "used" if p["used"] else ("not used (no better than the plain vectors)" if p["base"]
                                        else "not trained")
        stale = f"; stale: {', '.join(p['stale'])}" if p["stale"] else ""
        out.append(f"projection {p['name']}:{figures} {use}{stale}")
    return out


def wanted_in_background(repo, conn) -> str | None:
    """Why the hooks should start a background oxidize (None: no need; numpy-free, no YAML): the
    vectors are set up and either the backlog is longer than scry embeds itself, or the committed
    recipe is another file than the one they were made with (oxidize re-embeds only if what is
    embedded changed, and retrains only the projections whose settings changed)."""
    if not is_set_up(conn):
        return None
    made_with = stored_recipe(conn)
    if made_with is None:
        return None
    from patina import store
    from patina.config import blob_ids
    from patina.oxidize.recipe import RECIPE_PATH

    head = store.get_meta(conn, "head")
    blob = blob_ids(repo.git_dir, head, [RECIPE_PATH])[0] if head else None
    if blob != get(conn, "recipe_blob"):  # not parsed here (YAML costs an import): oxidize will
        return "the oxidize recipe changed"
    n = backlog(conn, made_with, limit=INLINE_MAX)
    if n > INLINE_MAX:
        return f"embed more than {INLINE_MAX} new documents"
    return None
