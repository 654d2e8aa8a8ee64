"""Related pairs the log itself provides, for training projections (:mod:`patina.oxidize.train`).

``semantic`` pairs (:func:`semantic_pairs`), from the search index's documents (``scry_docs``):

* items of the same session are related: each session item (or goal) is paired with up to
  ``per_item`` other items of its session, drawn with a fixed seed;
* a decision is related to the commits that follow it: the first ``commits_per_decision``
  commits stamped after the decision, within ``days`` days.

``temporal`` pairs (:func:`temporal_pairs`): commits that changed the same file.

``dependency`` pairs (:func:`dependency_pairs`): functions that call each other, from the
``code_calls`` view (needs the recipe's ``embed.code_symbols``: the functions' events embedded).

Each pair is (seq_a, seq_b) with seq_a < seq_b; the pair is known to the log from its later
event on, which is what the train/held-out split uses. Deterministic for the same log and seed.
"""

from __future__ import annotations

import bisect
import random
import sqlite3
from datetime import datetime, timedelta
from typing import Sequence

SESSION_TYPES = ("decision", "pattern", "work", "context", "observation", "goal")


def _when(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")


def semantic_pairs(conn: sqlite3.Connection, *, per_item: int = 2, commits_per_decision: int = 3,
                   days: float = 7.0, seed: int = 0, seqs: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """Same-session pairs and decision -> following-commit pairs, sorted, without duplicates.
    ``seqs``: only documents among these (e.g. the embedded ones)."""
    allowed = set(seqs) if seqs is not None else None
    rows = [r for r in conn.execute(
        "SELECT seq, type, origin, timestamp FROM scry_docs WHERE removed_seq IS NULL ORDER BY seq")
        if allowed is None or r[0] in allowed]
    pairs: set[tuple[int, int]] = set()
    rng = random.Random(seed)
    sessions: dict[str, list[int]] = {}
    for seq, typ, origin, _ in rows:
        if typ in SESSION_TYPES:
            sessions.setdefault(origin, []).append(seq)
    for origin in sorted(sessions):
        items = sessions[origin]
        if len(items) < 2:
            continue
        for i, seq in enumerate(items):
            others = items[:i] + items[i + 1:]
            for other in rng.sample(others, min(per_item, len(others))):
                pairs.add((min(seq, other), max(seq, other)))
    commits = sorted((_when(ts), seq) for seq, typ, _, ts in rows if typ == "commit")
    times = [c[0] for c in commits]
    window = timedelta(days=days)
    for seq, typ, _, ts in rows:
        if typ != "decision":
            continue
        t = _when(ts)
        at = bisect.bisect_right(times, t)
        for when, commit_seq in commits[at:at + commits_per_decision]:
            if when - t > window:
                break
            pairs.add((min(seq, commit_seq), max(seq, commit_seq)))
    return sorted(pairs)


def temporal_pairs(conn: sqlite3.Connection, *, max_files: int = 30, per_file: int = 1,
                   seqs: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """Commits that changed the same file are related: each non-merge commit (of at most
    ``max_files`` paths, like co_changes) is paired with the ``per_file`` previous commits that
    touched each of its files. Sorted, without duplicates. ``seqs``: only commits among these."""
    import json

    from patina import store

    allowed = set(seqs) if seqs is not None else None
    last: dict[str, list[int]] = {}
    pairs: set[tuple[int, int]] = set()
    for seq, _type, _ts, _sid, _file, raw in store.events(conn, types=("git.commit",), by_type=True):
        if allowed is not None and seq not in allowed:
            continue
        data = json.loads(raw)
        files = data.get("files") or []
        if data.get("is_merge") or len(files) > max_files:
            continue
        for path in dict.fromkeys(f.get("path") for f in files if isinstance(f, dict) and f.get("path")):
            earlier = last.setdefault(path, [])
            for prev in earlier[-per_file:]:
                if prev != seq:
                    pairs.add((prev, seq))
            if not earlier or earlier[-1] != seq:
                earlier.append(seq)
    return sorted(pairs)


def dependency_pairs(conn: sqlite3.Connection, *, seqs: Sequence[int] | None = None,
                     max_callees: int = 3) -> list[tuple[int, int]]:
    """Functions that call each other are related: each current call (``code_calls``) pairs the
    caller's current ``code.function`` event with the callee's, when the callee's name names at
    most ``max_callees`` current functions (a function of the caller's file first: a common name
    such as ``new`` relates nothing). Sorted, without duplicates. ``seqs``: only among these."""
    allowed = set(seqs) if seqs is not None else None
    try:
        functions = conn.execute("SELECT seq, file, name, qualified_name FROM code_functions").fetchall()
        calls = conn.execute("SELECT file, caller, callee FROM code_calls").fetchall()
    except sqlite3.OperationalError:  # no code views in this database
        return []
    by_key: dict[tuple[str, str], int] = {}
    by_name: dict[str, list[tuple[str, int]]] = {}
    for seq, file, name, qualified in functions:
        if allowed is not None and seq not in allowed:
            continue
        by_key[(file, qualified or name)] = seq
        by_name.setdefault(name, []).append((file, seq))
    pairs: set[tuple[int, int]] = set()
    for file, caller, callee in calls:
        a = by_key.get((file, caller))
        if a is None or not callee:
            continue
        short = callee.rsplit("::", 1)[-1].rsplit(".", 1)[-1]
        targets = by_name.get(short, [])
        local = [s for f, s in targets if f == file]
        chosen = local or ([s for _, s in targets] if len(targets) <= max_callees else [])
        for b in chosen:
            if b != a:
                pairs.add((min(a, b), max(a, b)))
    return sorted(pairs)
