"""The one pipeline. A full build is an update from an empty log.

    plan the first-parent steps from the newest commit the log shares with HEAD,
    truncate the log back to it, emit each step's events (commits the merge brings in,
    the commit, then each diff source's events), append, absorb into derived state.

``patina scrape``, the git hooks and ``patina verify`` all call :func:`update`; only the
starting point differs (the live database, or an empty one for a rebuild).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from typing import Any, Callable, Iterator, NamedTuple

from patina import config as team_config
from patina import gitcmd, store
from patina.events import Event, parse_when, utc_timestamp
from patina.repo import Repo, ensure_data_dir
from patina.sources import DIFF_SOURCES
from patina.sources.base import CommitRecord, FileChange, SourceContext, TreeEntry

BATCH = 256  # first-parent steps read ahead at once (sources may prefetch a batch in parallel)


def when(until: str) -> str:
    """A user's ``until`` as a UTC timestamp (UsageError naming the parameter if it is not a date)."""
    from patina.errors import UsageError

    try:
        return parse_when(until)
    except ValueError as exc:
        raise UsageError(str(exc), param="until") from None


class NeedsBackground(Exception):
    """Raised before any write when a hook's update would be long (see ``max_commits``)."""


class UpdateResult:
    """What an update did. (A plain class: dataclasses cost ~10 ms of import on the hook path.)"""

    def __init__(self, head: str | None, action: str, events_added: int = 0, commits_added: int = 0,
                 truncated_to: int | None = None, last_seq: int = 0, warnings: list[str] | None = None,
                 stale_batch: list[str] | None = None) -> None:
        self.head = head
        self.stale_batch = stale_batch or []  # batch materializers left behind the log (hooks)
        self.action = action  # "unchanged", "append", "replay", "rebuild"
        self.events_added = events_added
        self.commits_added = commits_added
        self.truncated_to = truncated_to
        self.last_seq = last_seq
        self.warnings = warnings or []

    def __repr__(self) -> str:
        return f"UpdateResult({self.__dict__})"

    def summary(self, seconds: float) -> str:
        """One line saying what the update did (``patina scrape`` prints it)."""
        if self.head is None:
            return "empty repository (unborn branch): the log is empty"
        if self.action == "unchanged":
            return f"up to date at {self.head[:12]}: {self.last_seq} events"
        cut = f", truncated to seq {self.truncated_to}" if self.truncated_to is not None else ""
        return (f"{self.action}: {self.commits_added} commits, +{self.events_added} events{cut}; "
                f"{self.last_seq} events at {self.head[:12]} ({seconds:.2f} s)")


# progress(commits done, commits in all, blob bytes read so far): after each batch.
Progress = Callable[[int, int, int], None]


def resolve_target(repo: Repo, until: str | None) -> str | None:
    """The commit to build for: HEAD, or with ``until`` the newest first-parent commit
    whose commit time is at or before it. None for an unborn branch; UsageError when no
    commit is that old."""
    proc = gitcmd.run(repo.git_dir, ["rev-parse", "--verify", "-q", "HEAD^{commit}"], check=False)
    head = proc.stdout.decode().strip() or None
    if head is None or until is None:
        return head
    limit = when(until)
    oldest = None
    for line in gitcmd.out(repo.git_dir, ["log", "--first-parent", "--format=%H %ct", head]).splitlines():
        sha, _, ct = line.partition(" ")
        oldest = utc_timestamp(int(ct))
        if oldest <= limit:
            return sha
    from patina.errors import UsageError

    raise UsageError(f"no commit at or before {until} (the first commit is from {oldest[:10] if oldest else '?'})",
                     param="until")


class Base(NamedTuple):
    """Where an update starts: the newest first-parent commit of the target already in the log."""

    pos: int  # its position in the chain
    sha: str
    seq: int  # the log's last seq at that commit
    # The commits the update adds, with their parents, when listing the chain told them all
    # (no merge among them: then they are exactly what read_graph would return); else None.
    graph: dict[str, tuple[str, ...]] | None


def _shared_base(conn: sqlite3.Connection, repo: Repo, target: str) -> Base | None:
    """The newest first-parent commit of ``target`` already in the log (None: no shared commit)."""
    proc = gitcmd.popen(repo.git_dir, ["rev-list", "--first-parent", "--parents", target])
    assert proc.stdout
    graph: dict[str, tuple[str, ...]] | None = {}
    try:
        for line in proc.stdout:
            sha, *parents = line.decode().split()
            step = store.chain_step(conn, sha)
            if step:
                return Base(*step, graph)
            if graph is not None:
                graph[sha] = tuple(parents)
                if len(parents) > 1:
                    graph = None  # a merge brings in commits off the chain: read_graph finds them
        return None
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()  # type: ignore[union-attr]


