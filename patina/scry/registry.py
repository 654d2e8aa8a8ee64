"""The projects registry, ``$PATINA_HOME/projects.registry``: which databases the service may read.

One project a line, ``name: "absolute/work/tree"`` (the path as a JSON string, so the file
is also valid YAML, the format the spec names). Lines starting with ``#`` are comments.
The service reads only ``<work tree>/.patina/data/patina.db`` of the projects listed here,
by name: a request can never name a path.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from patina.errors import UsageError
from patina.repo import DATA_DIR, DB_NAME

REGISTRY = "projects.registry"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
HEADER = "# Patina projects (patina projects add|list|remove): name: \"work tree\"\n"


@dataclass(frozen=True)
class Project:
    name: str
    path: str  # absolute work tree

    @property
    def db_path(self) -> str:
        return os.path.join(self.path, DATA_DIR, DB_NAME)


def registry_path(home_dir: str | None = None) -> str:
    from patina.scry.persona import home

    return os.path.join(home_dir or home(), REGISTRY)


def _parse_line(line: str) -> Project | None:
    name, sep, value = line.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not NAME_RE.match(name) or not value:
        return None
    if value.startswith('"'):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, str) or not os.path.isabs(value):
        return None
    return Project(name, os.path.normpath(value))


def load(home_dir: str | None = None) -> tuple[list[Project], list[str]]:
    """(projects sorted by name, the lines that could not be read). A missing file is empty."""
    path = registry_path(home_dir)
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        return [], []
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"{path}: {exc}"]
    projects: dict[str, Project] = {}
    bad = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        project = _parse_line(line)
        if project is None or project.name in projects:
            bad.append(f"{path}:{number}: {line.strip()[:80]}")
            continue
        projects[project.name] = project
    return sorted(projects.values(), key=lambda p: p.name), bad


def _save(projects: list[Project], home_dir: str | None) -> None:
    path = registry_path(home_dir)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(HEADER)
        for p in sorted(projects, key=lambda p: p.name):
            fh.write(f"{p.name}: {json.dumps(p.path, ensure_ascii=False)}\n")
    os.replace(tmp, path)


def default_name(work_tree: str) -> str:
    """The work tree's folder name, made a valid project name."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", os.path.basename(os.path.normpath(work_tree))).strip("-._")
    return (base or "project")[:64]


def add(work_tree: str, name: str | None = None, home_dir: str | None = None) -> Project:
    """Register a work tree (absolute) under ``name`` (default: its folder name)."""
    name = name or default_name(work_tree)
    if not NAME_RE.match(name):
        raise UsageError(f"bad project name {name!r}: letters, digits, '.', '_', '-' (at most 64)")
    projects, _ = load(home_dir)
    work_tree = os.path.normpath(work_tree)
    for p in projects:
        if p.path == work_tree and p.name != name:
            raise UsageError(f"{work_tree} is already registered as {p.name!r}")
        if p.name == name and p.path != work_tree:
            raise UsageError(f"the name {name!r} is taken by {p.path}: choose another with --name")
    project = Project(name, work_tree)
    if project not in projects:
        _save([*projects, project], home_dir)
    return project


def remove(name: str, home_dir: str | None = None) -> bool:
    projects, _ = load(home_dir)
    kept = [p for p in projects if p.name != name]
    if len(kept) == len(projects):
        return False
    _save(kept, home_dir)
    return True
