"""Running git's own plumbing, isolated from everything but the repository's objects.

Every call runs as if the repository were bare (``core.bare=true``): git reads no
working-tree ``.mailmap`` or ``.gitattributes``, no user or system config, no replace
refs. What it prints is then a function of the objects alone (law 1).
"""

from __future__ import annotations

import os
import subprocess
from typing import Sequence

from patina.errors import GitError

# Variables a hook inherits from git that would point our calls elsewhere.
_STRIP = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_COMMON_DIR", "GIT_NAMESPACE")

# git's documented defaults, pinned so a user's repository config cannot change the log.
PINNED_CONFIG = (
    "core.bare=true",
    "core.quotePath=false",
    "diff.renames=true",
    "diff.renameLimit=1000",
    "diff.algorithm=myers",
    "diff.relative=false",
    "diff.ignoreSubmodules=none",
    "log.showRoot=true",
    "log.showSignature=false",
    "log.mailmap=true",
    "i18n.logOutputEncoding=UTF-8",
    "mailmap.file=",
)


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _STRIP}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_NO_REPLACE_OBJECTS="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        LC_ALL="C",
    )
    return env


def git_argv(git_dir: str, args: Sequence[str], extra_config: Sequence[str] = ()) -> list[str]:
    argv = ["git"]
    for item in (*PINNED_CONFIG, *extra_config):
        argv += ["-c", item]
    return [*argv, f"--git-dir={git_dir}", *args]


def run(git_dir: str, args: Sequence[str], *, input: bytes | None = None, check: bool = True,
        extra_config: Sequence[str] = ()) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(
        git_argv(git_dir, args, extra_config), input=input, capture_output=True, env=git_env()
    )
    if check and proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {msg[-1] if msg else 'exit ' + str(proc.returncode)}")
    return proc


def popen(git_dir: str, args: Sequence[str], *, stdin: int | None = None,
          extra_config: Sequence[str] = ()) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        git_argv(git_dir, args, extra_config),
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=git_env(),
        bufsize=1 << 16,
    )


def batch_check_ids(output: str, kind: str, expected: int) -> list[str | None]:
    """The object id on each line of ``git cat-file --batch-check`` output when it names an object
    of ``kind`` (None for missing ones or another kind), padded to ``expected`` answers."""
    ids: list[str | None] = []
    for line in output.splitlines():
        parts = line.split()
        ids.append(parts[0] if len(parts) == 3 and parts[1] == kind else None)
    return ids + [None] * (expected - len(ids))


def head_and_blob_ids(git_dir: str, paths: Sequence[str]) -> tuple[str | None, list[str | None]]:
    """HEAD's commit (None if unborn) and the blob id of each path in that commit (None where
    absent), from one ``git cat-file --batch-check`` asked in turn: HEAD first, then the paths
    in the commit it named (so both answers are about the same commit). One process where
    ``rev-parse`` and a second lookup would be two, on the hook path."""
    proc = popen(git_dir, ["cat-file", "--batch-check"], stdin=subprocess.PIPE)
    assert proc.stdin and proc.stdout
    try:
        proc.stdin.write(b"HEAD^{commit}\n")
        proc.stdin.flush()
        head = batch_check_ids(proc.stdout.readline().decode("utf-8", "replace"), "commit", 1)[0]
        if head is None:
            return None, [None] * len(paths)
        proc.stdin.write("".join(f"{head}:{p}\n" for p in paths).encode())
        proc.stdin.close()
        return head, batch_check_ids(proc.stdout.read().decode("utf-8", "replace"), "blob", len(paths))
    finally:
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream and not stream.closed:
                stream.close()
        proc.wait()


def out(git_dir: str, args: Sequence[str], **kw) -> str:
    return run(git_dir, args, **kw).stdout.decode("utf-8", "replace").strip()


def ls_tree(git_dir: str, commit: str) -> list[tuple[str, str, str]]:
    """(path, blob id, mode) of every file in ``commit``'s tree, sorted by path; paths spelled
    as the git source spells them (invalid UTF-8 as \\xNN). Submodules are not files."""
    out = []
    for entry in run(git_dir, ["ls-tree", "-r", "-z", commit]).stdout.split(b"\0"):
        meta, _, raw_path = entry.partition(b"\t")
        parts = meta.decode().split()
        if len(parts) == 3 and parts[1] == "blob":
            out.append((raw_path.decode("utf-8", "backslashreplace"), parts[2], parts[0]))
    return sorted(out)


class BlobReader:
    """Reads blobs through one long-lived ``git cat-file --batch`` (cheap on the hook path)."""

    def __init__(self, git_dir: str) -> None:
        self.git_dir = git_dir
        self._proc: subprocess.Popen[bytes] | None = None
        self.bytes_read = 0

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            self._proc = subprocess.Popen(
                git_argv(self.git_dir, ["cat-file", "--batch"]),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=git_env(),
            )
        return self._proc

    def __call__(self, oid: str) -> bytes | None:
        if not oid or oid == "0" * len(oid):
            return None
        proc = self._process()
        assert proc.stdin and proc.stdout
        proc.stdin.write(oid.encode() + b"\n")
        proc.stdin.flush()
        return self._answer()

    def many(self, oids: Sequence[str]) -> dict[str, bytes | None]:
        """Several blobs in one stream: every request is written at once (from a thread, so
        neither side waits on a full pipe) and the answers read in turn. On a busy machine a
        round trip per blob waits for git to be scheduled each time; this waits once."""
        import threading

        wanted = list(dict.fromkeys(o for o in oids if o and o != "0" * len(o)))
        if not wanted:
            return {}
        proc = self._process()
        assert proc.stdin and proc.stdout
        request = b"".join(o.encode() + b"\n" for o in wanted)

        def write() -> None:
            try:
                proc.stdin.write(request)  # type: ignore[union-attr]
                proc.stdin.flush()  # type: ignore[union-attr]
            except (BrokenPipeError, OSError, ValueError):
                pass

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        try:
            return {oid: self._answer() for oid in wanted}
        except BaseException:
            self._stop()  # answers may be left unread: the next request starts a new cat-file
            raise
        finally:
            writer.join()

    def _answer(self) -> bytes | None:
        proc = self._proc
        assert proc is not None and proc.stdout
        header = proc.stdout.readline()
        parts = header.split()
        if len(parts) != 3:
            return None  # "<oid> missing"
        size = int(parts[2])
        data = proc.stdout.read(size)
        proc.stdout.read(1)  # the newline after the content
        if parts[1] != b"blob":
            return None  # another kind of object: read past it, so the next answer is in step
        self.bytes_read += size
        return data

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def close(self) -> None:
        if self._proc is not None:
            try:
                self._proc.stdin.close()  # type: ignore[union-attr]
                self._proc.wait(timeout=5)
            except Exception:
                self._proc.kill()
            self._proc = None
