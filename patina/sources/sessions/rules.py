"""How session-note headings and bold labels map to event kinds: rules as data.

Each table is tried top to bottom; the first pattern that matches (``re.search`` on the
lower-cased label, trailing ``:`` removed) wins. Change what Patina recognises here, not in
the parser.
"""

from __future__ import annotations

import re

# Kinds of a level-2 section (``## ...``).
GOALS = "goals"  # checkbox items -> session.goal
ACTIVITY = "activity"  # ### HH:MM - title [branch@sha] entries holding labelled blocks
CLASSIFICATION = "classification"  # "Work Type: x", "Files Changed: N", "Commits: N"
SKIP = "skip"  # transcripts, prompt lists, file lists: no events
# Any other value is an observation type: the section's paragraphs and items are of that type.

SECTION_RULES: tuple[tuple[str, str], ...] = (
    # Anchored on purpose: transcripts pasted into a session contain headings of their own.
    (r"^(session )?goals?$|^objectives?$", GOALS),
    (r"^activity( log)?$|^log$|^progress( log)?$", ACTIVITY),
    (r"^(session )?(classification|statistics|stats)$", CLASSIFICATION),
    (r"^(key )?decisions?( made)?$", "decision"),
    (r"^(key )?patterns?( observed)?$", "pattern"),
    (r"^(previous session )?context$|^(session )?(overview|summary|background)$", "context"),
    (r"^(key )?(observations?|insights?|learnings?|lessons( learned)?|notes)$", "observation"),
    (r"^work( completed| done)?$|^accomplishments$|^changes( made)?$", "work"),
)
SECTION_DEFAULT = SKIP  # any other ## section (timeline, user prompts, file lists...) gives no events

# Bold labels (``**Key Decisions:**``) and deeper headings inside an activity entry or an item
# section. ``None`` means: a block to leave out (its items are statistics, not knowledge).
LABEL_RULES: tuple[tuple[str, str | None], ...] = (
    (r"^git activity\b|^stats?\b|^statistics\b|^session tags?\b|^implementation details\b", None),
    (r"decision|decided|chose\b|choices?\b", "decision"),
    (r"pattern", "pattern"),
    (r"\bcontext\b|^setup\b|^background\b|^discussion\b|^previous\b", "context"),
    (r"observ|insight|learn|lesson|discover|\bnotes?\b|challenge|problem|issue|question|surprise", "observation"),
    (r"\bwork\b|completed|accomplish|implemented|\bdone\b|files? (modified|changed|created)|^output\b"
     r"|^test results?\b|^changes?\b|^fixe[sd]\b|^progress\b", "work"),
)
LABEL_DEFAULT = "observation"  # a block under an unknown label is still something noted

# Unlabelled paragraphs in the activity log that the session scripts write themselves.
BOILERPLATE = (
    r"^session initialized with goal:",
    r"^session (started|ended)\b",
)

# Fields of the header lines (``**ID**: ...``) and of YAML front matter, by lower-cased label.
HEADER_FIELDS: dict[str, str] = {
    "id": "id",
    "session id": "id",
    "title": "title",
    "started": "started",
    "start": "started",
    "created": "started",
    "llm": "llm",
    "model": "llm",
    "git branch": "branch",
    "branch": "branch",
    "git.branch": "branch",
    "session tag": "tag",
    "tag": "tag",
    "git.start_tag": "tag",
    "starting commit": "starting_commit",
    "commit": "starting_commit",
    "git.starting_commit": "starting_commit",
}

# Lines of the classification/statistics section, by lower-cased key.
CLASSIFICATION_FIELDS: dict[str, str] = {
    "work type": "classification",
    "classification": "classification",
    "type": "classification",
    "files changed": "files_changed",
    "files modified": "files_changed",
    "commits": "commits_made",
    "commits made": "commits_made",
}

_SECTION_RX = tuple((re.compile(p), kind) for p, kind in SECTION_RULES)
_LABEL_RX = tuple((re.compile(p), kind) for p, kind in LABEL_RULES)
_BOILERPLATE_RX = tuple(re.compile(p) for p in BOILERPLATE)


def normalize_label(text: str) -> str:
    """``"**Key Decisions:**"`` text -> ``"key decisions"``."""
    return " ".join(text.strip().rstrip(":").strip().lower().split())


def section_kind(heading: str) -> str:
    label = normalize_label(heading)
    for rx, kind in _SECTION_RX:
        if rx.search(label):
            return kind
    return SECTION_DEFAULT


def label_type(label: str) -> str | None:
    norm = normalize_label(label)
    for rx, kind in _LABEL_RX:
        if rx.search(norm):
            return kind
    return LABEL_DEFAULT


def is_boilerplate(text: str) -> bool:
    low = text.strip().lower()
    return any(rx.search(low) for rx in _BOILERPLATE_RX)
