"""``code_positions``: where each current code fact is, in the files of the commit the log is
built for. HEAD-only derived state: positions are place, not meaning, so they are kept out of
the events (a move logs nothing) and computed from the blobs of the built commit.

Incremental like every derived table: the paths a first-parent commit changed (or a cut one
had changed) are marked; at the end of an update their rows are recomputed from the built
commit's blobs, through the code cache (``positions``, filled by the build that just parsed
them) or a parse. The marks (``code_positions_dirty``) let the per-batch absorbs of a long
build only note paths, and the final one do the work once.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable

from patina import store


def _changed_paths(rows: Iterable[tuple]) -> set[str]:
    paths: set[str] = set()
    for *_, raw in rows:
        data = json.loads(raw)
        if not data.get("first_parent", True):
            continue  # a merge's own first-parent diff covers what the commits it brings in changed
        for f in data.get("files") or ():
            if isinstance(f, dict):
                paths.update(p for p in (f.get("path"), f.get("old_path")) if p)
    return paths


class CodePositions:
    name = "code_positions"
    tables = ("code_positions", "code_positions_dirty")
    incremental = True
    uses_context = True  # needs the repository (blobs) and the code cache: see derived.load_all

    def __init__(self, ctx: Any = None) -> None:
        self.ctx = ctx

    def reset(self, conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM code_positions")
        conn.execute("DELETE FROM code_positions_dirty")

    def truncate(self, conn: sqlite3.Connection, keep_through: int) -> None:
        self._mark(conn, _changed_paths(store.events(conn, keep_through, ("git.commit",))))

    def absorb(self, conn: sqlite3.Connection, after_seq: int) -> None:
        self._mark(conn, _changed_paths(store.events(conn, after_seq, ("git.commit",))))

    def finish(self, conn: sqlite3.Connection) -> None:
        """End of an update (the context is there): recompute the marked paths."""
        if self.ctx is not None:
            self._refresh(conn)

    @staticmethod
    def _mark(conn: sqlite3.Connection, paths: set[str]) -> None:
        conn.executemany("INSERT OR IGNORE INTO code_positions_dirty(path) VALUES (?)", ((p,) for p in sorted(paths)))

    def _refresh(self, conn: sqlite3.Connection) -> None:
        """Recompute the marked paths' rows at the commit the log is built for."""
        dirty = [r[0] for r in conn.execute("SELECT path FROM code_positions_dirty ORDER BY path")]
        if not dirty:
            return
        # A file's rows by the primary key's range (its facts' source ids start with the path;
        # ``file`` tells apart another path that starts with this one and "::").
        conn.executemany("DELETE FROM code_positions WHERE (source_id = ?1 OR (source_id >= ?1 || '::' "
                         "AND source_id < ?1 || ':;')) AND file = ?1", ((p,) for p in dirty))
        wanted = set(_code_paths(self.ctx, dirty))
        head = store.get_meta(conn, "head")
        if not wanted or not head:  # e.g. a commit of a README: no tree to list, no parser to load
            conn.execute("DELETE FROM code_positions_dirty")
            return
        files = {path: (oid, lang) for path, oid, lang in _code_files(self.ctx, head)}
        rows = []
        for path, positions in _positions(self.ctx, [(p, *files[p]) for p in sorted(wanted & set(files))]):
            for name, (line, end) in sorted(positions.items()):
                event, _, key = name.partition("\t")
                rows.append((f"{path}::{key}", event, path, line, end))
        conn.executemany("INSERT INTO code_positions(source_id, event_type, file, line, end_line) "
                         "VALUES (?, ?, ?, ?, ?)", rows)
        conn.execute("DELETE FROM code_positions_dirty")


def _code_paths(ctx: Any, paths: list[str]) -> list[str]:
    """The paths the code source reads (by the team config and the language registry)."""
    from patina.sources.code import CodeSource

    if "code" not in ctx.config.sources.enabled:
        return []
    source = CodeSource(ctx.config)
    return [p for p in paths if source.language_of(p)]


def _code_files(ctx: Any, commit: str) -> list[tuple[str, str, str]]:
    """(path, blob, language) of the code files of ``commit`` (the code source's rules)."""
    from patina.sources.code import CodeSource
    from patina.sources.code.history import REGULAR_MODES

    if "code" not in ctx.config.sources.enabled:
        return []
    source = CodeSource(ctx.config)
    out = []
    for e in ctx.read.tree(commit):
        lang = source.language_of(e.path) if e.mode in REGULAR_MODES else None
        if lang:
            out.append((e.path, e.oid, lang))
    return out


def _positions(ctx: Any, files: list[tuple[str, str, str]]) -> Iterable[tuple[str, dict]]:
    """(path, positions) per file: from the code cache, else by extracting the blob."""
    from patina.sources.code import languages
    from patina.sources.code.cache import Cache
    from patina.sources.code.history import Engine

    cache = Cache(ctx.cache_dir, languages.extractor_version)
    engine = Engine(ctx.read.blob, ctx.config.code.max_bytes)
    computed = []
    try:
        for path, oid, lang in files:
            positions = cache.positions(oid, lang)
            if positions is None:
                positions = engine.positions(path, lang, oid)
                if positions is None:
                    continue
                computed.append((oid, lang, positions))
            yield path, positions
        cache.put_positions(computed)
    finally:
        cache.close()
