"""Plain-text summary for stdout: totals, coverage state, the worst policies and findings."""

from __future__ import annotations

from auditor.findings import SEVERITY_ORDER, STATUS_ORDER, Finding, ScanResult, Status
from auditor.reporters.common import (
    baseline_text,
    calendar_text,
    first_findings,
    horizon_summary,
    incomplete_banner,
    judged_as_of,
    policy_rows,
    truncate,
    utc_timestamp,
    waiver_notices,
)
from auditor.terminal import printable

MAX_GAPS = 10
MAX_FINDINGS = 20
MAX_POLICIES = 5


def render_console(result: ScanResult) -> str:
    """A short summary a terminal or a CliRunner test can read: each line printable (a control character
    or line break inside a cluster name or message is shown escaped, never sent to the terminal)."""
    summary = result.summary
    lines = [
        f"aks-auditor {result.tool.version} - source {result.scan.source} - "
        f"{summary.total} findings on {summary.resources} resources, {len(result.policies)} policies",
        _when(result),
        "Status:   "
        + ", ".join(f"{status.value} {summary.by_status.get(status, 0)}" for status in STATUS_ORDER),
        "Failed:   "
        + ", ".join(
            f"{severity.value} {summary.failed_by_severity.get(severity, 0)}" for severity in SEVERITY_ORDER
        ),
    ]
    drift = baseline_text(result)
    if drift:
        lines.insert(1, f"Baseline: {drift}")
    lines.extend(_coverage(result))
    lines.extend(_horizon(result))
    lines.extend(_top_policies(result))
    lines.extend(_top_findings(result))
    return "\n".join(printable(line) for line in lines) + "\n"


def _when(result: ScanResult) -> str:
    line = f"Scanned:  {utc_timestamp(result.scan.started_at)}"
    as_of = judged_as_of(result)
    return f"{line}; estate collected / judged as of {as_of}" if as_of else line


def _coverage(result: ScanResult) -> list[str]:
    coverage = result.scan.coverage
    read = ", ".join(f"{kind} {count}" for kind, count in sorted(coverage.read.items())) or "nothing"
    banner = incomplete_banner(result)
    if banner is None:
        return [f"Coverage: complete (read: {read})"]
    lines = [f"Coverage: INCOMPLETE - {banner} (read: {read})"]
    for gap in coverage.gaps[:MAX_GAPS]:
        lines.append(f"  - {gap.scope} {gap.target}: {gap.operation}: {truncate(gap.reason, 200)}")
    if len(coverage.gaps) > MAX_GAPS:
        lines.append(f"  ... and {len(coverage.gaps) - MAX_GAPS} more gaps")
    return lines


def _horizon(result: ScanResult) -> list[str]:
    lines = []
    calendar = calendar_text(result)
    if calendar:
        lines.append(f"Calendar: {calendar}")
    horizon = horizon_summary(result)
    if horizon:
        lines.append(f"Horizon:  {horizon.text()}")
    lines.extend(f"Note:     {note}" for note in result.scan.coverage.notes)
    lines.extend(f"Waiver:   {notice}" for notice in waiver_notices(result))
    return lines


def _top_policies(result: ScanResult) -> list[str]:
    failing = sorted(
        (row for row in policy_rows(result) if row.counts[Status.FAIL]), key=lambda row: row.sort_key
    )
    if not failing:
        return ["Top failing policies: none"]
    lines = ["Top failing policies:"]
    for row in failing[:MAX_POLICIES]:
        policy = row.policy
        lines.append(f"  {row.counts[Status.FAIL]:>5}  {policy.id} [{policy.severity.value}] {policy.title}")
    return lines


def _streak(result: ScanResult, finding: Finding) -> str:
    """`` (failing for 41 days)`` when the history knows the failure is older than this scan."""
    if finding.first_seen is None:
        return ""
    days = ((result.scan.evaluated_at or result.scan.started_at) - finding.first_seen).days
    return f" (failing for {days} days)" if days >= 1 else ""


def _top_findings(result: ScanResult) -> list[str]:
    failing = [finding for finding in result.findings if finding.status is Status.FAIL]
    if not failing:
        return ["Failing findings: none"]
    lines = [f"Failing findings ({len(failing)}, most severe first):"]
    for finding in first_findings(failing, MAX_FINDINGS):
        message = truncate(" ".join(finding.message.split()), 160)
        lines.append(
            f"  [{finding.severity.value:<8}] {finding.policy_id} {finding.resource_name}: {message}"
            + _streak(result, finding)
        )
    if len(failing) > MAX_FINDINGS:
        lines.append(f"  ... and {len(failing) - MAX_FINDINGS} more (see the HTML or JSON report)")
    return lines
