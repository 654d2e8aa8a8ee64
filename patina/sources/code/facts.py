"""Fact kinds as data, the per-file fact record, and the fact -> event mapping.

Light (no tree_sitter): used by the history diff, the cache and the tests.
"""

from __future__ import annotations

from typing import Any, Iterable, TypedDict

from patina.events import Event, RawJSON, canonical_json

# Capture kind (``@definition.<kind>``) -> event type; None = scope only (qualifies, no fact).
KIND_EVENT: dict[str, str | None] = {
    "function": "code.function",
    "method": "code.function",
    "constructor": "code.function",
    "struct": "code.struct",
    "union": "code.struct",
    "enum": "code.enum",
    "trait": "code.trait",
    "class": "code.class",
    "interface": "code.interface",
    "type": "code.type",
    "constant": "code.constant",
    "member": "code.member",
    "impl": None,
    "module": None,
    "namespace": None,
}

# A plain ``function`` nested directly in one of these becomes a ``method``.
TYPE_KINDS = frozenset({"struct", "union", "enum", "trait", "class", "interface", "impl"})
FUNCTION_KINDS = frozenset({"function", "method", "constructor"})
# Definitions a call is attributed to, innermost first (else the innermost definition).
CALLER_KINDS = FUNCTION_KINDS
# A definition of one of these kinds holds others: its ``body_hash`` leaves out the text of the
# nested definitions that are facts of their own (editing a method does not change its class).
CONTAINER_KINDS = frozenset({"class", "struct", "union", "enum", "trait", "interface", "impl", "module",
                             "namespace"})

FILE_EVENT = "code.file"
REMOVED_EVENT = "code.removed"


class FileFacts(TypedDict, total=False):
    """The facts of one blob: JSON-able plain data."""

    language: str
    error_nodes: int  # ERROR + MISSING nodes tree-sitter recovered from
    skipped: str | None  # None, "binary", "too_large" or "error"
    facts: list[list[Any]]  # [event_type, key, data-without-file], sorted by (event_type, key)
    # Where each fact is, apart from its meaning: "<event_type>\t<key>" -> [line, end_line]
    # (1-based) for every fact but code.file. Not part of any payload: a move changes no fact.
    positions: dict[str, list[int]]


def position_key(event: str, key: str) -> str:
    """The key of a fact in ``FileFacts["positions"]``."""
    return f"{event}\t{key}"


def keyed(ff: FileFacts | None) -> dict[tuple[str, str], dict[str, Any]]:
    """(event_type, key) -> data, including the ``code.file`` fact (key "")."""
    if ff is None:
        return {}
    out: dict[tuple[str, str], dict[str, Any]] = {
        (FILE_EVENT, ""): {"language": ff["language"], "error_nodes": ff["error_nodes"], "skipped": ff["skipped"]}
    }
    for event, key, data in ff["facts"]:
        out[(event, key)] = data
    return out


def source_id(path: str, event: str, key: str) -> str:
    return path if event == FILE_EVENT else f"{path}::{key}"


def payload(data: dict[str, Any], previous: dict[str, Any] | None = None) -> str:
    """A new or changed fact's payload in canonical JSON (a plain str: deltas are marshalled);
    ``previous``: the changed fields' old values (a change, not an addition). Path-free: the
    file is the event's source_file."""
    return canonical_json(data if previous is None else {**data, "previous": previous})


def fact_event(path: str, event: str, key: str, encoded: str, timestamp: str) -> Event:
    """A new or changed fact (its payload from :func:`payload`)."""
    return Event(event, timestamp, source_id(path, event, key), path, RawJSON(encoded))


def removed_event(path: str, event: str, key: str, timestamp: str) -> Event:
    kind = event.split(".", 1)[1]
    return Event(REMOVED_EVENT, timestamp, source_id(path, event, key), path,
                 {"kind": kind, "name": key if event != FILE_EVENT else path})


Facts = dict[tuple[str, str], dict[str, Any]]
# A change of one file's facts without the file: ("-", event, key, None) for a removal,
# ("+", event, key, payload) for a new or changed fact, its payload in canonical JSON (encoded
# once, where the delta is made: often a worker process; a warm build only copies it). Plain
# tuples: they are cached and sent between processes.
Delta = list[tuple[str, str, str, str | None]]


def delta(old: Facts, new: Facts) -> Delta:
    """What changed from ``old`` to ``new``: removals first, then new or changed facts, each
    sorted by key. A changed fact carries the old values of the fields that changed."""
    out: Delta = [("-", event, key, None) for event, key in sorted(set(old) - set(new))]
    for event, key in sorted(new):
        data = new[(event, key)]
        before = old.get((event, key))
        if before is None:
            out.append(("+", event, key, payload(data)))
        elif before != data:
            changed = {f: before.get(f) for f in sorted(set(before) | set(data)) if before.get(f) != data.get(f)}
            out.append(("+", event, key, payload(data, changed)))
    return out


def events_of(path: str, change: Delta, timestamp: str) -> list[Event]:
    """The events of a delta for ``path``."""
    return [removed_event(path, event, key, timestamp) if op == "-"
            else fact_event(path, event, key, encoded, timestamp)
            for op, event, key, encoded in change]


def diff_events(path: str, old: Facts, new: Facts, timestamp: str) -> list[Event]:
    """What changed in one file, as events (see :func:`delta`)."""
    return events_of(path, delta(old, new), timestamp)
