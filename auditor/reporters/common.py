"""Ordering, grouping and wording shared by the renderers, so every format tells the same story."""

from __future__ import annotations

import heapq
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from auditor.findings import Finding, PolicyRef, ScanResult, Severity, Status

#: Order in which statuses are shown: what needs action first, what passed last.
STATUS_ORDER: tuple[Status, ...] = (Status.FAIL, Status.ERROR, Status.WAIVED, Status.SKIPPED, Status.PASS)
SEVERITY_ORDER: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -s.rank))
STATUS_RANK: dict[Status, int] = {status: index for index, status in enumerate(STATUS_ORDER)}
SEVERITY_RANK: dict[Severity, int] = {severity: severity.rank for severity in Severity}
#: Compact JSON for evidence values; built once (``json.dumps`` builds an encoder per call).
_EVIDENCE_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)

SortKey = tuple[int, int, str, str]
_POLICY_ID = attrgetter("policy_id")
_STATUS = attrgetter("status")


def finding_sort_key(finding: Finding) -> SortKey:
    """Failing first, then most severe, then by policy and resource (stable output)."""
    return (
        STATUS_RANK[finding.status],
        -SEVERITY_RANK[finding.severity],
        finding.policy_id,
        finding.resource_id.lower(),
    )


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=finding_sort_key)


def first_findings(
    findings: Iterable[Finding], count: int, key: Callable[[Finding], Any] = finding_sort_key
) -> list[Finding]:
    """The first ``count`` findings in ``key`` order, without sorting all of them (same result as
    ``sorted(findings, key=key)[:count]``)."""
    return heapq.nsmallest(count, findings, key=key)


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
    return _EVIDENCE_ENCODER.encode(value)


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


def policy_rows(result: ScanResult, *, with_findings: bool = False) -> list[PolicyRow]:
    """Every policy that ran (plus any referenced only by a finding), in result order, with its counts.

    ``with_findings`` also fills each row's findings (in :func:`finding_sort_key` order); without it the
    rows carry counts only, which is all a summary needs.
    """
    rows: dict[str, PolicyRow] = {
        policy.id: PolicyRow(policy, dict.fromkeys(Status, 0)) for policy in result.policies
    }
    findings = result.findings
    # Counting with C-level iterators: this runs once per format over every finding.
    pairs = Counter(zip(map(_POLICY_ID, findings), map(_STATUS, findings), strict=True))
    for policy_id in dict.fromkeys(policy_id for policy_id, _ in pairs):
        if policy_id not in rows:
            first = next(finding for finding in findings if finding.policy_id == policy_id)
            rows[policy_id] = PolicyRow(stand_in_policy(first), dict.fromkeys(Status, 0))
    for (policy_id, status), count in pairs.items():
        rows[policy_id].counts[status] = count
    if with_findings:
        for finding in findings:
            rows[finding.policy_id].findings.append(finding)
        for row in rows.values():
            row.findings.sort(key=finding_sort_key)
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


def utc_timestamp(moment: datetime) -> str:
    """``2024-06-03 08:00:00 UTC`` (a naive time is taken to be UTC already)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def judged_as_of(result: ScanResult) -> str | None:
    """When the estate was collected, i.e. the instant ages and deadlines were judged at (None if unknown).

    A saved snapshot is judged as of its collection time, which can be long before the scan ran.
    """
    evaluated_at = result.scan.evaluated_at
    return utc_timestamp(evaluated_at) if evaluated_at is not None else None


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
