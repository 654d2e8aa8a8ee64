"""Shared by the oxidize benches: the real log's knowledge texts and their vectors (cached).

The vectors of a database's documents under a model are cached in ``--cache`` (default
/tmp/patina-oxidize-cache) as ``<model sha256[:12]>-<texts sha256[:12]>.npy``: embedding the
Patina repository's 16k texts takes minutes on 2 cores, and every bench needs the same ones.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHARED_MODEL = "/work/shared/models/all-MiniLM-L6-v2-int8"
REAL_DB = "/tmp/patina-real.db"
CACHE = "/tmp/patina-oxidize-cache"


def load_docs(db_path: str):
    from patina.oxidize.texts import knowledge_docs

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return knowledge_docs(conn)
    finally:
        conn.close()


def texts_digest(texts) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def cached_vectors(embedder, texts, cache_dir: str = CACHE, *, verbose: bool = True):
    """The embedder's vectors of ``texts`` (sorted batches), from the cache when it has them."""
    import numpy as np

    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{embedder.identity.sha256[:12]}-{texts_digest(texts)[:12]}.npy"
    if target.exists():
        return np.load(target)
    t0 = time.perf_counter()
    vectors = embedder.embed(texts)
    took = time.perf_counter() - t0
    if verbose:
        print(f"embedded {len(texts)} texts in {took:.1f} s ({len(texts) / took:.0f} texts/s, sorted batches)",
              flush=True)
    np.save(target, vectors)
    return vectors
