"""TypeScript / TSX hooks: the JavaScript ones (accessibility modifiers are handled there)."""

from __future__ import annotations

from patina.sources.code.lang_javascript import modifiers, parameters, visibility

__all__ = ["modifiers", "parameters", "visibility"]
