"""Ordering, grouping and wording shared by the renderers, so every format tells the same story."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from auditor.findings import Finding, PolicyRef, ScanResult, Severity, Status

#: Order in which statuses are shown: what needs action first, what passed last.
STATUS_ORDER: tuple[Status, ...] = (Status.FAIL, Status.ERROR, Status.WAIVED, Status.SKIPPED, Status.PASS)
SEVERITY_ORDER: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -s.rank))
_STATUS_RANK = {status: index for index, status in enumerate(STATUS_ORDER)}


def finding_sort_key(finding: Finding) -> tuple[int, int, str, str]:
    """Failing first, then most severe, then by policy and resource (stable output)."""
    return (
        _STATUS_RANK[finding.status],
        -finding.severity.rank,
        finding.policy_id,
        finding.resource_id.lower(),
    )


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=finding_sort_key)


def actionable(finding: Finding) -> bool:
    """Fail or error: what a reader must act on (a waived finding was already accepted)."""
    return finding.status in (Status.FAIL, Status.ERROR)


def policy_index(result: ScanResult) -> dict[str, PolicyRef]:
    return {policy.id: policy for policy in result.policies}


def escalated_from(finding: Finding, policies: dict[str, PolicyRef]) -> Severity | None:
    """The policy's default severity when this finding carries a different (escalated) one."""
    policy = policies.get(finding.policy_id)
    if policy is None or policy.severity is finding.severity:
        return None
    return policy.severity


def waiver_justification(finding: Finding) -> str:
    """Why a waived finding was accepted: ``evidence.waiver`` (text or {justification|reason}) or the message.

    The Finding model has no waiver field; gates record the waiver in the evidence.
    """
    waiver = finding.evidence.get("waiver")
    if isinstance(waiver, str) and waiver.strip():
        return waiver
    if isinstance(waiver, dict):
        for key in ("justification", "reason"):
            value = waiver.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return finding.message


def evidence_text(value: Any) -> str:
    """Evidence values as a reader sees them: strings verbatim, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with ``ellipsis`` when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ellipsis), 0)].rstrip() + ellipsis


@dataclass
class PolicyRow:
    """One policy with its finding counts per status."""

    policy: PolicyRef
    counts: dict[Status, int]
    findings: list[Finding] = field(default_factory=list)

    @property
    def sort_key(self) -> tuple[int, int, int, str]:
        return (
            -self.counts[Status.FAIL],
            -self.policy.severity.rank,
            -self.counts[Status.ERROR],
            self.policy.id,
        )


def policy_rows(result: ScanResult) -> list[PolicyRow]:
    """Every policy that ran (plus any referenced only by a finding), in result order, with its findings."""
    rows: dict[str, PolicyRow] = {
        policy.id: PolicyRow(policy, dict.fromkeys(Status, 0)) for policy in result.policies
    }
    for finding in sorted_findings(result.findings):
        row = rows.get(finding.policy_id)
        if row is None:
            row = PolicyRow(stand_in_policy(finding), dict.fromkeys(Status, 0))
            rows[finding.policy_id] = row
        row.counts[finding.status] += 1
        row.findings.append(finding)
    return list(rows.values())


def stand_in_policy(finding: Finding) -> PolicyRef:
    """A PolicyRef for a finding whose policy is missing from ``result.policies`` (hand-edited results)."""
    return PolicyRef(
        id=finding.policy_id,
        name=finding.policy_id.lower(),
        title=finding.title,
        severity=finding.severity,
        resource=(finding.resource_kind,),
        description=finding.title,
        rationale="",
        source="",
    )


def not_evaluated_count(result: ScanResult) -> int:
    return result.summary.by_status.get(Status.ERROR, 0)


def incomplete_banner(result: ScanResult) -> str | None:
    """The one-line warning every format shows when the scan is incomplete, else None."""
    if result.complete:
        return None
    gaps = len(result.scan.coverage.gaps)
    errors = not_evaluated_count(result)
    return (
        f"Scan incomplete: {gaps} gap{'s' if gaps != 1 else ''}, "
        f"{errors} finding{'s' if errors != 1 else ''} could not be evaluated"
    )


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) link, else None (no ``javascript:`` or relative hrefs)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None
