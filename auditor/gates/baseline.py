"""Drift against a baseline: which failures are new since an accepted earlier result, and which got fixed.

A failing finding is ``new`` when its fingerprint (policy + resource) did not fail in the baseline — it
passed, was skipped, waived or errored there, or did not exist — or failed there at a lower severity (an
escalation is a worse state). It is ``unchanged`` when it failed there at the same or a higher severity.
A failing fingerprint of the baseline that no longer fails is listed with its last-known evidence and
what it is now: ``pass``, ``skipped`` or ``waived``, or ``absent`` (the resource or policy is not in this
scan). One that now could not be evaluated (``error``) is ``unknown``: never counted as fixed.
"""

from __future__ import annotations

from collections.abc import Iterable

from auditor.errors import ConfigError
from auditor.findings import BaselineInfo, BaselineState, Finding, FixedFinding, ScanResult, Status
from auditor.gcpause import collector_paused

NOW_STATES: dict[Status, str] = {
    Status.PASS: "pass",
    Status.SKIPPED: "skipped",
    Status.WAIVED: "waived",
}


def check_scope(result: ScanResult, baseline: ScanResult, source: str) -> None:
    """Refuse a baseline with subscriptions this scan does not cover (its failures there would all read
    as fixed or absent); a scan that covers more than the baseline is fine (new subscriptions are new)."""
    ours = {s.id.lower() for s in result.scan.scope.subscriptions}
    theirs = {s.id.lower() for s in baseline.scan.scope.subscriptions}
    outside = sorted(theirs - ours)
    if outside:
        shown = ", ".join(outside[:3]) + (f" and {len(outside) - 3} more" if len(outside) > 3 else "")
        raise ConfigError(
            f"--baseline {source}: it covers subscription(s) {shown} that this scan does not; compare "
            "results of the same scope, or pass --baseline-any-scope"
        )
    if not ours and not theirs and baseline.scan.source != result.scan.source:
        raise ConfigError(
            f"--baseline {source}: it is a scan of source {baseline.scan.source!r}, this one of "
            f"{result.scan.source!r}; pass --baseline-any-scope to compare them anyway"
        )


@collector_paused()  # walks every finding: no full collection of them meanwhile
def compare(result: ScanResult, baseline: ScanResult | None, source: str) -> ScanResult:
    """``result`` with each failing finding's ``baselineState`` and the ``baseline`` block; a None
    baseline (an empty history) makes every failure new."""
    earlier = baseline.findings if baseline is not None else ()
    before = {f.fingerprint: f for f in earlier}
    findings = tuple(_marked(finding, before.get(finding.fingerprint)) for finding in result.findings)
    now = {f.fingerprint: f for f in findings}
    fixed: list[FixedFinding] = []
    unknown = 0
    for old in _failing(earlier):
        current = now.get(old.fingerprint)
        if current is not None and current.status in (Status.FAIL, Status.ERROR):
            unknown += current.status is Status.ERROR
            continue
        fixed.append(
            FixedFinding(
                fingerprint=old.fingerprint,
                policy_id=old.policy_id,
                resource_id=old.resource_id,
                resource_name=old.resource_name,
                severity=old.severity,
                message=old.message,
                evidence=old.evidence,
                now=NOW_STATES.get(current.status, "absent") if current is not None else "absent",
            )
        )
    info = BaselineInfo(
        source=source,
        scanned_at=baseline.scan.started_at if baseline is not None else None,
        new=sum(1 for f in findings if f.baseline_state == "new"),
        unchanged=sum(1 for f in findings if f.baseline_state == "unchanged"),
        fixed=len(fixed),
        unknown=unknown,
        fixed_findings=tuple(fixed),
    )
    return result.model_copy(update={"findings": findings, "baseline": info})


def _failing(findings: Iterable[Finding]) -> Iterable[Finding]:
    return (f for f in findings if f.status is Status.FAIL)


def _marked(finding: Finding, before: Finding | None) -> Finding:
    if finding.status is not Status.FAIL:
        return finding
    worse = before is None or before.status is not Status.FAIL or finding.severity.rank > before.severity.rank
    state: BaselineState = "new" if worse else "unchanged"
    return finding.model_copy(update={"baseline_state": state})
