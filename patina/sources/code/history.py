"""The code history: a first-parent commit's diff -> code events, parsing along the history.

A file change becomes a *delta* of its facts (facts.delta: what appeared, disappeared or
changed meaning). Facts are a pure function of (blob, language, extractor version), whatever
route led to them, so a delta is too: it is cached by (old blob, new blob) (cache.Cache), and
a warm build reads no blob at all.

On a cache miss, each path's versions are extracted in history order by an :class:`Engine`
that keeps the path's last facts and parse state, so the next version is an incremental
reparse (incremental.extract_next). Paths are split between this process and one forked
worker (a full build: both cores); a path always goes to the same process, so its state is
where its next version is. Hooks (a few changes) run everything inline.
"""

from __future__ import annotations

import marshal
import os
import signal
import zlib
from collections import OrderedDict
from typing import Any, Callable, Iterable, NamedTuple, Sequence

from patina.events import Event, utc_timestamp
from patina.sources.base import ZERO_OID, CommitRecord, FileChange, SourceContext
from patina.sources.code import languages
from patina.sources.code.cache import Cache
from patina.sources.code.facts import Delta, FileFacts, delta, events_of, keyed

PREFETCH_JOBS = 64  # file changes whose blobs are read in one stream (bounds the memory it holds)
PARALLEL_MIN = 24  # uncached file changes in a batch before the worker pays for its start-up
PARSE_STATE_BYTES = 12 << 20  # source bytes whose parse trees an engine keeps (LRU beyond; a tree is ~25x its source)
REGULAR_MODES = ("100644", "100755", "100664")

Facts = dict[tuple[str, str], dict[str, Any]]


class Job(NamedTuple):
    """One path's facts going from blob ``old`` to blob ``new`` (ZERO_OID: no file)."""

    path: str
    lang: str
    old: str
    new: str


class Missing(NamedTuple):
    """A job that could not run: ``side`` ("old" or "new") is missing from the object store."""

    side: str


Result = Delta | Missing | None  # None: the language is unavailable (warned once)


def _extract_next(lang: str, data: bytes, previous: Any) -> tuple[FileFacts, Any]:
    from patina.sources.code.incremental import extract_next

    return extract_next(lang, data, previous)


def _failure(lang: str, exc: BaseException) -> str:
    from patina.sources.code.languages import LanguageUnavailable

    if isinstance(exc, LanguageUnavailable):
        return str(exc)
    return f"code: extraction failed for a {lang} file: {exc.__class__.__name__}: {exc}"


class _PathState:
    __slots__ = ("oid", "lang", "facts", "parse", "positions", "size")

    def __init__(self, oid: str, lang: str, facts: Facts, parse: Any, positions: Any, size: int) -> None:
        self.oid, self.lang, self.facts, self.parse, self.positions, self.size = oid, lang, facts, parse, positions, size


