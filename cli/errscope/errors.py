"""Errors errscope raises on purpose, and the exit status each one maps to."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit codes, listed in `--help` and the README."""

    OK = 0
    CHECK_FAILED = 1
    USAGE = 2
    INPUT = 3
    INTERRUPTED = 130


class ErrscopeError(Exception):
    """An error the user can act on: one line of what happened and an optional hint."""

    exit_status = ExitStatus.USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(ErrscopeError):
    """Arguments or options that do not fit together."""

    exit_status = ExitStatus.USAGE


class RegistryError(ErrscopeError):
    """A registry file that cannot be loaded or does not validate."""

    exit_status = ExitStatus.USAGE


class InputError(ErrscopeError):
    """Input rows that cannot be read: missing files, unknown formats, malformed lines."""

    exit_status = ExitStatus.INPUT


class QueryError(ErrscopeError):
    """A query over the loaded rows failed, e.g. a `--where` filter that does not parse."""

    exit_status = ExitStatus.USAGE
