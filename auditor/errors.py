"""Error roots. Each carries the process exit code the CLI's single error boundary maps it to.

Exit codes (documented in the README): 0 clean, 1 failing findings at or above --fail-on,
2 usage/config/policy/input error, 3 incomplete scan (collection errors or `error` findings).
"""

from __future__ import annotations

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


def config_error(error: Exception) -> ConfigError:
    """A pydantic ValidationError raised by a config model's own check, as one ConfigError line."""
    errors = getattr(error, "errors", None)
    message = str(errors()[0]["msg"]) if callable(errors) else str(error)
    return ConfigError(message.removeprefix("Value error, "))


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