class Engine:
    """Facts along the history in one process: per path, the last version's facts and parse state."""

    def __init__(self, read_blob: Callable[[str], bytes | None], max_bytes: int) -> None:
        self.read_blob = read_blob
        self.max_bytes = max_bytes
        self.paths: dict[str, _PathState] = {}
        self.parsed: OrderedDict[str, int] = OrderedDict()  # paths holding a parse state, LRU
        self.parsed_bytes = 0
        self.unavailable: set[str] = set()
        self.warnings: list[str] = []

    def run(self, job: Job) -> Result:
        if job.lang in self.unavailable:
            return None
        state = self.paths.get(job.path)
        if state is not None and (state.oid != job.old or state.lang != job.lang):
            state = None
        if job.old == ZERO_OID:
            old: Facts = {}
        elif state is not None:
            old = state.facts
        else:
            got = self._version(job.path, job.lang, job.old, None)
            if got is None or isinstance(got, Missing):
                return got if got is None else Missing("old")
            state = got
            old = state.facts
        if job.new == ZERO_OID:
            self._forget(job.path)
            return delta(old, {})
        got = self._version(job.path, job.lang, job.new, state.parse if state is not None else None)
        if got is None or isinstance(got, Missing):
            return got if got is None else Missing("new")
        self._keep(job.path, got)
        return delta(old, got.facts)

    def run_all(self, jobs: Sequence[Job]) -> list[Result]:
        """:meth:`run` for each job in turn, the blobs they will read fetched first, a few dozen
        jobs at a time, in one stream when the reader can (``many``): the same results, without
        a round trip to git per blob (each of which waits for git to be scheduled on a busy machine)."""
        many = getattr(self.read_blob, "many", None)
        if many is None or len(jobs) < 2:
            return [self.run(job) for job in jobs]
        single = self.read_blob
        out: list[Result] = []
        try:
            for at in range(0, len(jobs), PREFETCH_JOBS):
                chunk = jobs[at:at + PREFETCH_JOBS]
                try:
                    fetched = many(self._reads(chunk))
                except (OSError, ValueError):
                    fetched = {}
                self.read_blob = lambda oid, f=fetched: f[oid] if oid in f else single(oid)  # type: ignore[misc]
                out.extend(self.run(job) for job in chunk)
        finally:
            self.read_blob = single
        return out

    def _reads(self, jobs: Sequence[Job]) -> list[str]:
        """The blobs :meth:`run` will read for ``jobs`` in turn (an old version only when the
        path's state does not hold it)."""
        held = {path: (st.oid, st.lang) for path, st in self.paths.items()}
        out = []
        for job in jobs:
            if job.lang in self.unavailable:
                continue
            if job.old != ZERO_OID and held.get(job.path) != (job.old, job.lang):
                out.append(job.old)
            if job.new == ZERO_OID:
                held.pop(job.path, None)
            else:
                out.append(job.new)
                held[job.path] = (job.new, job.lang)
        return out

    def final_positions(self) -> list[tuple[str, str, dict]]:
        """(oid, lang, positions) of the last version of every path this engine holds."""
        return [(st.oid, st.lang, st.positions) for st in self.paths.values() if st.positions is not None]

    def facts(self, path: str, lang: str, oid: str) -> Facts | Missing | None:
        """The facts of one blob (no state kept): the snapshot of code.since, the tests' oracle."""
        got = self._version(path, lang, oid, None)
        return got if got is None or isinstance(got, Missing) else got.facts

    def positions(self, path: str, lang: str, oid: str) -> dict | None:
        """The positions of one blob: from the path's state when it holds that blob."""
        state = self.paths.get(path)
        if state is not None and state.oid == oid and state.lang == lang:
            return state.positions
        got = self._version(path, lang, oid, None)
        return got.positions if isinstance(got, _PathState) else None

    def _version(self, path: str, lang: str, oid: str, previous: Any) -> _PathState | Missing | None:
        data = self.read_blob(oid)
        if data is None:
            return Missing("?")
        if len(data) > self.max_bytes:
            ff = FileFacts(language=lang, error_nodes=0, skipped="too_large", facts=[], positions={})
            return _PathState(oid, lang, keyed(ff), None, {}, 0)
        try:
            ff, parse = _extract_next(lang, data, previous)
        except Exception as exc:  # noqa: BLE001 - law 4: a file that cannot be read keeps its code.file
            reason = _failure(lang, exc)
            if "failed to load" in reason or "is invalid" in reason or "failed to import" in reason:
                self.unavailable.add(lang)
                self.warnings.append(reason)
                return None
            self.warnings.append(reason)
            ff = FileFacts(language=lang, error_nodes=0, skipped="error", facts=[], positions={})
            parse = None
        return _PathState(oid, lang, keyed(ff), parse, ff.get("positions") or {}, len(data) if parse else 0)

    def _keep(self, path: str, state: _PathState) -> None:
        self._forget(path)
        self.paths[path] = state
        if state.parse is not None:
            self.parsed[path] = state.size
            self.parsed_bytes += state.size
            while self.parsed_bytes > PARSE_STATE_BYTES and len(self.parsed) > 1:
                old, size = self.parsed.popitem(last=False)
                self.parsed_bytes -= size
                self.paths[old].parse = None  # its facts stay: only the next parse is a full one

    def _forget(self, path: str) -> None:
        self.paths.pop(path, None)
        size = self.parsed.pop(path, None)
        if size is not None:
            self.parsed_bytes -= size


