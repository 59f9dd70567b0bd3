"""What the HTML report shows, and what it only counts, so it stays usable in a browser at estate scale.

Findings are grouped by resource (a cluster, then its node pools; a fleet, then its update runs; a hub,
then its objects), the groups with the worst finding first. Per listed resource:

* ``fail``, ``error`` and ``waived`` findings are shown in full, but at most ``max_detailed`` of them in
  the whole report: the most severe (waived ones last, as accepted risks). The rest are counted per
  policy in :attr:`Layout.omitted`, and the resource says how many of its own were left out.
* ``skipped`` findings are one line each (policy id and reason);
* ``pass`` findings are only counted ("14 checks passed"): the full list is in the JSON report.

Resources with nothing shown in full (only passes and skips) are listed only while the estate has at
most ``max_resources`` resources; beyond that they are counted, not listed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from auditor.findings import Finding, PolicyRef, ScanResult, Severity, Status
from auditor.reporters.common import (
    SortKey,
    evidence_text,
    finding_sort_key,
    most_severe,
    policies_with_stand_ins,
    safe_url,
    status_counts,
    waiver_text,
)
from auditor.reporters.locations import last_segment, parent_id, parent_label

#: Findings to act on (fail, error, waived) rendered in full; beyond this the most severe are kept.
MAX_DETAILED = 500
#: Resources with only passing / skipped checks are listed while the estate has at most this many.
MAX_RESOURCES = 2_000
DETAILED = frozenset({Status.FAIL, Status.ERROR, Status.WAIVED})
#: The columns of the "not shown" table (passes are never shown one by one, so they are not counted).
STATUSES_OMITTED: tuple[Status, ...] = (Status.FAIL, Status.ERROR, Status.WAIVED, Status.SKIPPED)


@dataclass(frozen=True, slots=True)
class FindingView:
    """One finding as the template shows it; the derived values are computed only when rendered."""

    finding: Finding
    help_uri: str | None

    @property
    def evidence(self) -> list[tuple[str, str]]:
        return [(key, evidence_text(value)) for key, value in self.finding.evidence.items()]

    @property
    def waiver(self) -> str | None:
        return waiver_text(self.finding) if self.finding.status is Status.WAIVED else None


@dataclass
class ResourceView:
    id: str
    name: str
    kind: str
    subscription: str | None
    location: str | None
    worst: SortKey
    subscription_id: str | None = None
    #: Shown findings, worst first: fail / error / waived (rendered in full), then skipped (one line each).
    findings: list[FindingView] = field(default_factory=list)
    passed: list[FindingView] = field(default_factory=list)
    #: This resource's fail / error / waived findings left out by the ``max_detailed`` cap.
    not_shown: int = 0

    @property
    def detailed(self) -> list[FindingView]:
        return [view for view in self.findings if view.finding.status is not Status.SKIPPED]

    @property
    def skipped(self) -> list[FindingView]:
        return [view for view in self.findings if view.finding.status is Status.SKIPPED]


@dataclass
class GroupView:
    id: str
    name: str
    label: str
    resources: list[ResourceView] = field(default_factory=list)

    @property
    def worst(self) -> SortKey:
        return min(resource.worst for resource in self.resources)

    @property
    def open_count(self) -> int:
        return sum(len(resource.detailed) for resource in self.resources)


@dataclass(frozen=True)
class OmittedRow:
    """Per policy: findings not shown in full (fail / error / waived) or not listed (skipped)."""

    policy: PolicyRef
    counts: dict[Status, int]


@dataclass(frozen=True)
class Layout:
    groups: list[GroupView]
    #: Findings to act on (fail / error / waived): in the result, and shown in full.
    detailed_total: int
    detailed_shown: int
    #: Resources with findings, and how many of them are listed.
    resources_total: int
    resources_listed: int
    omitted: list[OmittedRow]

    @property
    def capped(self) -> bool:
        return self.detailed_shown < self.detailed_total or self.resources_listed < self.resources_total


def _class_rank(cls: tuple[Severity, Status]) -> tuple[bool, int, int]:
    """What is shown in full first: most severe; waived last (an accepted risk); fail before error."""
    severity, status = cls
    return (status is Status.WAIVED, -severity.rank, status.rank)


def _resource_key(resource_id: str) -> str:
    return resource_id.strip().rstrip("/").lower()


def _subscription_label(finding: Finding, names: dict[str, str]) -> str | None:
    if not finding.subscription_id:
        return None
    name = finding.subscription_name or names.get(finding.subscription_id.lower())
    return f"{name} ({finding.subscription_id})" if name else finding.subscription_id


def _bucket(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Findings per resource (ids compared case-insensitively, trailing slash ignored), in result order."""
    keys: dict[str, str] = {}  # each distinct id is normalized once
    buckets: dict[str, list[Finding]] = {}
    for finding in findings:
        key = keys.get(finding.resource_id)
        if key is None:
            key = keys[finding.resource_id] = _resource_key(finding.resource_id)
        bucket = buckets.get(key)
        if bucket is None:
            buckets[key] = [finding]
        else:
            bucket.append(finding)
    return buckets


