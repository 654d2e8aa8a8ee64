"""The event value and the canonical encodings every source must use.

An event is plain data: ``(event_type, timestamp, source_id, source_file, data)``.
``seq`` is assigned by the store when the event is appended, in history order.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import datetime as _dt


class Event(NamedTuple):
    event_type: str  # e.g. "git.commit", "session.decision", "code.function"
    timestamp: str  # UTC, "YYYY-MM-DDTHH:MM:SSZ" (see utc_timestamp)
    source_id: str  # what the event is about: a sha, a session id, "path::name"
    source_file: str | None  # repository-relative path, or None
    data: dict[str, Any]  # JSON-able payload; encoded with canonical_json (or a RawJSON: encoded already)


class RawJSON(str):
    """A payload already in canonical JSON (the code source caches its payloads encoded):
    :func:`canonical_json` gives it back as it is."""

    __slots__ = ()


# json.dumps with these options builds a new encoder per call; every event goes through here.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value: Any) -> str:
    """Sorted keys, compact separators, UTF-8 (no ASCII escaping).

    The same value always gives the same string, on every machine.
    """
    if value.__class__ is RawJSON:
        return str.__str__(value)
    return _CANONICAL.encode(value)


def utc_timestamp(epoch_seconds: int) -> str:
    """Seconds since the epoch as ``YYYY-MM-DDTHH:MM:SSZ``."""
    # time, not datetime (an import the hook path saves), with datetime's range: years 1 to 9999.
    moment = time.gmtime(int(epoch_seconds))
    if not 1 <= moment.tm_year <= 9999:
        raise ValueError(f"year {moment.tm_year} is out of range")
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", moment)


def format_offset(minutes: int) -> str:
    """An offset east of UTC in minutes as ``+HH:MM`` / ``-HH:MM``."""
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def to_utc(moment: _dt.datetime) -> str:
    """An aware datetime as a UTC timestamp string (naive ones are taken as UTC)."""
    import datetime as _dt

    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_when(text: str) -> str:
    """A user's ISO date or datetime (``2025-11-21``, ``2025-11-21T10:00``,
    ``2025-11-21 10:00:00+02:00``, ``...Z``) as a UTC timestamp string.

    A bare date means the end of that day (UTC): ``--until 2025-11-21`` includes the 21st.
    Raises ValueError with a readable message.
    """
    import datetime as _dt

    raw = text.strip()
    if not raw:
        raise ValueError("empty date")
    try:
        if len(raw) == 10:
            day = _dt.date.fromisoformat(raw)
            return f"{day.isoformat()}T23:59:59Z"
        moment = _dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO date or datetime: {text!r} (try 2025-11-21 or 2025-11-21T10:00:00Z)") from None
    return to_utc(moment)