# --- the worker: one forked process owning half of the paths ------------------------------------

def _send(fd: int, value: Any) -> None:
    data = zlib.compress(marshal.dumps(value), 1)
    os.write(fd, len(data).to_bytes(8, "little"))
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _recv(fd: int) -> Any:
    head = _read(fd, 8)
    return marshal.loads(zlib.decompress(_read(fd, int.from_bytes(head, "little"))))


def _read(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError("worker pipe closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


class Worker:
    """A forked process running an Engine over the jobs it is sent, batch by batch.

    It inherits the loaded languages (nothing is pickled), reads blobs through its own
    ``git cat-file`` (``open_blobs``), and dies with the parent. If it fails in any way its
    jobs are done by the caller: the same deltas, only slower.
    """

    def __init__(self, open_blobs: Callable[[], Any], max_bytes: int) -> None:
        to_child, self._to_child = os.pipe()
        self._from_child, from_child = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            code = 1
            try:
                os.close(self._to_child)
                os.close(self._from_child)
                code = _serve(to_child, from_child, open_blobs, max_bytes)
            finally:
                os._exit(code)
        os.close(to_child)
        os.close(from_child)
        self.pid = pid

    def submit(self, jobs: list[Job]) -> bool:
        if self.pid == 0:
            return False
        try:
            _send(self._to_child, [tuple(j) for j in jobs])
            return True
        except OSError:
            self.close()
            return False

    def final_positions(self) -> list[tuple[str, str, dict]]:
        """(oid, lang, positions) of the last version of every path the worker holds."""
        if self.pid == 0:
            return []
        try:
            _send(self._to_child, "positions")
            return _recv(self._from_child)
        except (OSError, EOFError, ValueError, zlib.error):
            self.close()
            return []

    def collect(self) -> tuple[list[Result], list[str]] | None:
        if self.pid == 0:
            return None
        try:
            raw, warnings = _recv(self._from_child)
        except (OSError, EOFError, ValueError, zlib.error):
            self.close()
            return None
        return [Missing(r[1]) if isinstance(r, tuple) and r[:1] == ("missing",) else r for r in raw], warnings

    def close(self) -> None:
        if self.pid:
            for fd in (self._to_child, self._from_child):
                try:
                    os.close(fd)
                except OSError:
                    pass
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.pid = 0


def _serve(inbox: int, outbox: int, open_blobs: Callable[[], Any], max_bytes: int) -> int:
    import gc

    gc.disable()  # as in the parent: extraction makes no cycles, and objects inherited from the
    gc.freeze()  # parent must never be collected (finalised) here
    from patina.procs import die_with_parent

    die_with_parent()
    reader = open_blobs()
    engine = Engine(reader, max_bytes)
    try:
        while True:
            try:
                jobs = _recv(inbox)
            except EOFError:
                return 0
            if jobs == "positions":
                _send(outbox, engine.final_positions())
                continue
            results = [("missing", r.side) if isinstance(r, Missing) else r
                       for r in engine.run_all([Job(*job) for job in jobs])]
            _send(outbox, (results, engine.warnings))
            engine.warnings = []
    finally:
        close = getattr(reader, "close", None)
        if close is not None:
            close()


class Pending:
    """A batch of jobs begun: cache hits read, misses found, the worker's share sent."""

    def __init__(self, todo: list[Job]) -> None:
        self.todo = todo
        self.hits: dict[Job, Result] = {}
        self.misses: list[Job] = []
        self.theirs: list[Job] = []


class Split:
    """Which process extracts each path: this one or the worker. A path stays where it first went
    (its parse state lives there); a new path goes to the side with less work so far, counted in
    file changes, the heaviest paths of a batch placed first. The worker is given the larger
    share: this process also turns the deltas into events and writes them. (A fixed hash split
    gave this process 68% of flask's bytes: two processes were no faster than one.) Which side
    extracts a path never changes its facts: extraction does not depend on the route."""

    WORKER_SHARE = 0.65

    def __init__(self) -> None:
        self.owner: dict[str, bool] = {}  # path -> this process extracts it
        self.load = [0.0, 0.0]  # work so far: [here / (1 - share), worker / share]

    def assign(self, jobs: list[Job]) -> None:
        counts: dict[str, int] = {}
        for job in jobs:
            counts[job.path] = counts.get(job.path, 0) + 1
        new = []
        for path, n in counts.items():
            mine = self.owner.get(path)
            if mine is None:
                new.append((path, n))
            else:
                self._add(mine, n)
        for path, n in sorted(new, key=lambda pn: (-pn[1], pn[0])):
            mine = self.load[0] <= self.load[1]
            self.owner[path] = mine
            self._add(mine, n)

    def _add(self, mine: bool, n: int) -> None:
        if mine:
            self.load[0] += n / (1 - self.WORKER_SHARE)
        else:
            self.load[1] += n / self.WORKER_SHARE

    def mine(self, path: str) -> bool:
        return self.owner.get(path, True)


# --- the code history of one build ---------------------------------------------------------------

class CodeHistory:
    """Per-build state of the code source: engines, the cache, the deltas of the current batch."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.engine: Engine | None = None
        self.worker: Worker | None = None
        self.split = Split()
        self.pending: Pending | None = None  # a batch begun (the worker on it), not yet finished
        self.cache: Cache | None = None
        self.ready: dict[Job, Result] = {}  # deltas of the current batch, by job
        self.warned: set[str] = set()
        self.stats = {"jobs": 0, "cache_hits": 0, "parsed_here": 0, "parsed_by_worker": 0}
        self._versions: dict[str, str] = {}
        self._snapshot_done = False

    def _engine(self, ctx: SourceContext) -> Engine:
        if self.engine is None:
            self.engine = Engine(ctx.read.blob, self.source.max_bytes)
        return self.engine

    def _cache(self, ctx: SourceContext) -> Cache:
        if self.cache is None:
            self.cache = Cache(ctx.cache_dir, self._version)
        return self.cache

    def _version(self, lang: str) -> str:
        if lang not in self._versions:
            self._versions[lang] = languages.extractor_version(lang)
        return self._versions[lang]

    def _warn(self, ctx: SourceContext, messages: Iterable[str]) -> None:
        for msg in messages:
            if msg not in self.warned:
                self.warned.add(msg)
                ctx.warn(msg)

    def close(self) -> None:
        """End of the build: keep the positions of each path's last version (code_positions
        reads them for HEAD's files), stop the worker, close the cache."""
        final = self.engine.final_positions() if self.engine is not None else []
        if self.pending is not None:  # a batch begun but never finished (the build stopped): its
            self.drop_worker()  # results, not positions, come next from the worker
        if self.worker is not None:
            final += self.worker.final_positions()
            self.worker.close()
            self.worker = None
        if self.cache is not None:
            self.cache.put_positions(final)
            self.cache.close()

    # -- jobs ------------------------------------------------------------------------------------
    def _side(self, path: str | None, oid: str, mode: str) -> tuple[str | None, str]:
        """(language, oid) of one side of a change; oid ZERO_OID when it is not a code file."""
        if path is None or oid == ZERO_OID or mode not in REGULAR_MODES:
            return None, ZERO_OID
        lang = self.source.language_of(path)
        return (lang, oid) if lang else (None, ZERO_OID)

    def jobs(self, changes: Iterable[FileChange]) -> list[Job]:
        """The jobs of one commit's changes, by path (a rename: the old path goes, the new comes)."""
        out: list[Job] = []
        for ch in changes:
            if ch.status == "R" and ch.old_path:
                lang, old = self._side(ch.old_path, ch.old_oid, ch.old_mode)
                if lang:
                    out.append(Job(ch.old_path, lang, old, ZERO_OID))
                lang, new = self._side(ch.path, ch.new_oid, ch.new_mode)
                if lang:
                    out.append(Job(ch.path, lang, ZERO_OID, new))
                continue
            old_lang, old = self._side(ch.path, ch.old_oid, ch.old_mode) if ch.status != "A" else (None, ZERO_OID)
            new_lang, new = self._side(ch.path, ch.new_oid, ch.new_mode) if ch.status != "D" else (None, ZERO_OID)
            lang = new_lang or old_lang
            if lang and (old != ZERO_OID or new != ZERO_OID):
                out.append(Job(ch.path, lang, old, new))
        return out

    def _due(self, commit: CommitRecord) -> bool:
        since = self.source.since
        return since is None or utc_timestamp(commit.commit_time) >= since

    def drop_worker(self) -> None:
        """Stop the worker and forget what it was sent (its paths are extracted here from now on:
        the same facts, from scratch)."""
        if self.worker is not None:
            self.worker.close()
        self.worker = None
        self.pending = None

    def _todo(self, items: list[tuple[CommitRecord, list[FileChange]]]) -> list[Job]:
        todo: list[Job] = []
        for commit, changes in items:
            if self._due(commit):
                todo.extend(self.jobs(changes))
        return todo

    def prefetch_begin(self, ctx: SourceContext, items: list[tuple[CommitRecord, list[FileChange]]]) -> None:
        """Start on the next batch while the caller still turns this one into events: the worker
        gets its share now (its results wait in the pipe); :meth:`prefetch` finishes it."""
        self.pending = self._begin(ctx, self._todo(items), use_worker=True)

    def prefetch(self, ctx: SourceContext, items: list[tuple[CommitRecord, list[FileChange]]]) -> None:
        """Compute the deltas of a batch of commits: cached ones read, the rest extracted along
        the history, split between this process and the worker when there are many."""
        todo = self._todo(items)
        pending, self.pending = self.pending, None
        if pending is None or pending.todo != todo:
            if pending is not None:  # begun for other items (not the way update.py calls): drain it
                self._finish(ctx, pending, {})
            pending = self._begin(ctx, todo, use_worker=True)
        self.ready = {}
        self._finish(ctx, pending, self.ready)

    def _compute(self, ctx: SourceContext, todo: list[Job]) -> None:
        """Deltas of jobs no prefetch computed, added to ``ready``, in this process only (a
        batch begun for the worker may be waiting in its pipe)."""
        self._finish(ctx, self._begin(ctx, todo, use_worker=False), self.ready)

    def _begin(self, ctx: SourceContext, todo: list[Job], use_worker: bool) -> "Pending":
        pending = Pending(todo)
        if not todo:
            return pending
        self.stats["jobs"] += len(todo)
        cached = self._cache(ctx).deltas({(j.old, j.new, j.lang) for j in todo})
        seen = set()
        for job in todo:
            hit = cached.get((job.old, job.new, job.lang))
            if hit is not None:
                pending.hits[job] = hit
                self.stats["cache_hits"] += 1
            elif job not in seen and job not in self.ready:
                seen.add(job)
                pending.misses.append(job)
        misses = pending.misses
        if use_worker and misses:
            if self.worker is None and len(misses) >= PARALLEL_MIN and hasattr(os, "fork") and hasattr(ctx.read, "open_blobs"):
                self.worker = Worker(ctx.read.open_blobs, self.source.max_bytes)
            if self.worker is not None:
                self.split.assign(misses)
                theirs = [j for j in misses if not self.split.mine(j.path)]
                if theirs and self.worker.submit(theirs):
                    pending.theirs = theirs
        return pending

    def _finish(self, ctx: SourceContext, pending: "Pending", ready: dict) -> None:
        import gc

        ready.update(pending.hits)
        misses, theirs = pending.misses, pending.theirs
        if not misses:
            return
        theirs_set = set(theirs)
        enabled = gc.isenabled()
        gc.disable()  # a batch allocates millions of short-lived objects and makes no cycles
        try:
            engine = self._engine(ctx)
            mine = [job for job in misses if job not in theirs_set]
            ready.update(zip(mine, engine.run_all(mine)))
            self.stats["parsed_here"] += len(mine)
            self._warn(ctx, engine.warnings)
            engine.warnings = []
            if theirs:
                got = self.worker.collect() if self.worker is not None else None
                if got is None or len(got[0]) != len(theirs):  # the worker failed: its jobs, here (same results)
                    self.drop_worker()
                    got = None
                    for job in theirs:
                        ready[job] = engine.run(job)
                else:
                    results, warnings = got
                    self._warn(ctx, warnings)
                    ready.update(zip(theirs, results))
                    self.stats["parsed_by_worker"] += len(theirs)
        finally:
            if enabled:
                # What the batch kept (the engine's per-path facts and trees: millions of objects)
                # is long-lived: frozen, the collector stops rescanning it after every batch
                # (0.3 s a batch on flask). Refcounting still frees it.
                gc.freeze()
                gc.enable()
        computed = set(misses)
        self._cache(ctx).put_deltas(((j.old, j.new, j.lang), r) for j, r in ready.items()
                                    if j in computed and isinstance(r, list))

    # -- events ----------------------------------------------------------------------------------
    def events(self, ctx: SourceContext, commit: CommitRecord, changes: list[FileChange]) -> list[Event]:
        try:
            return self._events(ctx, commit, changes)
        except Exception as exc:  # noqa: BLE001 - law 4: never a traceback
            ctx.warn(f"code: commit {commit.sha[:12]} skipped: {exc.__class__.__name__}: {exc}")
            return []

    def _events(self, ctx: SourceContext, commit: CommitRecord, changes: list[FileChange]) -> list[Event]:
        if not self._due(commit):
            return []
        ts = commit.timestamp
        out: list[Event] = []
        if self.source.since is not None and not self._snapshot_taken(ctx):
            out.extend(self.snapshot_events(ctx, commit.parents[0], ts) if commit.parents else [])
            self._snapshot_done = True
        jobs = self.jobs(changes)
        if any(j not in self.ready for j in jobs):  # not prefetched (a caller that skipped it)
            self._compute(ctx, [j for j in jobs if j not in self.ready])
        by_path: dict[str, list[Event]] = {}
        for job in jobs:
            result = self.ready.get(job)
            if result is None:
                continue  # language unavailable (warned)
            if isinstance(result, Missing):
                result = self._despite_missing(ctx, commit, job, result)
                if result is None:
                    continue
            by_path.setdefault(job.path, []).extend(events_of(job.path, result, ts))
        for path in sorted(by_path):
            out.extend(by_path[path])
        return out

    def _despite_missing(self, ctx: SourceContext, commit: CommitRecord, job: Job, missing: Missing) -> Delta | None:
        """A blob the object store lacks (partial clones). New side missing: the file's facts are
        left as they were. Old side missing: the new facts against those the log holds."""
        if missing.side == "new":
            ctx.warn(f"code: {job.path} at {commit.sha[:12]}: blob missing from the object store; facts unchanged")
            return None
        before = ctx.read.prior_facts(job.path, "code")
        if job.new == ZERO_OID:
            return delta(before, {})
        after = self._engine(ctx).facts(job.path, job.lang, job.new)
        if after is None or isinstance(after, Missing):
            return None
        return delta(before, after)

    # -- code.since ------------------------------------------------------------------------------
    def _snapshot_taken(self, ctx: SourceContext) -> bool:
        if not self._snapshot_done:
            self._snapshot_done = ctx.read.has_events("code.file")
        return self._snapshot_done

    def tree_files(self, ctx: SourceContext, commit: str) -> list[tuple[str, str, str]]:
        """(path, blob oid, language) of every file this source wants in ``commit``'s tree."""
        out = []
        for e in ctx.read.tree(commit):
            lang = self.source.language_of(e.path) if e.mode in REGULAR_MODES else None
            if lang:
                out.append((e.path, e.oid, lang))
        return out

    def tree_facts(self, ctx: SourceContext, commit: str) -> dict[str, Facts]:
        """Every wanted file's facts in a commit's tree (the snapshot, and the tests' oracle)."""
        engine = self._engine(ctx)
        out: dict[str, Facts] = {}
        for path, oid, lang in self.tree_files(ctx, commit):
            facts = engine.facts(path, lang, oid)
            if facts and not isinstance(facts, Missing):
                out[path] = facts
        self._warn(ctx, engine.warnings)
        return out

    def snapshot_events(self, ctx: SourceContext, commit: str, timestamp: str) -> list[Event]:
        out: list[Event] = []
        for path, facts in sorted(self.tree_facts(ctx, commit).items()):
            out.extend(events_of(path, delta({}, facts), timestamp))
        return out
