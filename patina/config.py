"""The team config: ``.patina/config.toml``, committed, read from the commit being built.

Reading it from git objects (not the working tree) keeps the log a function of HEAD. It is
validated once, here, against one schema (:data:`KEYS`: every key's type, default and
meaning); the rest of Patina only ever sees a valid :class:`Config`. A bad file is one
:class:`~patina.errors.ConfigError` naming the key (exit 8). Every path pattern is a glob of
:mod:`patina.globs`.

The *effective* config (after defaults) and the ``.mailmap`` blob id form the config
fingerprint: when either changes the log is rebuilt, since they change how every earlier
event reads. A committed file that changes nothing (the defaults ``patina init`` writes)
rebuilds nothing.

NamedTuples, not dataclasses: this module is on the hook path.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

from patina import gitcmd
from patina.errors import ConfigError

CONFIG_PATH = ".patina/config.toml"
SOURCE_NAMES = ("sessions", "code")  # the diff sources (patina.sources.DIFF_SOURCES)


class Sources(NamedTuple):
    enabled: tuple[str, ...] = SOURCE_NAMES


class Sessions(NamedTuple):
    globs: tuple[str, ...] = ("layer/sessions/**/*.md",)
    max_bytes: int = 2_000_000


class Code(NamedTuple):
    include: tuple[str, ...] = ("**/*",)
    exclude: tuple[str, ...] = (
        "vendor/**", "**/vendor/**", "third_party/**", "**/third_party/**", "node_modules/**",
        "**/node_modules/**", "**/*.min.js", "**/*.min.css", "**/*.generated.*", "**/*_pb2.py",
        "**/*.pb.go", "dist/**", "build/**", "target/**",
    )
    max_bytes: int = 1_000_000
    since: str | None = None  # a UTC timestamp (the config may give a date or a datetime)


class Cochange(NamedTuple):
    max_files: int = 30


class Config(NamedTuple):
    """The effective team config: every key present, every value checked."""

    sources: Sources = Sources()
    sessions: Sessions = Sessions()
    code: Code = Code()
    cochange: Cochange = Cochange()

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Plain JSON-able data (tuples as lists): what ``scrape_meta`` stores as ``config_json``."""
        return {name: {k: list(v) if isinstance(v, tuple) else v for k, v in section._asdict().items()}
                for name, section in self._asdict().items()}


SECTIONS: dict[str, type] = {"sources": Sources, "sessions": Sessions, "code": Code, "cochange": Cochange}


# --- the value types ----------------------------------------------------------------------------

def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a positive integer, got {value!r}")
    return value


def _globs(value: Any) -> tuple[str, ...]:
    from patina import globs

    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of glob patterns (strings), got {value!r}")
    for pattern in value:
        why = globs.check(pattern)
        if why:
            raise ValueError(f"{pattern!r} is {why}")
    return tuple(value)


def _source_names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of source names, got {value!r}")
    unknown = [v for v in value if v not in SOURCE_NAMES]
    if unknown:
        raise ValueError(f"unknown source {unknown[0]!r} (known: {', '.join(SOURCE_NAMES)})")
    return tuple(v for v in SOURCE_NAMES if v in value)  # registry order, no duplicates


def _moment(value: Any) -> str | None:
    """A date (its first second, UTC) or a datetime, as a UTC timestamp string; "" or absent: None."""
    import datetime as _dt

    from patina.events import parse_when, to_utc

    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return to_utc(value)
    if isinstance(value, _dt.date):
        return f"{value.isoformat()}T00:00:00Z"
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return f"{_dt.date.fromisoformat(text).isoformat()}T00:00:00Z"
            return parse_when(text)
        except ValueError:
            pass
    raise ValueError(f"expected a date such as 2024-01-01, got {value!r}")


class Key(NamedTuple):
    check: Callable[[Any], Any]  # raw TOML value -> checked value, or ValueError
    help: str


# The schema: every key of the team config. Defaults are the section classes' (above).
KEYS: dict[str, Key] = {
    "sources.enabled": Key(_source_names, "diff sources besides git itself (commits are always read)"),
    "sessions.globs": Key(_globs, "Markdown session notes, as globs over repository paths"),
    "sessions.max_bytes": Key(_positive_int, "a session file is read up to this size"),
    "code.include": Key(_globs, "source files whose facts tree-sitter extracts"),
    "code.exclude": Key(_globs, "...except these (vendored, generated, minified)"),
    "code.max_bytes": Key(_positive_int, "larger source files are recorded as skipped"),
    "code.since": Key(_moment, "very large histories: no code facts before this date, then a snapshot"),
    "cochange.max_files": Key(_positive_int, "commits changing more paths are left out of co_changes"),
}


