"""Adding Patina to a team's ``.pre-commit-config.yaml`` (keeping everything already there)."""

from __future__ import annotations

import json
import os
import subprocess

from patina.errors import UsageError

CONFIG_NAME = ".pre-commit-config.yaml"
HOOK_ID = "patina"
STAGES = ["post-commit", "post-merge", "post-checkout", "post-rewrite"]


def installed_source() -> tuple[str, str] | None:
    """(repo, rev) this Patina was installed from, per pip's direct_url.json, if known."""
    from importlib import metadata

    try:
        raw = metadata.distribution("patina").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not raw:
        return None
    info = json.loads(raw)
    url = info.get("url", "")
    vcs = info.get("vcs_info")
    if vcs and vcs.get("commit_id"):
        return url, vcs["commit_id"]
    if url.startswith("file://"):
        path = url[len("file://"):]
        proc = subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], capture_output=True, text=True)
        if proc.returncode == 0:
            return path, proc.stdout.strip()
    return None


def add_to_config(work_tree: str, repo_url: str | None, rev: str | None) -> tuple[str, bool]:
    """Create or update the config; returns (path, whether it changed)."""
    from ruamel.yaml import YAML

    if not repo_url or not rev:
        found = installed_source()
        if found is None and not (repo_url and rev):
            raise UsageError("cannot tell where this Patina came from: give --hooks-repo URL and --hooks-rev REV")
        repo_url = repo_url or found[0]  # type: ignore[index]
        rev = rev or found[1]  # type: ignore[index]
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    path = os.path.join(work_tree, CONFIG_NAME)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            doc = yaml.load(fh) or {}
        before = json.dumps(doc, sort_keys=True, default=str)
    else:
        doc, before = {}, None
    if not isinstance(doc, dict):
        raise UsageError(f"{CONFIG_NAME} is not a mapping; fix it by hand")
    types = list(doc.get("default_install_hook_types") or ["pre-commit"])
    for stage in STAGES:
        if stage not in types:
            types.append(stage)
    doc["default_install_hook_types"] = types
    repos = doc.setdefault("repos", [])
    entry = next((r for r in repos if isinstance(r, dict) and r.get("repo") == repo_url), None)
    if entry is None:
        repos.append({"repo": repo_url, "rev": rev, "hooks": [{"id": HOOK_ID}]})
    else:
        entry["rev"] = rev
        hooks = entry.setdefault("hooks", [])
        if not any(isinstance(h, dict) and h.get("id", "").startswith("patina") for h in hooks):
            hooks.append({"id": HOOK_ID})
    changed = json.dumps(doc, sort_keys=True, default=str) != before
    if changed:
        with open(path, "w", encoding="utf-8") as fh:
            yaml.dump(doc, fh)
    return path, changed