class _Reader:
    """The pipeline's :class:`~patina.sources.base.Reader`: git objects, and the log as built
    so far (each step's events are appended before the next step's are made)."""

    def __init__(self, conn: sqlite3.Connection, git_dir: str, blobs: gitcmd.BlobReader) -> None:
        self.conn = conn
        self.git_dir = git_dir
        self.blob = blobs

    def tree(self, commit: str) -> list[TreeEntry]:
        return [TreeEntry(*entry) for entry in gitcmd.ls_tree(self.git_dir, commit)]

    def prior_facts(self, path: str, source: str) -> dict[tuple[str, str], dict[str, Any]]:
        return store.fold_facts(self.conn, path, source)

    def session_files(self, session_id: str) -> list[str]:
        return store.session_files(self.conn, session_id)

    def has_events(self, event_type: str) -> bool:
        return store.has_event(self.conn, event_type)

    def open_blobs(self) -> gitcmd.BlobReader:
        return gitcmd.BlobReader(self.git_dir)

    def bytes_read(self) -> int:
        return self.blob.bytes_read


class _Sources:
    """The diff sources, loaded only when a commit touches a path one of them wants."""

    def __init__(self, config: team_config.Config) -> None:
        from patina import lazy

        self.sources = []
        for name, spec in DIFF_SOURCES:
            if name in config.sources.enabled:
                factory = lazy.load(spec)
                if factory is not None:
                    self.sources.append(factory(config))

    def close(self) -> None:
        for src in self.sources:
            close = getattr(src, "close", None)
            if close is not None:
                close()

    def route(self, rec: CommitRecord) -> list[tuple[Any, list[FileChange]]]:
        routed = []
        for src in self.sources:
            wanted = [c for c in rec.files if src.wants(c)]
            if wanted:
                routed.append((src, wanted))
        return routed


def _prefetch(batch, routed, sources: _Sources, ctx: SourceContext, method: str) -> None:
    """Call each source's ``method`` (prefetch, prefetch_begin) with its share of the batch."""
    for src in sources.sources:
        call = getattr(src, method, None)
        if call is not None:
            items = [(records[-1], changes) for (_, records), r in zip(batch, routed)
                     for s, changes in r if s is src]
            if items:
                call(ctx, items)


def _events_for_batch(batch, sources: _Sources, ctx: SourceContext,
                      upcoming=None) -> Iterator[tuple[str, list[Event]]]:
    """For each step in the batch: (fp sha, its events in order). The caller appends a step's
    events before asking for the next step's, so sources read the log as of their step.
    ``upcoming``: the next batch, which sources may begin on (in another process) meanwhile."""
    from patina.sources.git import commit_event

    routed = [sources.route(records[-1]) for _, records in batch]
    _prefetch(batch, routed, sources, ctx, "prefetch")
    if upcoming:
        _prefetch(upcoming, [sources.route(records[-1]) for _, records in upcoming], sources, ctx,
                  "prefetch_begin")
    for (step, records), r in zip(batch, routed):
        events = [commit_event(rec, rec.sha == step.fp) for rec in records]
        for src, changes in r:
            events.extend(src.events(ctx, records[-1], changes))
        yield step.fp, events


@contextmanager
def source_context(conn: sqlite3.Connection, repo: Repo, config: team_config.Config,
                   warn: Callable[[str], None]) -> Iterator[SourceContext]:
    """What sources (and the materializers that read blobs) are handed during an update."""
    blobs = gitcmd.BlobReader(repo.git_dir)
    try:
        yield SourceContext(read=_Reader(conn, repo.git_dir, blobs), config=config, warn=warn,
                            cache_dir=os.path.join(repo.data_dir, "cache"))
    finally:
        blobs.close()


