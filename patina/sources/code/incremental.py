"""Interim: extraction along the history (replaced by the incremental parser)."""

from __future__ import annotations

from typing import Any

from patina.sources.code.extract import extract
from patina.sources.code.facts import FileFacts

_PLACE = ("line", "end_line")


def extract_next(lang: str, data: bytes, previous: Any) -> tuple[FileFacts, Any]:
    ff = extract(lang, data)
    positions = {}
    facts = []
    for event, key, fact in ff["facts"]:
        fact = dict(fact)
        line = fact.pop("line", None)
        end = fact.pop("end_line", line)
        if line is not None:
            positions[f"{event}\t{key}"] = [line, end]
        facts.append([event, key, fact])
    return FileFacts(language=ff["language"], error_nodes=ff["error_nodes"], skipped=ff["skipped"], facts=facts,
                     positions=positions), None
