"""The code history: a first-parent commit's diff -> code events.

For each changed file the facts of the old blob (at the first parent) and of the new blob are
compared by key (facts.diff_events). A file's facts are a pure function of (blob, language,
extractor version), so they are parsed once and cached by blob id (cache.FactCache) plus an
in-process memo: the old blob of a change is almost always the new blob of an earlier one.

``prefetch`` parses a batch's uncached blobs up front, on two worker processes when there are
many (a full build), inline when few (the hook path).
"""

from __future__ import annotations

import os
import signal
from collections import OrderedDict
from typing import Any, Iterable, Iterator

from patina.events import Event, utc_timestamp
from patina.sources.base import ZERO_OID, CommitRecord, FileChange, SourceContext
from patina.sources.code import languages
from patina.sources.code.cache import FactCache
from patina.sources.code.facts import FileFacts, diff_events, keyed

PARALLEL_MIN = 24  # uncached blobs in a batch before a worker pool pays for its start-up
WORKERS = 2  # processes parsing a big batch: this one and one forked worker (see _parse_forked)
WORKER_SHARE = 0.5  # of the batch's bytes parsed by the worker (this process also reads the blobs)
MEMO_SIZE = 8192
REGULAR_MODES = ("100644", "100755", "100664")

Key = tuple[str, str]  # (blob oid, language)
Facts = dict[tuple[str, str], dict[str, Any]]


class _Missing:
    """The blob is not in the object store (partial clone): its facts are unknown."""


MISSING = _Missing()


def _parse_job(job: tuple[str, bytes]) -> FileFacts | str:
    from patina.sources.code.extract import safe_extract

    return safe_extract(*job)


def _split(args: list[tuple[str, bytes]], share: float) -> tuple[list[int], list[int]]:
    """Job indices for (the worker, this process): grouped by language, so each process
    compiles only the queries of its own languages; the worker's part holds about ``share`` of
    the bytes. Any split gives the same facts: a blob's facts depend on its bytes alone."""
    order = sorted(range(len(args)), key=lambda i: (args[i][0], i))
    target = share * sum(len(a[1]) for a in args)
    done = 0
    cut = 0
    while cut < len(order) and done < target:
        done += len(args[order[cut]][1])
        cut += 1
    return order[:cut], order[cut:]


def _child(args: list[tuple[str, bytes]], mine: list[int], fd: int) -> None:
    """(forked worker) Parse ``mine`` and write marshal([(ok, marshal(facts) | reason)]) to fd."""
    import gc
    import marshal

    gc.disable()  # as in the parent (see CodeHistory._parse_all), and so that objects
    gc.freeze()  # inherited from the parent are never collected (finalised) here
    from patina.procs import die_with_parent  # a SIGKILLed update leaves no orphaned worker

    die_with_parent()
    out = []
    for i in mine:
        result = _parse_job(args[i])
        out.append((False, result) if isinstance(result, str) else (True, marshal.dumps(result)))
    with os.fdopen(fd, "wb") as fh:
        fh.write(marshal.dumps(out))


def _parse_forked(args: list[tuple[str, bytes]]) -> list[tuple[FileFacts | str, bytes | None]]:
    """Parse on two processes: ONE forked worker takes part of the jobs (it inherits the blobs
    and the loaded languages: nothing is pickled on the way in), this process parses the rest
    meanwhile, then reads the worker's results as marshal bytes (also what the cache stores).
    If the worker fails in any way, its jobs are parsed here: same facts, only slower."""
    import marshal

    theirs, mine = _split(args, WORKER_SHARE)
    out: list[tuple[FileFacts | str, bytes | None] | None] = [None] * len(args)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: never returns, never runs the parent's cleanup
        code = 1
        try:
            os.close(read_fd)
            _child(args, theirs, write_fd)
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    payload = b""
    status = 1
    try:
        for i in mine:
            out[i] = (_parse_job(args[i]), None)
        with os.fdopen(read_fd, "rb") as fh:
            payload = fh.read()
        status = os.waitpid(pid, 0)[1]
        pid = 0
    finally:
        if pid:  # interrupted: do not leave the worker behind
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
    results = None
    if status == 0:
        try:
            results = marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            results = None
    if not isinstance(results, list) or len(results) != len(theirs):
        results = None
    for n, i in enumerate(theirs):
        if results is not None:
            ok, value = results[n]
            out[i] = (marshal.loads(value), value) if ok else (value, None)
        else:
            out[i] = (_parse_job(args[i]), None)
    return out  # type: ignore[return-value]


