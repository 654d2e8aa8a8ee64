"""The one lazy loader: ``"module:attribute"`` specs imported only when first needed.

Sources, materializers and CLI commands are registered as such specs, so the git-hook path
imports only what a commit needs. A spec whose module is absent (a trimmed install) loads as
None; any other import error is a bug and propagates.
"""

from __future__ import annotations

import importlib
from typing import Any


def load(spec: str) -> Any | None:
    """The attribute a ``"package.module:attribute"`` spec names, or None if the module is absent."""
    mod_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(mod_name)
    except ModuleNotFoundError as exc:
        if exc.name and (mod_name == exc.name or mod_name.startswith(exc.name + ".")):
            return None
        raise
    return getattr(module, attr) if attr else module
