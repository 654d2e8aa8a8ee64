"""The git source: commits, in history order, with their diffs against the first parent.

Commit metadata, rename detection and line counts come from ``git log --raw --numstat``
itself (pygit2's rename pairing differs from git's on ~0.2% of commits: see
shared/stack-facts.md), streamed in the order the log needs through
``--stdin --no-walk=unsorted``, so memory stays flat in the number of commits.
"""

from __future__ import annotations

import heapq
import re
import subprocess
import threading
from typing import Iterable, Iterator, Sequence

from patina import gitcmd
from patina.events import Event, format_offset, utc_timestamp
from patina.sources.base import CommitRecord, FileChange

# --- planning -----------------------------------------------------------------------------


def read_graph(git_dir: str, tip: str, base: str | None) -> dict[str, tuple[str, ...]]:
    """Parents of every commit reachable from ``tip`` and not from ``base``."""
    args = ["rev-list", "--parents", tip] + ([f"^{base}"] if base else [])
    graph: dict[str, tuple[str, ...]] = {}
    for line in gitcmd.run(git_dir, args).stdout.decode().splitlines():
        shas = line.split()
        if shas:
            graph[shas[0]] = tuple(shas[1:])
    return graph


class Step:
    """One first-parent commit and the commits its merge brings in (already ordered)."""

    __slots__ = ("fp", "brought_in")

    def __init__(self, fp: str, brought_in: list[str] | None = None) -> None:
        self.fp = fp
        self.brought_in = brought_in or []


def first_parent_chain(graph: dict[str, tuple[str, ...]], tip: str) -> list[str]:
    """From the oldest new first-parent commit to ``tip``, following first parents in the graph."""
    chain = []
    sha: str | None = tip
    while sha is not None and sha in graph:
        chain.append(sha)
        parents = graph[sha]
        sha = parents[0] if parents else None
    chain.reverse()
    return chain


def plan(graph: dict[str, tuple[str, ...]], chain: Sequence[str]) -> list[Step]:
    """History order: for each first-parent commit, what its other parents bring in
    (parents before children, ties by sha), then the commit itself."""
    emitted: set[str] = set()
    steps = []
    for fp in chain:
        step = Step(fp)
        others = graph[fp][1:]
        if others:
            # Everything reachable from the other parents that is new and not yet emitted.
            pending: set[str] = set()
            stack = [p for p in others if p in graph]
            while stack:
                sha = stack.pop()
                if sha in pending or sha in emitted or sha == fp:
                    continue
                pending.add(sha)
                stack.extend(p for p in graph[sha] if p in graph)
            step.brought_in = topo_order(pending, graph)
            emitted.update(step.brought_in)
        emitted.add(fp)
        steps.append(step)
    return steps


def topo_order(nodes: set[str], graph: dict[str, tuple[str, ...]]) -> list[str]:
    """Parents before children; among commits ready at once, the smallest sha first."""
    waiting = {n: sum(1 for p in set(graph[n]) if p in nodes) for n in nodes}
    children: dict[str, list[str]] = {}
    for n in nodes:
        for p in set(graph[n]):
            if p in nodes:
                children.setdefault(p, []).append(n)
    ready = [n for n, k in waiting.items() if k == 0]
    heapq.heapify(ready)
    out = []
    while ready:
        n = heapq.heappop(ready)
        out.append(n)
        for c in children.get(n, ()):
            waiting[c] -= 1
            if waiting[c] == 0:
                heapq.heappush(ready, c)
    return out


# --- reading commits ----------------------------------------------------------------------

_FORMAT = "%x01%H%x00%P%x00%aN%x00%aE%x00%ad%x00%cN%x00%cE%x00%cd%x00%B%x00"
_LOG_ARGS = ["log", "--stdin", "--no-walk=unsorted", "-z", "--raw", "--numstat", "--no-abbrev",
             "--diff-merges=first-parent", "--no-textconv", "--no-ext-diff", "--no-color",
             "--date=raw", f"--format={_FORMAT}"]
PARALLEL_MIN = 1500  # commits: below this one git process is quicker to start than two
_NUMSTAT = re.compile(r"^(\d+|-)\t(\d+|-)\t(.*)$", re.S)


