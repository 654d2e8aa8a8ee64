"""Git hooks: the fast entry point (`patina hook NAME ...`) and installing the scripts.

Git always wins: :func:`run_hook` returns 0 whatever happens. Errors become one line on
stderr and an entry in ``.patina/data/hook.log``; work too long for the foreground goes
to a detached background process under the same lock. This module imports neither
click nor pygit2; sources load their parsers only when a commit touches their files.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

HOOK_NAMES = ("post-commit", "post-merge", "post-checkout", "post-rewrite")
MARKER = "# patina-hook"
# More new commits than this and a hook hands the update to the background.
FOREGROUND_MAX_COMMITS = int(os.environ.get("PATINA_HOOK_FOREGROUND_MAX", "150"))


LOG_MAX_BYTES = 1 << 20  # hook.log is rotated to hook.log.1 past this size


def _log(data_dir: str | None, line: str) -> None:
    if not data_dir:
        return
    try:
        os.makedirs(data_dir, exist_ok=True)
        path = os.path.join(data_dir, "hook.log")
        if os.path.exists(path) and os.path.getsize(path) > LOG_MAX_BYTES:
            os.replace(path, path + ".1")
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}\n")
    except OSError:
        pass


def _hook_args(name: str, args: list[str]) -> list[str]:
    """git passes arguments; pre-commit passes them as PRE_COMMIT_* variables instead."""
    if args or not os.environ.get("PRE_COMMIT"):
        return args
    env = os.environ
    if name == "post-checkout":
        return [env.get("PRE_COMMIT_FROM_REF", ""), env.get("PRE_COMMIT_TO_REF", ""),
                env.get("PRE_COMMIT_CHECKOUT_TYPE", "1")]
    if name == "post-merge":
        return [env.get("PRE_COMMIT_IS_SQUASH_MERGE", "0")]
    if name == "post-rewrite":
        return [env.get("PRE_COMMIT_REWRITE_COMMAND", "")]
    return args


def _detect_stage() -> str:
    """For pre-commit's single `patina` id: which stage is this, from its variables."""
    env = os.environ
    if "PRE_COMMIT_CHECKOUT_TYPE" in env or "PRE_COMMIT_FROM_REF" in env:
        return "post-checkout"
    if "PRE_COMMIT_IS_SQUASH_MERGE" in env:
        return "post-merge"
    if "PRE_COMMIT_REWRITE_COMMAND" in env:
        return "post-rewrite"
    return "post-commit"


def run_hook(argv: list[str]) -> int:
    """``patina hook NAME [git's arguments]``: update the log; always returns 0."""
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: patina hook {post-commit|post-merge|post-checkout|post-rewrite} [git's arguments]\n\n"
              "Run by the git hooks that `patina hooks install` or pre-commit set up: updates the\n"
              "log incrementally. Always exits 0: a hook never fails a git command.\n\n"
              "Example (what .git/hooks/post-checkout runs):\n  patina hook post-checkout OLD NEW 1")
        return 0
    if argv[0] == BACKGROUND:
        import gc

        gc.enable()  # turned off for the quick foreground path (see __main__); this job may be long
        return _background(argv[1:])
    name = _detect_stage() if argv[0] == "auto" else argv[0]
    if _started_unsafely():
        print("patina: started with the repository first on Python's path (hook scripts from before "
              "`python -P`?): a module committed at its top level could run in place of Python's own; "
              "run `patina hooks install`", file=sys.stderr)
    args = _hook_args(name, argv[1:])
    if name == "post-checkout" and len(args) >= 3 and args[2] == "0":
        return 0  # a file checkout: HEAD did not move
    if name == "post-rewrite" and args[:1] == ["amend"]:
        return 0  # git ran post-commit for the amended commit: the log already follows it
    data_dir = None
    try:
        repo = _repo()
        data_dir = repo.data_dir
        if name in ("post-commit", "post-checkout") and _rebasing(repo.git_dir):
            return 0  # each step of a rebase: the post-rewrite at its end updates once for all
        return _update_from_hook(repo, name)
    except Exception as exc:  # git always wins
        msg = _one_line(exc)
        print(f"patina: {name} hook: {msg} (the log will catch up at the next update)", file=sys.stderr)
        _log(data_dir, f"{name}: error: {type(exc).__name__}: {msg}")
        return 0


