"""Error roots. Each carries the process exit code the CLI's single error boundary maps it to.

Exit codes (documented in the README): 0 clean, 1 failing findings at or above --fail-on,
2 usage/config/policy/input error, 3 incomplete scan (collection errors or `error` findings),
4 a report or snapshot could not be written.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_OUTPUT = 4


class AuditorError(Exception):
    """Root of every error the tool reports as one line instead of a traceback."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(AuditorError):
    """A CLI value or configuration the scan cannot start with."""


def describe_validation_error(error: ValidationError, *, locate: bool = True) -> str:
    """The first problem of a pydantic error as one line: ``field.path: message (got value)``.

    A model's own check (a ``ValueError`` in a validator) reads as its message, without pydantic's
    "Value error, " prefix. ``locate=False``: the message alone, for checks whose message names the
    option or field itself (the CLI's config models).
    """
    problems = error.errors()
    first = problems[0]
    message = str(first["msg"])
    if first["type"] == "value_error":
        message = message.removeprefix("Value error, ")
    if not locate:
        return message
    if first["type"] == "value_error" and not first["loc"]:  # a check of the whole document
        return message + (f" ({len(problems) - 1} more)" if len(problems) > 1 else "")
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    extra = f" ({len(problems) - 1} more)" if len(problems) > 1 else ""
    if first["type"] == "missing":
        return f"{where}: {message}{extra}"
    got = first.get("input")
    shown = (
        json.dumps(got)[:80]
        if isinstance(got, str | int | float | bool) or got is None
        else type(got).__name__
    )
    return f"{where}: {message} (got {shown}){extra}"


def config_error(error: ValidationError) -> ConfigError:
    """A config model's own check, failed, as one ConfigError line (exit 2)."""
    return ConfigError(describe_validation_error(error, locate=False))


class InputError(AuditorError):
    """A snapshot or result file that is missing, corrupt, of the wrong kind or of a newer schema."""


class PolicyError(AuditorError):
    """A policy file that fails structural, expression or parameter validation."""


class CollectionError(AuditorError):
    """Collection could not produce an estate at all (partial failures go into coverage instead)."""

    exit_code = EXIT_INCOMPLETE


class OutputError(AuditorError):
    """A report or snapshot could not be written (a directory in the way, no permission, a full disk)."""

    exit_code = EXIT_OUTPUT
