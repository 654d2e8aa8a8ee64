"""The team config: ``.patina/config.toml``, committed, read from the commit being built.

Reading it from git objects (not the working tree) keeps the log a function of HEAD.
Its blob id and the ``.mailmap`` blob id form the config fingerprint: when either changes
the log is rebuilt, since they change how every earlier event reads.
"""

from __future__ import annotations

import copy
import hashlib
import tomllib
from typing import Any

from patina import gitcmd
from patina.errors import ConfigError

CONFIG_PATH = ".patina/config.toml"

DEFAULTS: dict[str, Any] = {
    "sources": {"enabled": ["sessions", "code"]},
    "sessions": {"globs": ["layer/sessions/**/*.md"], "max_bytes": 2_000_000},
    "code": {
        "include": ["**/*"],
        "exclude": [
            "vendor/**", "**/vendor/**", "third_party/**", "**/third_party/**", "node_modules/**",
            "**/node_modules/**", "**/*.min.js", "**/*.min.css", "**/*.generated.*", "**/*_pb2.py",
            "**/*.pb.go", "dist/**", "build/**", "target/**",
        ],
        "max_bytes": 1_000_000,
        "since": None,
    },
    "cochange": {"max_files": 30},
}

DEFAULT_TEXT = """\
# Patina team config: committed, so every teammate builds the same log.
# Changing this file (or .mailmap) makes the next update rebuild the log.

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


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _blob_ids(git_dir: str, commit: str, paths: list[str]) -> list[str | None]:
    proc = gitcmd.run(git_dir, ["cat-file", "--batch-check"],
                      input="".join(f"{commit}:{p}\n" for p in paths).encode(), check=False)
    ids: list[str | None] = []
    for line in proc.stdout.decode().splitlines():
        parts = line.split()
        ids.append(parts[0] if len(parts) == 3 and parts[1] == "blob" else None)
    return ids + [None] * (len(paths) - len(ids))


def load(git_dir: str, commit: str | None) -> tuple[dict[str, Any], str]:
    """(config, fingerprint) as committed at ``commit`` (defaults when absent or unborn)."""
    if commit is None:
        return copy.deepcopy(DEFAULTS), "none"
    config_id, mailmap_id = _blob_ids(git_dir, commit, [CONFIG_PATH, ".mailmap"])
    config = copy.deepcopy(DEFAULTS)
    if config_id:
        text = gitcmd.run(git_dir, ["cat-file", "blob", config_id]).stdout.decode("utf-8", "replace")
        try:
            config = _merge(DEFAULTS, tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{CONFIG_PATH} at {commit[:12]} is not valid TOML: {exc}") from None
    fingerprint = hashlib.sha256(f"{config_id}\0{mailmap_id}".encode()).hexdigest()[:16]
    return config, fingerprint