def _rebasing(git_dir: str) -> bool:
    """Whether a rebase is under way (its state directory exists in this worktree's git dir).
    One that is aborted leaves HEAD where the log already is; one given up with ``--quit`` is
    noticed by the next hook or ``patina scrape``, like a reset."""
    return any(os.path.isdir(os.path.join(git_dir, d)) for d in ("rebase-merge", "rebase-apply"))


BACKGROUND = "--background"  # internal: the detached job a hook hands long work to


def _repo():
    from patina.repo import discover

    return discover(None, os.environ.get("PATINA_DB"))


def _one_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _update_from_hook(repo, name: str) -> int:
    from patina.errors import LockBusy
    from patina.runner import run_update
    from patina.update import NeedsBackground

    try:
        # wait=0: if another update holds the lock, we knock and it re-checks HEAD when done
        # (see runner); a hook itself asks git again only when knocked.
        result = run_update(repo, wait=0, max_commits=FOREGROUND_MAX_COMMITS, what=f"patina hook {name}",
                            recheck=False, warn=lambda m: _log(repo.data_dir, f"{name}: warning: {m}"))
    except LockBusy as busy:
        _log(repo.data_dir, f"{name}: {busy}; it will catch up")
        return 0
    except NeedsBackground as why:
        _spawn_background(repo, name, str(why))
        return 0
    if result.action != "unchanged":
        _log(repo.data_dir, f"{name}: {result.action} +{result.events_added} events, "
                            f"last seq {result.last_seq} at {(result.head or '-')[:12]}")
    if result.stale_batch:  # term statistics (and the like): brought current off the hook path
        _spawn_background(repo, name, f"bring {', '.join(result.stale_batch)} current", quiet=True)
    elif result.action != "unchanged":
        why = _oxidize_wanted(repo)  # a hook never loads a model: a background job may
        if why:
            _spawn_background(repo, name, why, quiet=True)
    return 0


def _oxidize_wanted(repo) -> str | None:
    """Why the vectors (`patina oxidize`) need a background job now, or None (numpy-free: the few
    documents a commit adds are embedded by the next scry)."""
    from patina import store
    from patina.oxidize.state import wanted_in_background

    conn = store.connect(repo.db_path, readonly=True)
    try:
        return wanted_in_background(repo, conn)
    finally:
        conn.close()


def _oxidize_in_background(repo, name: str) -> None:
    """The background job's last step: bring the vectors current when the hooks wanted it."""
    why = _oxidize_wanted(repo)
    if why:
        from patina.oxidize.run import background

        _log(repo.data_dir, f"{name}: background: oxidize ({why})")
        background(repo, lambda line: _log(repo.data_dir, f"{name}: background: {line}"))


def _spawn_background(repo, name: str, why: str, quiet: bool = False) -> None:
    """Hand the work to a detached process (it waits for the lock, updates, logs the outcome).
    At most one such job lives at a time: it catches up with whatever happened meanwhile."""
    os.makedirs(repo.data_dir, exist_ok=True)
    if not _claim(repo.data_dir):
        _log(repo.data_dir, f"{name}: background job already running; it will catch up")
        return
    log_path = os.path.join(repo.data_dir, "hook.log")
    cmd = [sys.executable, "-P", "-m", "patina", "hook", BACKGROUND, name, why]  # -P: see render()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    if repo.work_tree is None or os.environ.get("PATINA_DB"):
        env["PATINA_DB"] = repo.db_path
    try:
        with open(log_path, "a", encoding="utf-8") as log:
            child = subprocess.Popen(cmd, cwd=repo.work_tree or repo.git_dir, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=log, start_new_session=True, close_fds=True, env=env)
        _mark(repo.data_dir, child.pid)
    except BaseException:
        _release(repo.data_dir)
        raise
    if not quiet:
        print(f"patina: updating the log in the background ({why}); see {log_path}", file=sys.stderr)
    _log(repo.data_dir, f"{name}: background: started ({why})")