def validate_sections(raw: Any, sections: dict[str, type], keys: dict[str, Key], where: str) -> dict[str, Any]:
    """Check a parsed document against a schema: ``sections`` (name -> NamedTuple class with the
    defaults), ``keys`` ("section.key" -> Key). Returns {section: instance}; ConfigError naming
    the first bad key. Shared by every committed settings file (config.toml, oxidize.yaml)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table of sections, got {type(raw).__name__}")
    out = {}
    for name, cls in sections.items():
        given = raw.get(name, {})
        if given is None:
            given = {}
        if not isinstance(given, dict):
            raise ConfigError(f"{where}: [{name}] must be a table, got {given!r}")
        values = {}
        for key, value in given.items():
            spec = keys.get(f"{name}.{key}")
            if spec is None:
                raise ConfigError(f"{where}: unknown key {name}.{key} (known: "
                                  f"{', '.join(k for k in keys if k.startswith(name + '.'))})")
            try:
                values[key] = spec.check(value)
            except ValueError as exc:
                raise ConfigError(f"{where}: {name}.{key}: {exc}") from None
        out[name] = cls(**values)
    # Sections of other tools are left alone (the file name is shared: the original Patina's
    # config.toml holds [project], [adapters], [search]...); one that looks like a misspelt
    # section of ours is an error.
    for name in sorted(str(k) for k in set(raw) - set(sections)):
        import difflib

        if difflib.get_close_matches(name, list(sections), n=1, cutoff=0.75):
            raise ConfigError(f"{where}: unknown section [{name}] (known: {', '.join(sections)})")
    return out


def validate(raw: dict[str, Any], where: str = CONFIG_PATH) -> Config:
    """A parsed TOML document as a :class:`Config`; ConfigError naming the first bad key."""
    return Config(**validate_sections(raw, SECTIONS, KEYS, where))


def from_dict(data: Any) -> Config:
    """The config stored as ``config_json``; the defaults if it is absent or not valid.
    What :meth:`Config.as_dict` wrote (the update stores only validated configs) is taken as
    it is, without checking every glob again (the materializers read it on the hook path)."""
    if not isinstance(data, dict):
        return Config()
    exact = _rebuilt(data)
    if exact is not None and exact.as_dict() == data:
        return exact
    try:
        return validate({k: v for k, v in data.items() if isinstance(v, dict)})
    except ConfigError:
        return Config()


DEFAULT_TEXT = """\
# Patina team config: committed, so every teammate builds the same log.
# Changing this file (or .mailmap) makes the next update rebuild the log.
# Every key is optional; the values below are the defaults. Globs are git's: ** spans directories.

[sources]
# Diff-driven sources besides git itself (commits are always read).
enabled = ["sessions", "code"]

[sessions]
# Markdown session notes, as globs over repository paths.
globs = ["layer/sessions/**/*.md"]

[code]
# Source files whose facts are extracted with tree-sitter.
include = ["**/*"]
exclude = ["vendor/**", "**/vendor/**", "third_party/**", "**/third_party/**", "node_modules/**",
           "**/node_modules/**", "**/*.min.js", "**/*.min.css", "**/*.generated.*", "**/*_pb2.py",
           "**/*.pb.go", "dist/**", "build/**", "target/**"]
max_bytes = 1000000
# since = "2024-01-01"   # very large histories: snapshot at this date, then deltas

[cochange]
# Commits changing more paths than this are left out of co_changes (code-maat's default).
max_files = 30
"""


# --- reading it from a commit -------------------------------------------------------------------

def blob_ids(git_dir: str, commit: str, paths: list[str]) -> list[str | None]:
    """The blob id of each path in ``commit``'s tree (None where absent or not a blob)."""
    proc = gitcmd.run(git_dir, ["cat-file", "--batch-check"],
                      input="".join(f"{commit}:{p}\n" for p in paths).encode(), check=False)
    return gitcmd.batch_check_ids(proc.stdout.decode("utf-8", "replace"), "blob", len(paths))