def _text(raw: str) -> str:
    """git's bytes arrive as surrogate-escaped str; invalid UTF-8 becomes U+FFFD."""
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _path(raw: str) -> str:
    """Paths keep invalid bytes visible and distinct, as \\xNN."""
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _offset(tz: str) -> int:
    sign = -1 if tz.startswith("-") else 1
    digits = tz.lstrip("+-").rjust(4, "0")
    return sign * (int(digits[:2]) * 60 + int(digits[2:4]))


def _chunks(stream, size: int = 1 << 20, depth: int = 32) -> Iterator[bytes]:
    """Read ``stream`` on a thread into a bounded queue, so git never waits on a full pipe
    while Python is busy writing to SQLite (they overlap on two cores)."""
    import queue

    q: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)

    def pump() -> None:
        try:
            while True:
                chunk = stream.read1(size) if hasattr(stream, "read1") else stream.read(size)
                if not chunk:
                    break
                q.put(chunk)
        finally:
            q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    while True:
        chunk = q.get()
        if chunk is None:
            return
        yield chunk


def _tokens(stream) -> Iterator[str]:
    rest = b""
    for chunk in _chunks(stream):
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        for part in parts:
            yield part.decode("utf-8", "surrogateescape")
    if rest:
        yield rest.decode("utf-8", "surrogateescape")


def parse_log(tokens: Iterator[str]) -> Iterator[CommitRecord]:
    """Parse the -z output of :data:`_LOG_ARGS` into records."""
    tok = next(tokens, None)
    while tok is not None:
        head = tok.lstrip("\n")
        if not head.startswith("\x01"):
            tok = next(tokens, None)
            continue
        sha = head[1:]
        fields = [next(tokens, "") for _ in range(8)]
        parents, author, email, adate, committer, cemail, cdate, message = fields
        a_epoch, _, a_tz = adate.partition(" ")
        c_epoch, _, c_tz = cdate.partition(" ")
        raws: list[tuple[str, str, str, str, str, str, str | None]] = []
        stats: list[tuple[str, str]] = []
        tok = next(tokens, None)
        while tok is not None:
            item = tok.lstrip("\n")
            if item.startswith("\x01"):
                break
            if item.startswith(":"):
                meta = item[1:].split(" ")
                old_mode, new_mode, old_oid, new_oid, status = meta[0], meta[1], meta[2], meta[3], meta[4]
                first = next(tokens, "")
                second = next(tokens, "") if status[:1] in ("R", "C") else None
                raws.append((status[:1], old_mode, new_mode, old_oid, new_oid, first, second))
            elif item:
                m = _NUMSTAT.match(item)
                if m:
                    if m.group(3) == "":  # rename: old and new paths follow
                        next(tokens, "")
                        next(tokens, "")
                    stats.append((m.group(1), m.group(2)))
            tok = next(tokens, None)
        files = []
        for i, (status, old_mode, new_mode, old_oid, new_oid, first, second) in enumerate(raws):
            added, removed = stats[i] if i < len(stats) else ("-", "-")
            binary = added == "-"
            if status in ("R", "C"):
                path, old_path = _path(second or ""), _path(first)
                status = "R" if status == "R" else "A"
            else:
                path, old_path = _path(first), None
            files.append(FileChange(
                path=path, status=status, old_path=old_path, old_oid=old_oid, new_oid=new_oid,
                old_mode=old_mode, new_mode=new_mode,
                lines_added=None if binary else int(added), lines_removed=None if binary else int(removed),
                binary=binary,
            ))
        yield CommitRecord(
            sha=sha, parents=tuple(parents.split()), author=_text(author), email=_text(email),
            author_time=int(a_epoch or 0), author_offset=_offset(a_tz or "+0000"),
            committer=_text(committer), committer_email=_text(cemail),
            commit_time=int(c_epoch or 0), commit_offset=_offset(c_tz or "+0000"),
            message=_text(message), files=tuple(files),
        )


