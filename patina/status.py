"""``patina status`` as data: what the log holds and whether it is current."""

from __future__ import annotations

import os
from typing import Any

from patina.repo import Repo


def collect(repo: Repo) -> dict[str, Any]:
    """Everything ``patina status`` shows (``--json`` prints this dict as it is)."""
    from patina import derived, store
    from patina.update import current_head

    info: dict[str, Any] = {"database": repo.db_path, "exists": os.path.exists(repo.db_path)}
    head = current_head(repo)
    info["head"] = head
    if not info["exists"]:
        info["state"] = "missing"
        return info
    from patina.errors import DatabaseError

    info["size_bytes"] = os.path.getsize(repo.db_path)
    try:
        conn = store.connect(repo.db_path, readonly=True)
    except DatabaseError:
        info["state"] = "corrupt"
        return info
    try:
        info["state"] = store.health(conn)
        if info["state"] != "ok":
            return info
        built = store.get_meta(conn, "head")
        info["built_for"] = built
        info["up_to_date"] = built == head
        info["last_seq"] = store.last_seq(conn)
        info["events"] = store.event_counts(conn)
        info["shallow"] = store.get_meta(conn, "shallow") == "1"
        info["incomplete_commits"] = store.incomplete_commits(conn)
        info["stale_derived"] = derived.stale(conn)
        from patina.oxidize import state as oxidize_state

        info["oxidize"] = oxidize_state.status(conn, repo, head)
    finally:
        conn.close()
    if repo.work_tree:
        from patina import config as team_config
        from patina.errors import ConfigError
        from patina.sources.sessions import pending_session_files

        info["config_uncommitted"] = team_config.uncommitted(repo.git_dir, repo.work_tree, head)
        try:
            cfg, _ = team_config.load(repo.git_dir, head)
        except ConfigError as exc:
            info["config_error"] = str(exc)
            cfg = team_config.Config()  # list pending sessions against the defaults
        info["pending_sessions"] = pending_session_files(repo.work_tree, cfg)
    return info


def lines(info: dict[str, Any]) -> list[str]:
    """The text ``patina status`` prints for :func:`collect`'s dict."""
    size = f", {info['size_bytes'] / 1024:.0f} KiB" if "size_bytes" in info else ""
    out = [f"database   {info['database']} ({info['state']}{size})"]
    if info.get("config_error"):
        out.append(f"config     invalid: {info['config_error']}")
    if info.get("config_uncommitted"):
        from patina.config import UNCOMMITTED

        out.append(f"config     {UNCOMMITTED}")
    if info["state"] != "ok":
        out.append("           run `patina scrape` to build it" if info["state"] == "missing"
                   else "           run `patina scrape --full` to rebuild it")
        return out
    built = info.get("built_for")
    out.append(f"HEAD       {(info['head'] or '(unborn)')[:12]}" + (
        "  (log current)" if info["up_to_date"] else f"  (log built for {(built or '-')[:12]}: run `patina scrape`)"))
    out.append(f"last seq   {info['last_seq']}")
    out.extend(f"  {etype:<24} {count}" for etype, count in info["events"].items())
    if info["shallow"]:
        out.append("shallow    yes: history before the shallow boundary is not in the log")
    if info["incomplete_commits"]:
        out.append(f"incomplete {len(info['incomplete_commits'])} commit(s) with missing objects")
    out.append("derived    " + (("stale: " + ", ".join(info["stale_derived"]) + "  (run `patina materialize`)")
                                if info["stale_derived"] else "current"))
    if "oxidize" in info:
        from patina.oxidize.state import report_lines

        out.extend(report_lines(info["oxidize"]))
    if info.get("pending_sessions"):
        out.append("pending    " + ", ".join(info["pending_sessions"]) + "  (uncommitted session files)")
    return out
