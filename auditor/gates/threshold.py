"""The exit-code gate: incomplete scans (3) win over failing findings at or above --fail-on (1)."""

from __future__ import annotations

from auditor.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK
from auditor.findings import ScanResult, Severity, Status


def failing_at_or_above(result: ScanResult, fail_on: Severity | None, *, new_only: bool = False) -> int:
    """How many failing findings reach the threshold (``None`` = never fail on findings); ``new_only``:
    only those new since the baseline (see gates/baseline.py)."""
    if fail_on is None:
        return 0
    return sum(
        1
        for f in result.findings
        if f.status is Status.FAIL
        and f.severity.rank >= fail_on.rank
        and (not new_only or f.baseline_state == "new")
    )


def exit_code(
    result: ScanResult, fail_on: Severity | None, *, allow_partial: bool = False, new_only: bool = False
) -> int:
    """3 if anything could not be collected or evaluated, else 1 if findings reach ``fail_on``, else 0.

    ``allow_partial``: coverage gaps alone do not make it 3; findings with status ``error`` still do.
    ``new_only``: only failures new since the baseline count (an incomplete scan still gives 3).
    ``skipped`` (not applicable) and ``waived`` findings never affect the exit code.
    """
    incomplete = result.summary.by_status[Status.ERROR] > 0 if allow_partial else not result.complete
    if incomplete:
        return EXIT_INCOMPLETE
    if failing_at_or_above(result, fail_on, new_only=new_only):
        return EXIT_FINDINGS
    return EXIT_OK
