"""Sources turn what git holds into events.

The git source (:mod:`patina.sources.git`) reads commits. Every other source is
*diff-driven*: for each first-parent commit the pipeline hands it the commit's
:class:`~patina.sources.base.CommitRecord` (the diff against the first parent,
with blob ids) and the source emits the events that diff implies. Registered in
:data:`DIFF_SOURCES`, in the order their events enter the log.
"""

from __future__ import annotations

# (name, "module:factory"). Imported lazily: the hook path loads a source only
# when a commit touches a file the source wants (see base.SourceSpec).
DIFF_SOURCES: list[tuple[str, str]] = [
    ("sessions", "patina.sources.sessions:SessionSource"),
    ("code", "patina.sources.code:CodeSource"),
]