def _fill(conn: sqlite3.Connection, repo: Repo, target: str, base: Base | None,
          ctx: SourceContext, progress: Progress | None, max_commits: int | None) -> tuple[int, int]:
    """Append the steps from ``base`` (exclusive) to ``target``. Returns (events, commits)."""
    from patina import derived
    from patina.sources import git as gitsrc

    graph = base.graph if base and base.graph is not None else \
        gitsrc.read_graph(repo.git_dir, target, base.sha if base else None)
    if max_commits is not None and len(graph) > max_commits:
        raise NeedsBackground(f"{len(graph)} commits to read")
    if progress:
        progress(0, len(graph), 0)
    chain = gitsrc.first_parent_chain(graph, target)
    steps = gitsrc.plan(graph, chain)
    reader = gitsrc.CommitReader(repo.git_dir, target)
    sources = _Sources(ctx.config)
    pos = base.pos if base else 0
    seq = base.seq if base else 0
    n_events = n_commits = 0
    incomplete: list[str] = []
    try:
        pairs = gitsrc.iter_records(reader, steps)

        def read_batch() -> list:
            batch = []
            for item in pairs:
                batch.append(item)
                if len(batch) >= BATCH:
                    break
            return batch

        upcoming = read_batch()
        while upcoming:
            batch, upcoming = upcoming, read_batch()  # one batch read ahead, for the sources
            chain_rows = []
            for fp, events in _events_for_batch(batch, sources, ctx, upcoming):
                n_events += len(events)
                seq = store.append(conn, events, seq)
                pos += 1
                chain_rows.append((pos, fp, seq))
            store.chain_append(conn, chain_rows)
            # Absorb as we go: derived work overlaps with git still reading on the other core.
            derived.absorb_all(conn)
            for _, records in batch:
                n_commits += len(records)
                incomplete.extend(r.sha for r in records if r.incomplete)
            if progress:
                progress(n_commits, len(graph), ctx.read.bytes_read())
    finally:
        sources.close()
    store.mark_incomplete(conn, incomplete, "objects missing from the object store")
    if incomplete:
        ctx.warn(f"{len(incomplete)} commit(s) have objects missing from the object store; "
             "built with what was there (see `patina status`)")
    return n_events, n_commits


def _write_meta(conn: sqlite3.Connection, repo: Repo, target: str | None, loaded: team_config.Loaded) -> None:
    """What the log was built for. All of it is a function of HEAD (no clock, no paths)."""
    from patina.events import canonical_json

    store.set_meta(conn, "head", target)
    store.set_meta(conn, "config", loaded.fingerprint)
    store.set_meta(conn, "config_json", canonical_json(loaded.config.as_dict()))
    store.set_meta(conn, "config_source", loaded.source)
    shallow = os.path.exists(os.path.join(repo.common_dir, "shallow"))
    store.set_meta(conn, "shallow", "1" if shallow else None)


def update(repo: Repo, *, full: bool = False, until: str | None = None, progress: Progress | None = None,
           warn: Callable[[str], None] | None = None, max_commits: int | None = None,
           db_path: str | None = None, at: str | None = None, batch: bool = False) -> UpdateResult:
    """Bring the database at ``db_path`` (default: the repository's) up to HEAD (or ``until``).

    The caller holds the lock (see patina.lock). ``max_commits`` (hooks): raise
    NeedsBackground instead of doing more than that much work in the foreground.
    ``at``: build for this commit instead of HEAD (verify rebuilds what the live log was built for).
    ``batch``: also rebuild stale batch materializers (term statistics) in the same transaction;
    `patina scrape` asks for it, hooks do not (they stay quick).
    """
    db_path = db_path or repo.db_path
    warnings: list[str] = []

    def _warn(msg: str) -> None:
        if msg not in warnings:
            warnings.append(msg)
            if warn:
                warn(msg)

    if until is not None:
        when(until)  # a bad date is a usage error before anything is read
    ids = None
    if at is not None or until is not None:
        target = at or resolve_target(repo, until)
    else:  # HEAD and the settings blobs in it, from one git process
        target, ids = gitcmd.head_and_blob_ids(repo.git_dir, team_config.SETTINGS_PATHS)
    # ConfigError: the log stays as it is
    loaded = team_config.resolve(repo.git_dir, target, None if full else store.known_config(db_path), ids)

    if db_path == repo.db_path:
        ensure_data_dir(repo)
    os.makedirs(os.path.dirname(db_path), exist_ok=True)
    _remove_stale_temp_files(db_path)

    if not full and os.path.exists(db_path):
        result = _incremental(repo, db_path, target, loaded, progress, _warn, max_commits, batch)
        if result is not None:
            result.warnings = warnings
            return result
    return _rebuild(repo, db_path, target, loaded, progress, _warn, max_commits, warnings, batch)


def _absorb(conn: sqlite3.Connection, batch: bool, ctx: SourceContext | None = None) -> None:
    from patina import derived

    derived.absorb_all(conn, ctx)
    if batch:
        stale = derived.stale(conn)
        if stale:
            derived.rebuild_all(conn, only=stale)


