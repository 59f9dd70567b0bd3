"""The exit-code gate: incomplete scans (3) win over failing findings at or above --fail-on (1)."""

from __future__ import annotations

from auditor.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK
from auditor.findings import ScanResult, Severity, Status


def failing_at_or_above(result: ScanResult, fail_on: Severity | None) -> int:
    """How many failing findings reach the threshold (``None`` = never fail on findings)."""
    if fail_on is None:
        return 0
    return sum(1 for f in result.findings if f.status is Status.FAIL and f.severity.rank >= fail_on.rank)


def exit_code(result: ScanResult, fail_on: Severity | None) -> int:
    """3 if anything could not be collected or evaluated, else 1 if findings reach ``fail_on``, else 0.

    ``skipped`` (not applicable) and ``waived`` findings never affect the exit code.
    """
    if not result.complete:
        return EXIT_INCOMPLETE
    if failing_at_or_above(result, fail_on):
        return EXIT_FINDINGS
    return EXIT_OK
