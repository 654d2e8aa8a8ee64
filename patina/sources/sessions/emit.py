"""A commit's changes to session files -> ``session.*`` events.

Diff-driven: for each changed session file the old blob (first parent) and the new blob are
parsed and compared item by item on a content key; only items new in the new blob become
events, and what disappeared is named in one ``session.revised`` event, so the views can show
the current state. Because the pipeline hands over the diff against the first parent, the
fold over first-parent commits is consistent: each commit's "old" is the previous commit's "new".

Times: an activity entry's ``HH:MM`` is local; the offset is the session ID (local) minus
``Started`` (UTC). Without ``Started`` the ID is read in the commit author's zone; without
either the session starts at the commit time. Nothing here reads a clock.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import posixpath
import re
from typing import Any

from patina.events import Event, canonical_json, format_offset, to_utc, utc_timestamp
from patina.sources.base import ZERO_OID, CommitRecord, FileChange, SourceContext
from patina.sources.sessions.model import SessionDoc

NOT_FILES = ("120000", "160000")  # symlinks and submodules are never session files
CACHE_SIZE = 64
MAX_OFFSET = 14 * 60
_ID_RX = re.compile(r"^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})?$")


class Session:
    """One version of one session file, resolved against the commit that carries it.
    (A plain class: dataclass creation would cost milliseconds on the hook path.)"""

    __slots__ = ("id", "path", "started", "items", "removed_entry")

    def __init__(self, id: str, path: str, started: Event) -> None:  # noqa: A002 - the session's id
        self.id = id
        self.path = path
        self.started = started
        self.items: list[tuple[str, Event]] = []  # (key, event), goals first
        self.removed_entry: dict[str, dict[str, Any]] = {}  # key -> {type, content, key}


# --- reading a blob ----------------------------------------------------------------------------


def decode(raw: bytes, max_bytes: int) -> tuple[str | None, list[str]]:
    """Bytes -> text, or None for binary content; with the problems met on the way."""
    problems: list[str] = []
    if len(raw) > max_bytes:
        cut = raw.rfind(b"\n", 0, max_bytes)
        raw = raw[:cut + 1] if cut > 0 else raw[:max_bytes]
        problems.append(f"larger than sessions.max_bytes ({max_bytes} bytes): read the first {len(raw)} bytes")
    if b"\0" in raw[:8000]:
        problems.append("binary content under a session file name: kept the session, without items")
        return None, problems
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
        problems.append("invalid UTF-8: decoded with replacement characters")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        problems.append("empty session file: kept the session, without items")
    return text, problems


def file_stem(path: str) -> str:
    base = posixpath.basename(path)
    stem, ext = posixpath.splitext(base)
    return stem if ext.lower() in (".md", ".markdown") and stem else base


_PARSER_ID: str | None = None


def parser_id() -> str:
    """Identifies the parsing code (our parser and rules, mistune's version) without importing
    mistune: part of every disk-cache key, so a changed parser never reads a stale parse."""
    global _PARSER_ID
    if _PARSER_ID is None:
        import importlib.util

        digest = hashlib.sha256()
        here = os.path.dirname(os.path.abspath(__file__))
        spec = importlib.util.find_spec("mistune")
        ours = [os.path.join(here, f"{name}.py") for name in ("parse", "rules", "model", "emit")]  # emit: decode()
        for name in (*ours, spec.origin if spec and spec.origin else ""):
            try:
                with open(name, "rb") as fh:
                    digest.update(fh.read())
            except OSError:
                digest.update(b"?")
        _PARSER_ID = digest.hexdigest()[:16]
    return _PARSER_ID


def _disk_path(ctx: SourceContext, key: str) -> str | None:
    if not ctx.cache_dir:
        return None
    name = hashlib.sha256(f"{parser_id()}\0{key}".encode()).hexdigest()
    return os.path.join(ctx.cache_dir, "sessions", name[:2], name[2:] + ".json")


def _disk_get(path: str | None) -> SessionDoc | None:
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            return SessionDoc.from_json(json.load(fh))
    except Exception:  # noqa: BLE001 - missing or damaged cache entry: parse again
        return None


def _disk_put(path: str | None, doc: SessionDoc) -> None:
    if path is None:
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(canonical_json(doc.to_json()))
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that cannot be written is only slower


def parse_blob(cache: dict[str, Any], ctx: SourceContext, oid: str, path: str, max_bytes: int) -> SessionDoc | None:
    """The parsed document for a blob, or None when the object is missing.

    Cached by content (blob id, file stem, size cap) in memory and under ``ctx.cache_dir``: the
    old version of a modified file is the new version of an earlier commit, and a rebuild reads
    every version again, so most parses (and often the mistune import) are skipped. Problems are
    reported through ``ctx.warn`` each time (it deduplicates).
    """
    stem = file_stem(path)
    key = f"{oid}\0{stem}\0{max_bytes}"
    doc = cache.get(key)
    if doc is None:
        disk = _disk_path(ctx, key)
        doc = _disk_get(disk)
        if doc is None:
            raw = ctx.read.blob(oid)
            if raw is None:
                ctx.warn(f"{path}: blob {oid[:12]} is missing from the object store: session left as it was")
                return None
            text, problems = decode(raw, max_bytes)
            if text is None or not text.strip():
                doc = SessionDoc()
            else:
                from patina.sources.sessions.parse import parse_text  # imports mistune

                doc = parse_text(text, stem)
            doc.problems[:0] = problems
            _disk_put(disk, doc)
        if len(cache) >= CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = doc
    for problem in doc.problems:
        ctx.warn(f"{path}: {problem}")
    return doc


# --- resolving a document into events -------------------------------------------------------


def _parse_started(value: str | None) -> _dt.datetime | None:
    if not value:
        return None
    raw = value.strip().strip("`").strip()
    try:
        moment = _dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)  # the template writes UTC
    return moment


def _parse_id_time(session_id: str) -> _dt.datetime | None:
    m = _ID_RX.match(session_id)
    if not m:
        return None
    try:
        return _dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6] or 0))
    except ValueError:
        return None


def _session_id(doc: SessionDoc, path: str, warn) -> str:
    raw = " ".join((doc.fields.get("id") or "").replace("`", "").split())
    if raw and len(raw) <= 200:
        return raw
    if raw:
        warn(f"{path}: session ID longer than 200 characters: used the file name")
    return file_stem(path)


def item_key(parts: list[Any]) -> str:
    """A stable identity for an item: what it says and where it sits (not when it was seen)."""
    return hashlib.sha1(canonical_json(parts).encode()).hexdigest()[:16]


def resolve(doc: SessionDoc, path: str, commit: CommitRecord, warn) -> Session:
    """Turn a parsed document into its events (session.started, goals, items), with UTC times."""
    sid = _session_id(doc, path, warn)
    id_local = _parse_id_time(sid)
    started_raw = doc.fields.get("started")
    started = _parse_started(started_raw)
    if started_raw and started is None:
        warn(f"{path}: Started {started_raw[:40]!r} is not an ISO time: "
             + ("start taken from the ID" if id_local else "start taken from the commit time"))
    offset: int | None = None  # minutes east of UTC, of the session's local times
    if started is not None:
        start_ts, basis = to_utc(started), "started"
        if id_local is not None:
            utc_naive = started.astimezone(_dt.timezone.utc).replace(tzinfo=None)
            minutes = (id_local - utc_naive).total_seconds() / 60
            rounded = int(round(minutes / 15.0)) * 15
            if abs(rounded) <= MAX_OFFSET:
                offset = rounded
            else:
                warn(f"{path}: ID and Started are {abs(minutes) / 60:.0f} hours apart: "
                     "activity times left at the session start")
    elif id_local is not None:
        offset = commit.author_offset
        start_ts, basis = to_utc(id_local - _dt.timedelta(minutes=offset)), "id"
    else:
        start_ts, basis = utc_timestamp(commit.commit_time), "commit"

    day0 = _dt.datetime(id_local.year, id_local.month, id_local.day) if id_local and offset is not None else None

    def entry_time(index: int | None) -> str:
        if index is None or day0 is None or offset is None:
            return start_ts
        minute = doc.entries[index].minute
        if minute is None:
            return start_ts
        return to_utc(day0 + _dt.timedelta(minutes=minute - offset))

    stats = doc.stats
    started_data = {
        "id": sid,
        "title": doc.title,
        "branch": doc.fields.get("branch"),
        "llm": doc.fields.get("llm"),
        "tag": doc.fields.get("tag"),
        "starting_commit": doc.fields.get("starting_commit"),
        "goals": [g.content for g in doc.goals],
        "classification": stats.get("classification"),
        "files_changed": stats.get("files_changed"),
        "commits_made": stats.get("commits_made"),
        "offset": format_offset(offset) if offset is not None else None,
        "time_basis": basis,
    }
    session = Session(id=sid, path=path, started=Event("session.started", start_ts, sid, path, started_data))
    seen: dict[str, int] = {}

    def occurrence(parts: list[Any]) -> int:
        token = canonical_json(parts)
        seen[token] = seen.get(token, 0) + 1
        return seen[token] - 1

    for goal in doc.goals:
        parts: list[Any] = ["goal", goal.content, goal.completed]
        key = item_key(parts + [occurrence(parts)])
        data = {"session_id": sid, "content": goal.content, "completed": goal.completed, "key": key}
        session.items.append((key, Event("session.goal", start_ts, sid, path, data)))
        session.removed_entry[key] = {"type": "goal", "content": goal.content, "key": key}
    for item in doc.items:
        entry = doc.entries[item.entry] if item.entry is not None else None
        parts = [item.type, entry.heading if entry else None, item.section, item.content, item.detail]
        key = item_key(parts + [occurrence(parts)])
        data = {
            "session_id": sid, "type": item.type, "content": item.content, "section": item.section,
            "detail": item.detail, "activity": entry.title if entry else None,
            "commit": entry.commit if entry else None, "key": key,
        }
        session.items.append((key, Event(f"session.{item.type}", entry_time(item.entry), sid, path, data)))
        session.removed_entry[key] = {"type": item.type, "content": item.content, "key": key}
    return session


# --- diffing two versions --------------------------------------------------------------------


def revised(old: Session, keys: list[str], commit: CommitRecord, *, deleted_file: bool,
            session_removed: bool, renamed_to: str | None = None) -> Event:
    removed = sorted((old.removed_entry[k] for k in keys), key=lambda r: (r["type"], r["content"], r["key"]))
    data: dict[str, Any] = {"session_id": old.id, "removed": removed, "deleted_file": deleted_file,
                            "session_removed": session_removed}
    if renamed_to is not None:
        data["renamed_to"] = renamed_to
    return Event("session.revised", commit.commit_timestamp, old.id, old.path, data)


def diff_events(old: Session | None, new: Session | None, commit: CommitRecord, *,
                deleted_file: bool = False, renamed_to: str | None = None) -> list[Event]:
    """Events that move the log from ``old`` to ``new`` (either may be None)."""
    out: list[Event] = []
    same = old is not None and new is not None and old.id == new.id and old.path == new.path
    if old is not None and not same:
        out.append(revised(old, [k for k, _ in old.items], commit, deleted_file=deleted_file,
                           session_removed=True, renamed_to=renamed_to))
    if new is None:
        return out
    if not same:
        return out + [new.started] + [ev for _, ev in new.items]
    assert old is not None
    old_keys = {k for k, _ in old.items}
    new_keys = {k for k, _ in new.items}
    gone = [k for k, _ in old.items if k not in new_keys]
    if gone:
        out.append(revised(old, gone, commit, deleted_file=False, session_removed=False))
    if canonical_json(old.started.data) != canonical_json(new.started.data):
        out.append(new.started)
    out.extend(ev for k, ev in new.items if k not in old_keys)
    return out


def _is_file(mode: str) -> bool:
    return mode not in NOT_FILES and mode != "000000"


def change_events(src, ctx: SourceContext, commit: CommitRecord, change: FileChange) -> list[Event]:
    """Events for one changed path: added, modified, deleted, renamed (old path vs new path)."""
    warn = ctx.warn
    old_path = change.old_path if change.status == "R" and change.old_path else change.path
    has_old = (change.status not in ("A",) and change.old_oid != ZERO_OID and _is_file(change.old_mode)
               and src.matches(old_path))
    has_new = change.status != "D" and change.new_oid != ZERO_OID and _is_file(change.new_mode) and src.matches(change.path)
    old = new = None
    if has_new:
        doc = parse_blob(src.cache, ctx, change.new_oid, change.path, src.max_bytes)
        if doc is None:
            return []  # the object is missing: claim neither additions nor removals
        new = resolve(doc, change.path, commit, warn)
    if has_old:
        doc = parse_blob(src.cache, ctx, change.old_oid, old_path, src.max_bytes)
        old = resolve(doc, old_path, commit, lambda _msg: None) if doc is not None else None
        if doc is None and not has_new:
            # Deleted, but the old version is unreadable: still drop the session from the views.
            stub = resolve(SessionDoc(), old_path, commit, lambda _msg: None)
            return [revised(stub, [], commit, deleted_file=True, session_removed=True)]
    renamed_to = change.path if change.status == "R" and old_path != change.path else None
    deleted = change.status == "D" or not has_new or renamed_to is not None
    return diff_events(old, new, commit, deleted_file=deleted and old is not None, renamed_to=renamed_to)


def _warn_duplicate_ids(ctx: SourceContext, events: list[Event]) -> None:
    """A session ID that two live files use: both are kept (a session is its ID *and* its file);
    say so once. Sessions this same commit removes do not count."""
    gone = {(ev.source_id, ev.source_file) for ev in events
            if ev.event_type == "session.revised" and ev.data.get("session_removed")}
    started = [ev for ev in events if ev.event_type == "session.started"]
    for ev in started:
        paths = {other.source_file for other in started if other.source_id == ev.source_id}
        try:
            paths.update(p for p in ctx.read.session_files(ev.source_id) if (ev.source_id, p) not in gone)
        except Exception:  # noqa: BLE001 - the check is advisory
            pass
        paths.add(ev.source_file)
        if len(paths) > 1:
            listing = ", ".join(sorted(p or "" for p in paths))
            ctx.warn(f"session ID {ev.source_id!r} is used by more than one file ({listing}): kept each")


def commit_events(src, ctx: SourceContext, commit: CommitRecord, changes: list[FileChange]) -> list[Event]:
    """All session events of one first-parent commit, by path order."""
    out: list[Event] = []
    for change in sorted(changes, key=lambda c: (c.path, c.old_path or "")):
        try:
            events = change_events(src, ctx, commit, change)
        except Exception as exc:  # noqa: BLE001 - a source never raises for bad input (law 4)
            ctx.warn(f"{change.path}: session file could not be read ({type(exc).__name__}: {exc})")
            continue
        out.extend(events)
    _warn_duplicate_ids(ctx, out)
    return out