def read_text(git_dir: str, blob_id: str) -> str:
    return gitcmd.run(git_dir, ["cat-file", "blob", blob_id]).stdout.decode("utf-8", "replace")


def parse_toml(text: str, where: str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from None


def load(git_dir: str, commit: str | None) -> tuple[Config, str]:
    """(config, fingerprint) as committed at ``commit`` (defaults when absent or unborn).
    Raises ConfigError when the committed file is invalid."""
    loaded = resolve(git_dir, commit)
    return loaded.config, loaded.fingerprint


class Known(NamedTuple):
    """The config a log was built with, as ``scrape_meta`` keeps it."""

    source: str | None  # source_key() of the blobs it came from
    fingerprint: str | None
    config_json: str | None


class Loaded(NamedTuple):
    config: Config
    fingerprint: str
    source: str  # source_key(): what it is a function of


SETTINGS_PATHS = (CONFIG_PATH, ".mailmap")  # what the config fingerprint is a function of


def resolve(git_dir: str, commit: str | None, known: Known | None = None,
            ids: Sequence[str | None] | None = None) -> Loaded:
    """:func:`load`, with the key of what the result is a function of.

    ``known``: what the log was last built with. When the config and ``.mailmap`` blobs are
    the ones it was built from, by this same Patina, the result is taken from it: a pure
    function of the same inputs, without parsing and checking the TOML again (the hook path).
    ``ids``: the blob ids of :data:`SETTINGS_PATHS` in ``commit``, when the caller has them."""
    if commit is None:
        return Loaded(Config(), fingerprint(Config(), None), source_key(None, None))
    config_id, mailmap_id = ids if ids is not None else blob_ids(git_dir, commit, list(SETTINGS_PATHS))
    source = source_key(config_id, mailmap_id)
    if known is not None and known.source == source and known.fingerprint:
        cached = _trusted(known.config_json)
        if cached is not None:
            return Loaded(cached, known.fingerprint, source)
    config = Config()
    if config_id:
        where = f"{CONFIG_PATH} at {commit[:12]}"
        config = validate(parse_toml(read_text(git_dir, config_id), where), where)
    return Loaded(config, fingerprint(config, mailmap_id), source)


def source_key(config_id: str | None, mailmap_id: str | None) -> str:
    """What a validated config is a function of: the two blobs and this Patina (its defaults and checks)."""
    import zlib

    from patina import __version__

    this_patina = zlib.crc32(f"{__version__}{Config()!r}{sorted(KEYS)}".encode())
    return f"{config_id}:{mailmap_id}:{this_patina:08x}"


def _trusted(config_json: str | None) -> Config | None:
    """The effective config stored by an earlier (validated) load: rebuilt as it was, unchecked."""
    import json

    try:
        return _rebuilt(json.loads(config_json or ""))
    except ValueError:
        return None


def _rebuilt(data: Any) -> Config | None:
    """:meth:`Config.as_dict`'s output as a Config again (lists as tuples); None if not its shape."""
    try:
        return Config(**{name: cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data[name].items()})
                         for name, cls in SECTIONS.items()})
    except (TypeError, KeyError, AttributeError):
        return None


def fingerprint(config: Config, mailmap_id: str | None) -> str:
    from patina.events import canonical_json

    import hashlib

    return hashlib.sha256(f"{canonical_json(config.as_dict())}\0{mailmap_id}".encode()).hexdigest()[:16]


def uncommitted(git_dir: str, work_tree: str | None, commit: str | None, rel_path: str = CONFIG_PATH) -> bool:
    """Whether the working copy of a committed settings file (the config by default) differs
    from the one committed at ``commit`` (edited, added or deleted): Patina follows the committed one."""
    import os

    if work_tree is None:
        return False
    path = os.path.join(work_tree, rel_path)
    committed = blob_ids(git_dir, commit, [rel_path])[0] if commit else None
    if not os.path.isfile(path):
        return committed is not None
    here = gitcmd.run(git_dir, ["hash-object", "--no-filters", "--", path], check=False).stdout.decode().strip()
    return here != committed


UNCOMMITTED = (f"{CONFIG_PATH} has uncommitted changes: the log follows the committed config "
               "(commit the file to apply them)")