def layout(
    result: ScanResult,
    *,
    max_detailed: int = MAX_DETAILED,
    max_resources: int = MAX_RESOURCES,
    counts: Counter[tuple[str, Status]] | None = None,
) -> Layout:
    """Decide what is shown in full, listed in one line, or only counted (see the module docstring).

    ``counts`` (from :func:`~auditor.reporters.common.status_counts`) saves a pass when the caller has it.
    """
    findings = result.findings
    totals = status_counts(findings) if counts is None else counts
    policies = policies_with_stand_ins(result, (policy_id for policy_id, _ in totals))
    help_uris = {policy_id: safe_url(policy.help_uri) for policy_id, policy in policies.items()}
    names = {sub.id.lower(): sub.name for sub in result.scan.scope.subscriptions if sub.name}
    detailed = [finding for finding in findings if finding.status in DETAILED]
    shown_detailed = most_severe(detailed, max_detailed, _class_rank)
    shown = {id(finding) for finding in shown_detailed}
    list_all = result.summary.resources <= max_resources
    if list_all:
        members: Iterable[Finding] = findings
    else:  # list only the resources with something shown in full (matched by the id a finding spells)
        listed_ids = {finding.resource_id for finding in shown_detailed}
        members = [finding for finding in findings if finding.resource_id in listed_ids]

    def view(finding: Finding) -> FindingView:
        policy_id = finding.policy_id
        return FindingView(finding, help_uris[policy_id])

    resources: dict[str, ResourceView] = {}
    listed_counts: Counter[tuple[str, Status]] = Counter()
    for key, bucket in _bucket(members).items():
        bucket.sort(key=finding_sort_key)
        first = bucket[0]
        resource = ResourceView(
            id=first.resource_id,
            name=first.resource_name,
            kind=first.resource_kind,
            subscription=_subscription_label(first, names),
            location=first.location,
            worst=finding_sort_key(first),
            subscription_id=first.subscription_id,
        )
        for finding in bucket:
            if finding.status is Status.PASS:
                resource.passed.append(view(finding))
            elif finding.status is Status.SKIPPED or id(finding) in shown:
                resource.findings.append(view(finding))
                listed_counts[finding.policy_id, finding.status] += 1
            else:
                resource.not_shown += 1
        resources[key] = resource
    return Layout(
        groups=_groups(resources),
        detailed_total=len(detailed),
        detailed_shown=len(shown),
        resources_total=len(resources) if list_all else result.summary.resources,
        resources_listed=len(resources),
        omitted=_omitted(totals, policies, listed_counts),
    )


def _groups(resources: dict[str, ResourceView]) -> list[GroupView]:
    """Resources under their parent (cluster, fleet, hub), worst group first, the parent itself first."""
    groups: dict[str, GroupView] = {}
    children: dict[str, list[ResourceView]] = {}
    for key, resource in resources.items():
        parent = parent_id(resource.id)
        parent_key = parent.lower()
        if parent_key not in groups:
            groups[parent_key] = GroupView(id=parent, name=last_segment(parent), label=parent_label(parent))
            children[parent_key] = []
        if parent_key == key:
            groups[parent_key].name = resource.name
        else:
            children[parent_key].append(resource)
    for parent_key, group in groups.items():
        own = resources.get(parent_key)
        group.resources = ([own] if own else []) + sorted(
            children[parent_key], key=lambda resource: resource.worst
        )
    return sorted(groups.values(), key=lambda group: group.worst)


def _omitted(
    totals: Counter[tuple[str, Status]],
    policies: dict[str, PolicyRef],
    listed: Counter[tuple[str, Status]],
) -> list[OmittedRow]:
    """Per policy, the fail / error / waived / skipped findings that are not on the page, worst first."""
    rows: dict[str, dict[Status, int]] = {}
    for (policy_id, status), count in totals.items():
        if status is Status.PASS:
            continue
        missing = count - listed[policy_id, status]
        if missing:
            rows.setdefault(policy_id, dict.fromkeys(STATUSES_OMITTED, 0))[status] = missing
    return sorted(
        (OmittedRow(policies[policy_id], counts) for policy_id, counts in rows.items()),
        key=lambda row: (
            -row.counts[Status.FAIL],
            -row.policy.severity.rank,
            -row.counts[Status.ERROR],
            row.policy.id,
        ),
    )
