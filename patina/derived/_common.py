"""What the derived-state materializers share: the team config the log was built with."""

from __future__ import annotations

import json
import sqlite3

from patina import store


def team_config(conn: sqlite3.Connection):
    """The effective team config the pipeline stored with the log (``scrape_meta`` 'config_json')."""
    from patina import config

    raw = store.get_meta(conn, "config_json")
    try:
        return config.from_dict(json.loads(raw) if raw else None)
    except ValueError:
        return config.Config()