class CodeHistory:
    """Per-build state of the code source: memo, cache handle, counters."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.memo: OrderedDict[Key, tuple[int, FileFacts]] = OrderedDict()
        self.cache: FactCache | None = None
        self.unavailable: set[str] = set()
        self.stats = {"parsed": 0, "cache_hits": 0, "memo_hits": 0, "lookups": 0}
        self._versions: dict[str, str] = {}
        self._snapshot_done = False

    # -- facts of one blob -----------------------------------------------------------------------
    def _cache(self, ctx: SourceContext) -> FactCache:
        if self.cache is None:
            self.cache = FactCache(ctx.cache_dir)
        return self.cache

    def _version(self, lang: str) -> str:
        if lang not in self._versions:
            self._versions[lang] = languages.extractor_version(lang)
        return self._versions[lang]

    def _remember(self, key: Key, size: int, ff: FileFacts) -> None:
        self.memo[key] = (size, ff)
        self.memo.move_to_end(key)
        while len(self.memo) > MEMO_SIZE:
            self.memo.popitem(last=False)

    def _sized(self, size: int, ff: FileFacts) -> FileFacts:
        if size > self.source.max_bytes:
            return FileFacts(language=ff["language"], error_nodes=0, skipped="too_large", facts=[])
        return ff

    def _unavailable(self, ctx: SourceContext, lang: str, reason: str) -> None:
        if lang not in self.unavailable:
            self.unavailable.add(lang)
            ctx.warn(reason)

    def _store(self, ctx: SourceContext, key: Key, size: int, result: FileFacts | str,
               text: bytes | None = None, pending: list | None = None) -> FileFacts | None:
        """Record a parse result (memo + cache; with ``pending``, the cache row is queued for
        one batched write). None when the language turned out to be unavailable."""
        oid, lang = key
        if isinstance(result, str):
            if "failed to load" in result or "is invalid" in result or "failed to import" in result:
                self._unavailable(ctx, lang, result)
                return None
            ctx.warn(result)  # an extraction bug: keep the file, with no facts but its code.file
            result = FileFacts(language=lang, error_nodes=0, skipped="error", facts=[])
            text = None
        self.stats["parsed"] += 1
        self._remember(key, size, result)
        row = (key, size, result, text)
        if pending is not None:
            pending.append(row)
        else:
            self._cache(ctx).put_many([row], {lang: self._version(lang)})
        return result

    def blob_facts(self, ctx: SourceContext, lang: str, oid: str) -> FileFacts | None | _Missing:
        """The facts of a blob as ``lang`` (None: language unavailable; MISSING: no object)."""
        if lang in self.unavailable:
            return None
        key = (oid, lang)
        self.stats["lookups"] += 1
        hit = self.memo.get(key)
        if hit is not None:
            self.stats["memo_hits"] += 1
            self.memo.move_to_end(key)
            return self._sized(*hit)
        cached = self._cache(ctx).get_many([key], {lang: self._version(lang)})
        if key in cached:
            self.stats["cache_hits"] += 1
            self._remember(key, *cached[key])
            return self._sized(*cached[key])
        data = ctx.read.blob(oid)
        if data is None:
            return MISSING
        if len(data) > self.source.max_bytes:
            return FileFacts(language=lang, error_nodes=0, skipped="too_large", facts=[])
        from patina.sources.code.extract import safe_extract

        return self._store(ctx, key, len(data), safe_extract(lang, data))

    def _side(self, ctx: SourceContext, path: str | None, oid: str, mode: str) -> Facts | _Missing:
        """Keyed facts of one side of a change ({} when that side is not a code file)."""
        if path is None or oid == ZERO_OID or mode not in REGULAR_MODES:
            return {}
        lang = self.source.language_of(path)
        if lang is None:
            return {}
        ff = self.blob_facts(ctx, lang, oid)
        if isinstance(ff, _Missing):
            return ff
        return keyed(ff)

    # -- batches ---------------------------------------------------------------------------------
    def _wanted_blobs(self, changes: Iterable[FileChange]) -> Iterator[Key]:
        for ch in changes:
            if ch.old_oid != ZERO_OID and ch.old_mode in REGULAR_MODES:
                lang = self.source.language_of(ch.old_path or ch.path)
                if lang:
                    yield (ch.old_oid, lang)
            if ch.new_oid != ZERO_OID and ch.new_mode in REGULAR_MODES:
                lang = self.source.language_of(ch.path)
                if lang:
                    yield (ch.new_oid, lang)

    def warm(self, ctx: SourceContext, keys: Iterable[Key]) -> None:
        """Make sure every (oid, lang) is in the memo or cache: parse the rest, in parallel if many."""
        todo = sorted({k for k in keys if k not in self.memo and k[1] not in self.unavailable})
        if not todo:
            return
        cached = self._cache(ctx).get_many(todo, {lang: self._version(lang) for _, lang in todo})
        jobs: list[tuple[Key, bytes]] = []
        for key in todo:
            if key in cached:
                continue
            data = ctx.read.blob(key[0])
            if data is None or len(data) > self.source.max_bytes:
                continue  # handled (and reported) by blob_facts when the events are made
            jobs.append((key, data))
        if not jobs:
            return
        results = self._parse_all(jobs)
        pending: list = []
        for (key, data), (result, text) in zip(jobs, results):
            self._store(ctx, key, len(data), result, text, pending)
        self._cache(ctx).put_many(pending, {lang: self._version(lang) for (_, lang), *_ in pending})

    def _parse_all(self, jobs: list[tuple[Key, bytes]]) -> list[tuple[FileFacts | str, bytes | None]]:
        """(facts or failure reason, facts as the cache stores them when a worker made them)
        per job, in order. Many jobs: two processes (see _parse_forked); few: inline."""
        import gc

        args = [(key[1], data) for key, data in jobs]
        # The collector would rescan the memo's facts again and again while a batch allocates
        # millions of short-lived objects; extraction creates no reference cycles, so it is
        # paused for the batch (cycles made by a hook are collected once it resumes).
        enabled = gc.isenabled()
        gc.disable()
        try:
            if len(jobs) < PARALLEL_MIN or WORKERS < 2 or not hasattr(os, "fork"):
                return [(_parse_job(a), None) for a in args]
            return _parse_forked(args)
        finally:
            if enabled:
                gc.enable()

    def prefetch(self, ctx: SourceContext, items: list[tuple[CommitRecord, list[FileChange]]]) -> None:
        since = self.source.since
        keys: list[Key] = []
        for commit, changes in items:
            if since is None or utc_timestamp(commit.commit_time) >= since:
                keys.extend(self._wanted_blobs(changes))
        self.warm(ctx, keys)

    # -- events ----------------------------------------------------------------------------------
    def events(self, ctx: SourceContext, commit: CommitRecord, changes: list[FileChange]) -> list[Event]:
        try:
            return self._events(ctx, commit, changes)
        except Exception as exc:  # noqa: BLE001 - law 4: never a traceback
            ctx.warn(f"code: commit {commit.sha[:12]} skipped: {exc.__class__.__name__}: {exc}")
            return []

    def _events(self, ctx: SourceContext, commit: CommitRecord, changes: list[FileChange]) -> list[Event]:
        ts = commit.timestamp
        out: list[Event] = []
        since = self.source.since
        if since is not None:
            if utc_timestamp(commit.commit_time) < since:
                return []
            if not self._snapshot_taken(ctx):
                out.extend(self.snapshot_events(ctx, commit.parents[0], ts) if commit.parents else [])
                self._snapshot_done = True
        old: dict[str, Facts | _Missing] = {}
        new: dict[str, Facts | _Missing] = {}
        for ch in changes:
            if ch.status == "D":
                old[ch.path] = self._side(ctx, ch.path, ch.old_oid, ch.old_mode)
                new.setdefault(ch.path, {})
            elif ch.status == "R" and ch.old_path:
                old[ch.old_path] = self._side(ctx, ch.old_path, ch.old_oid, ch.old_mode)
                new.setdefault(ch.old_path, {})
                old.setdefault(ch.path, {})
                new[ch.path] = self._side(ctx, ch.path, ch.new_oid, ch.new_mode)
            elif ch.status == "A":  # also copies: the source of a copy is unchanged
                old.setdefault(ch.path, {})
                new[ch.path] = self._side(ctx, ch.path, ch.new_oid, ch.new_mode)
            else:  # M, T
                old[ch.path] = self._side(ctx, ch.path, ch.old_oid, ch.old_mode)
                new[ch.path] = self._side(ctx, ch.path, ch.new_oid, ch.new_mode)
        for path in sorted(set(old) | set(new)):
            before, after = old.get(path, {}), new.get(path, {})
            if isinstance(after, _Missing):
                ctx.warn(f"code: {path} at {commit.sha[:12]}: blob missing from the object store; facts unchanged")
                continue
            if isinstance(before, _Missing):
                before = ctx.read.prior_facts(path, "code")
            out.extend(diff_events(path, before, after, ts))
        return out

    # -- code.since ------------------------------------------------------------------------------
    def _snapshot_taken(self, ctx: SourceContext) -> bool:
        if not self._snapshot_done:
            self._snapshot_done = ctx.read.has_events("code.file")
        return self._snapshot_done

    def tree_files(self, ctx: SourceContext, commit: str) -> list[tuple[str, str, str]]:
        """(path, blob oid, mode) of every file this source wants in ``commit``'s tree."""
        return [(e.path, e.oid, e.mode) for e in ctx.read.tree(commit)
                if e.mode in REGULAR_MODES and self.source.language_of(e.path)]

    def tree_facts(self, ctx: SourceContext, commit: str) -> dict[str, Facts]:
        """Every wanted file's keyed facts in a commit's tree (the snapshot, and the tests' oracle)."""
        files = self.tree_files(ctx, commit)
        self.warm(ctx, ((oid, self.source.language_of(path)) for path, oid, _ in files))
        out: dict[str, Facts] = {}
        for path, oid, mode in files:
            side = self._side(ctx, path, oid, mode)
            if not isinstance(side, _Missing) and side:
                out[path] = side
        return out

    def snapshot_events(self, ctx: SourceContext, commit: str, timestamp: str) -> list[Event]:
        out: list[Event] = []
        for path, facts in sorted(self.tree_facts(ctx, commit).items()):
            out.extend(diff_events(path, {}, facts, timestamp))
        return out
