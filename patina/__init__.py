"""Patina: a git repository's own history as a queryable knowledge log."""

__version__ = "0.1.0"