def _incremental(repo, db_path, target, loaded, progress, warn, max_commits, batch) -> UpdateResult | None:
    """Append or truncate-and-replay in one transaction; None when only a rebuild will do."""
    from patina.errors import DatabaseError

    config = loaded.config

    try:
        conn = store.connect(db_path)
    except (sqlite3.DatabaseError, DatabaseError):
        return None  # not a database (any more): rebuilt into a new file
    try:
        try:
            state = store.health(conn, quick=True)
        except sqlite3.DatabaseError:
            return None
        if state != "ok" or store.get_meta(conn, "config") != loaded.fingerprint:
            return None
        stored_head = store.get_meta(conn, "head")
        if stored_head == target:
            if batch and _stale(conn):
                with store.transaction(conn), source_context(conn, repo, config, warn) as ctx:
                    _absorb(conn, batch, ctx)
            return UpdateResult(head=target, action="unchanged", last_seq=store.last_seq(conn))
        if target is None:
            return None  # HEAD became unborn: rebuild (to an empty log)
        base = _shared_base(conn, repo, target)
        if base is None:
            return None
        with store.transaction(conn):
            truncated_to = None
            action = "append"
            if base.pos != store.chain_length(conn):
                truncated_to = base.seq
                action = "replay"
                from patina import derived

                derived.rollback(conn, truncated_to)  # while the events to undo are still there
                store.cut(conn, base.pos, truncated_to)
            # Meta first: materializers read the effective config (cochange.max_files) from it.
            _write_meta(conn, repo, target, loaded)
            with source_context(conn, repo, config, warn) as ctx:
                n_events, n_commits = _fill(conn, repo, target, base, ctx, progress, max_commits)
                _absorb(conn, batch, ctx)
            behind = _stale_batch(conn)
        return UpdateResult(head=target, action=action, events_added=n_events, commits_added=n_commits,
                            truncated_to=truncated_to, last_seq=store.last_seq(conn), stale_batch=behind)
    finally:
        conn.close()


def _stale(conn: sqlite3.Connection) -> bool:
    from patina import derived

    return bool(derived.stale(conn))


def _stale_batch(conn: sqlite3.Connection) -> list[str]:
    """The materializers an update left behind the log (batch ones: hooks leave them)."""
    from patina import derived

    return derived.stale(conn)


def _rebuild(repo, db_path, target, loaded, progress, warn, max_commits, warnings, batch) -> UpdateResult:
    """Build from an empty log into a new file, then rename it into place."""
    config = loaded.config
    if max_commits is not None and target is not None:
        count = int(gitcmd.out(repo.git_dir, ["rev-list", "--count", target]) or 0)
        if count > max_commits:
            raise NeedsBackground(f"rebuild of {count} commits")
    tmp = f"{db_path}.tmp-{os.getpid()}"
    conn = store.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode = OFF")  # a new file: nothing to roll back to
        conn.execute("PRAGMA synchronous = OFF")
        store.create_schema(conn)  # executescript: runs outside the transaction
        conn.execute("BEGIN")
        n_events = n_commits = 0
        _write_meta(conn, repo, target, loaded)  # first: materializers read the config from it
        if target is not None:
            with source_context(conn, repo, config, warn) as ctx:
                n_events, n_commits = _fill(conn, repo, target, None, ctx, progress, None)
                _absorb(conn, batch, ctx)
        else:
            _absorb(conn, batch)
        behind = _stale_batch(conn)
        conn.execute("COMMIT")
        last = store.last_seq(conn)
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.close()
        fsync_file(tmp)
        # A hot journal here belongs to the file being replaced: drop it with that file.
        for suffix in ("-journal", "-wal", "-shm"):
            if os.path.exists(db_path + suffix):
                os.remove(db_path + suffix)
        os.replace(tmp, db_path)
    except BaseException:
        conn.close()
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return UpdateResult(head=target, action="rebuild", events_added=n_events, commits_added=n_commits,
                        last_seq=last, warnings=warnings, stale_batch=behind)


def fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_temp_files(db_path: str) -> None:
    """Rebuilds killed before their rename leave ``<db>.tmp-<pid>``: remove those of dead pids."""
    from patina.procs import alive

    folder, prefix = os.path.split(db_path)
    prefix += ".tmp-"
    try:
        names = os.listdir(folder or ".")  # not glob: its import is a cost on the hook path
    except OSError:
        return
    for name in names:
        pid = name[len(prefix):] if name.startswith(prefix) else ""
        path = os.path.join(folder, name)
        if pid.isdigit() and pid != str(os.getpid()) and not alive(int(pid)):
            for suffix in ("", "-journal"):
                try:
                    os.remove(path + suffix)
                except FileNotFoundError:
                    pass


def current_head(repo: Repo) -> str | None:
    proc = gitcmd.run(repo.git_dir, ["rev-parse", "--verify", "-q", "HEAD^{commit}"], check=False)
    return proc.stdout.decode().strip() or None