def _settled(repo) -> bool:
    """The log is built for HEAD and no derived table is behind it."""
    from patina import derived, store
    from patina.update import current_head

    conn = store.connect(repo.db_path, readonly=True)
    try:
        return store.get_meta(conn, "head") == current_head(repo) and not derived.stale(conn)
    finally:
        conn.close()


def _job_file(data_dir: str) -> str:
    return os.path.join(data_dir, "background.pid")


def _claim(data_dir: str) -> bool:
    """Take the one background slot (a pid file); a slot whose process is gone is taken over."""
    from patina.procs import alive

    path = _job_file(data_dir)
    for _ in range(2):
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            return True
        except FileExistsError:
            try:
                with open(path, encoding="utf-8") as fh:
                    pid = int(fh.read().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and alive(pid):
                return False
            if not pid and time.time() - _mtime(path) < 5:
                return False  # just claimed by a spawner that has not written the pid yet
            _release(data_dir)
    return False


def _mark(data_dir: str, pid: int) -> None:
    with open(_job_file(data_dir), "w", encoding="utf-8") as fh:
        fh.write(str(pid))


def _release(data_dir: str) -> None:
    try:
        os.remove(_job_file(data_dir))
    except FileNotFoundError:
        pass


def _mtime(path: str) -> float:
    try:
        return os.path.getmtime(path)
    except OSError:
        return 0.0


def _background(argv: list[str]) -> int:
    """The detached job: wait for the lock, bring the log and every derived table current, and
    log how it ended and how long it took. Before leaving it gives up its slot, then looks
    once more: work that arrived meanwhile (a hook that saw the slot taken) is done too."""
    name = argv[0] if argv else "hook"
    data_dir = None
    start = time.monotonic()
    try:
        from patina.runner import run_update

        repo = _repo()
        data_dir = repo.data_dir
        _mark(data_dir, os.getpid())
        while True:
            result = run_update(repo, wait=None, batch=True, what=f"patina background update ({name})",
                                warn=lambda m: _log(repo.data_dir, f"{name}: background: warning: {m}"))
            _log(data_dir, f"{name}: background: finished in {time.monotonic() - start:.1f} s: {result.action} "
                           f"+{result.events_added} events, last seq {result.last_seq} at {(result.head or '-')[:12]}")
            _oxidize_in_background(repo, name)
            _release(data_dir)
            if _settled(repo) or not _claim(data_dir):
                break
            _mark(data_dir, os.getpid())
    except Exception as exc:  # noqa: BLE001 - one line in the log, never a traceback
        _log(data_dir, f"{name}: background: failed after {time.monotonic() - start:.1f} s: "
                       f"{type(exc).__name__}: {_one_line(exc)}")
        if data_dir:
            _release(data_dir)
    return 0


# --- installing ---------------------------------------------------------------------------------

def render(name: str, python: str = "") -> str:
    """The hook script. ``python``: the interpreter Patina was installed with ("" = use PATH).

    ``-P`` (Python >= 3.11): ``python -m`` would put the working directory, the repository's
    top level, first on ``sys.path``, so a ``queue.py`` or ``json.py`` committed there would
    run in place of the standard module at the next commit or checkout."""
    import shlex

    return f"""#!/bin/sh
{MARKER} ({name}): keeps .patina/data/patina.db current. Never fails a git command.
# Installed by `patina hooks install`; a hook that was here before runs first, as {name}.legacy.
PATINA_PYTHON={shlex.quote(python)}
if [ -x "$0.legacy" ]; then "$0.legacy" "$@"; fi
if [ -n "$PATINA_PYTHON" ] && [ -x "$PATINA_PYTHON" ]; then
  exec "$PATINA_PYTHON" -P -m patina hook {name} "$@"
elif command -v patina >/dev/null 2>&1; then
  exec patina hook {name} "$@"
fi
exit 0
"""


def hooks_dir(start: str | None = None) -> str:
    """The directory git runs hooks from: honours core.hooksPath (also from the user's
    config, as git does) and linked worktrees (hooks live in the common directory)."""
    proc = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-path", "hooks"],
                          cwd=start, capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")})
    if proc.returncode != 0:
        from patina.errors import NotARepository

        raise NotARepository(f"not a git repository: {os.path.abspath(start or '.')}")
    return proc.stdout.strip()


def _is_ours(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return MARKER in fh.read(512)
    except OSError:
        return False


def _is_current(path: str, name: str) -> bool:
    """Whether our script at ``path`` is what this Patina installs (for the interpreter it names)."""
    import shlex

    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return False
    line = next((ln for ln in text.splitlines() if ln.startswith("PATINA_PYTHON=")), None)
    if line is None:
        return False
    try:
        python = (shlex.split(line.partition("=")[2]) or [""])[0]
    except ValueError:
        return False
    return text == render(name, python)


def _started_unsafely() -> bool:
    """Whether this process has the working directory (the repository's top level) first on
    ``sys.path``: a hook script from before ``-P``, which ran ``python -m patina`` there."""
    if sys.flags.safe_path or not sys.path:
        return False
    first = sys.path[0]
    try:
        return first == "" or os.path.samefile(first, os.getcwd())
    except OSError:
        return False


def install(start: str | None = None, python: str | None = None) -> list[tuple[str, str]]:
    """Install the four hooks; idempotent; an existing foreign hook is kept as <hook>.legacy."""
    directory = hooks_dir(start)
    os.makedirs(directory, exist_ok=True)
    python = sys.executable if python is None else python
    done = []
    for name in HOOK_NAMES:
        path = os.path.join(directory, name)
        text = render(name, python)
        if os.path.exists(path) and not _is_ours(path):
            if os.path.exists(path + ".legacy"):
                done.append((name, f"skipped: {name} and {name}.legacy both exist and are not Patina's"))
                continue
            os.replace(path, path + ".legacy")
            state = "installed (existing hook kept as .legacy, runs first)"
        elif os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                state = "already installed" if fh.read() == text else "updated"
        else:
            state = "installed"
        tmp = path + ".patina-tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
        done.append((name, state))
    return done


def uninstall(start: str | None = None) -> list[tuple[str, str]]:
    directory = hooks_dir(start)
    done = []
    for name in HOOK_NAMES:
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            done.append((name, "not installed"))
        elif not _is_ours(path):
            done.append((name, "left alone (not Patina's)"))
        else:
            os.remove(path)
            if os.path.exists(path + ".legacy"):
                os.replace(path + ".legacy", path)
                done.append((name, "removed (previous hook restored)"))
            else:
                done.append((name, "removed"))
    return done


def status(start: str | None = None) -> list[tuple[str, str]]:
    directory = hooks_dir(start)
    out = []
    for name in HOOK_NAMES:
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            out.append((name, "absent"))
        elif _is_ours(path):
            legacy = " + chained .legacy" if os.path.exists(path + ".legacy") else ""
            stale = "" if _is_current(path, name) else " (outdated: run `patina hooks install`)"
            out.append((name, f"patina{legacy}{stale}"))
        else:
            with open(path, encoding="utf-8", errors="replace") as fh:
                head = fh.read(2048)
            out.append((name, "pre-commit" if "pre-commit" in head else "other hook (not Patina's)"))
    return out
