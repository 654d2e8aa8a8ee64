"""Errors a user can cause, each with its own exit code.

The CLI turns a :class:`PatinaError` into one line on stderr and ``exit(code)``;
anything else is a bug and still gets one line (plus the log), never a traceback.
"""

from __future__ import annotations

EXIT_DIFFERENT = 1  # verify found a difference
EXIT_NOT_A_REPO = 2
EXIT_USAGE = 3  # a bad argument click could not catch (dates, parameters)
EXIT_DB = 4  # database missing, unreadable or of an unknown schema
EXIT_LOCKED = 5  # another patina holds the lock and --no-wait was given
EXIT_GIT = 6  # git itself failed
EXIT_SQL = 7  # a user query failed
EXIT_CONFIG = 8  # the team config is invalid
EXIT_INTERNAL = 70


class PatinaError(Exception):
    """An error with a one-line message meant for the user.

    ``param``: the parameter at fault, if any; each front end names it its own way
    (the CLI as ``--until: ...``, the HTTP service as ``until: ...``).
    """

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, exit_code: int | None = None, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if exit_code is not None:
            self.exit_code = exit_code

    def worded(self, prefix: str = "") -> str:
        """The message, after the parameter's name as a front end spells it (``prefix`` + name)."""
        return f"{prefix}{self.param}: {self.message}" if self.param else self.message


class NotARepository(PatinaError):
    exit_code = EXIT_NOT_A_REPO


class UsageError(PatinaError):
    exit_code = EXIT_USAGE


class DatabaseError(PatinaError):
    exit_code = EXIT_DB


class LockBusy(PatinaError):
    exit_code = EXIT_LOCKED


class GitError(PatinaError):
    exit_code = EXIT_GIT


class QueryError(PatinaError):
    exit_code = EXIT_SQL


class ConfigError(PatinaError):
    exit_code = EXIT_CONFIG