class CommitReader:
    """Streams CommitRecords for a sequence of shas, in that order.

    Objects missing from the store (partial or damaged clones) do not stop the build: the
    commits git cannot diff are retried alone, then without line counts, then without files,
    and come back with ``incomplete=True``.
    """

    def __init__(self, git_dir: str, mailmap_commit: str | None) -> None:
        self.git_dir = git_dir
        self.extra = [f"mailmap.blob={mailmap_commit}:.mailmap"] if mailmap_commit else ["mailmap.blob="]

    def read(self, shas: Sequence[str]) -> Iterator[CommitRecord]:
        """Records for ``shas`` in order. Long reads run two git processes at once (both
        cores): the first streams, the second writes to an unlinked temporary file."""
        if len(shas) < PARALLEL_MIN:
            yield from self._checked(shas, self._start(shas))
            return
        half = len(shas) // 2
        import tempfile  # (only for a long log: 10 ms of imports a hook need not pay)

        spool = tempfile.TemporaryFile()
        second = self._start(shas[half:], spool)
        try:
            yield from self._checked(shas[:half], self._start(shas[:half]))
            second.wait()
            spool.seek(0)
            yield from self._checked(shas[half:], second, spool)
        finally:
            if second.poll() is None:
                second.kill()
                second.wait()
            spool.close()

    def _start(self, shas: Sequence[str], spool=None) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            gitcmd.git_argv(self.git_dir, _LOG_ARGS, self.extra), stdin=subprocess.PIPE,
            stdout=spool if spool is not None else subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=gitcmd.git_env(),
        )

        def feed() -> None:
            try:
                for sha in shas:
                    proc.stdin.write(sha.encode() + b"\n")  # type: ignore[union-attr]
                proc.stdin.close()  # type: ignore[union-attr]
            except (BrokenPipeError, OSError):
                pass

        threading.Thread(target=feed, daemon=True).start()
        return proc

    def _checked(self, shas: Sequence[str], proc: subprocess.Popen[bytes], spool=None) -> Iterator[CommitRecord]:
        """Records while git succeeded, then the rest one by one. A record is yielded only
        once the next has begun (or git exited 0): one cut short by an error never is."""
        stream = spool if spool is not None else proc.stdout
        held: CommitRecord | None = None
        done = 0
        try:
            for record in parse_log(_tokens(stream)):
                if held is not None:
                    yield held
                    done += 1
                held = record
        finally:
            if proc.stdout is not None:
                proc.stdout.close()
            code = proc.wait()
        if held is not None and code == 0:
            yield held
            done += 1
        for sha in shas[done:]:
            yield self._one(sha)

    def _one(self, sha: str) -> CommitRecord:
        for args in (_LOG_ARGS, [a for a in _LOG_ARGS if a != "--numstat"],
                     [a for a in _LOG_ARGS if a not in ("--numstat", "--raw")]):
            proc = gitcmd.run(self.git_dir, args, input=sha.encode() + b"\n", check=False,
                              extra_config=self.extra)
            if proc.returncode == 0:
                records = list(parse_log(iter(proc.stdout.decode("utf-8", "surrogateescape").split("\0"))))
                if records:
                    rec = records[0]
                    if args is _LOG_ARGS:
                        return rec
                    return rec._replace(incomplete=True)
        from patina.errors import GitError

        raise GitError(f"cannot read commit {sha}: its object is missing or damaged")


# --- events ---------------------------------------------------------------------------------


def commit_event(rec: CommitRecord, on_first_parent: bool) -> Event:
    files = []
    for f in rec.files:
        item = {"path": f.path, "status": f.status, "lines_added": f.lines_added,
                "lines_removed": f.lines_removed, "binary": f.binary}
        if f.old_path is not None:
            item["old_path"] = f.old_path
        files.append(item)
    data = {
        "sha": rec.sha,
        "message": rec.message,
        "author": rec.author,
        "email": rec.email,
        "author_offset": format_offset(rec.author_offset),
        "committer": rec.committer,
        "committer_email": rec.committer_email,
        "committer_time": utc_timestamp(rec.commit_time),
        "committer_offset": format_offset(rec.commit_offset),
        "parents": list(rec.parents),
        "is_merge": len(rec.parents) > 1,
        "first_parent": on_first_parent,
        "files": files,
    }
    if rec.incomplete:
        data["incomplete"] = True
    return Event("git.commit", utc_timestamp(rec.author_time), rec.sha, None, data)


def iter_records(reader: CommitReader, steps: Iterable[Step]) -> Iterator[tuple[Step, list[CommitRecord]]]:
    """For each step, its brought-in records then the first-parent record (last)."""
    steps = list(steps)
    order = [sha for s in steps for sha in (*s.brought_in, s.fp)]
    records = reader.read(order)
    for step in steps:
        batch = [next(records) for _ in range(len(step.brought_in) + 1)]
        yield step, batch
