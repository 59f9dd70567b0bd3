"""Self-contained HTML report for a security team: one file, inline CSS, no network, readable without JS.

The template (``reports/html/report.html.j2``) gets view objects built here: findings grouped by
resource (a cluster, then its node pools; a fleet, then its update runs; a hub, then its objects), the
groups with the worst finding first. Jinja2 autoescaping escapes every value; links are only emitted
for http(s) help URIs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from auditor.findings import Finding, PolicyRef, ScanResult, Severity, Status
from auditor.reporters.common import (
    SEVERITY_ORDER,
    STATUS_ORDER,
    escalated_from,
    evidence_text,
    finding_sort_key,
    incomplete_banner,
    policy_index,
    policy_rows,
    safe_url,
    waiver_justification,
)
from auditor.reporters.locations import last_segment, parent_id, parent_label
from auditor.resources import reports_dir


@dataclass(frozen=True)
class FindingView:
    finding: Finding
    escalated_from: Severity | None
    evidence: list[tuple[str, str]]
    waiver: str | None
    help_uri: str | None


@dataclass
class ResourceView:
    id: str
    name: str
    kind: str
    subscription: str | None
    location: str | None
    findings: list[FindingView] = field(default_factory=list)
    passed: list[FindingView] = field(default_factory=list)

    @property
    def worst(self) -> tuple[int, int, str, str]:
        return min(finding_sort_key(view.finding) for view in (*self.findings, *self.passed))


@dataclass
class GroupView:
    id: str
    name: str
    label: str
    resources: list[ResourceView] = field(default_factory=list)

    @property
    def worst(self) -> tuple[int, int, str, str]:
        return min(resource.worst for resource in self.resources)

    @property
    def open_count(self) -> int:
        return sum(len(resource.findings) for resource in self.resources)


def _timestamp(moment: datetime) -> str:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _subscription_label(finding: Finding, names: dict[str, str]) -> str | None:
    if not finding.subscription_id:
        return None
    name = finding.subscription_name or names.get(finding.subscription_id.lower())
    return f"{name} ({finding.subscription_id})" if name else finding.subscription_id


def _finding_view(finding: Finding, policies: dict[str, PolicyRef]) -> FindingView:
    policy = policies.get(finding.policy_id)
    return FindingView(
        finding=finding,
        escalated_from=escalated_from(finding, policies),
        evidence=[(key, evidence_text(value)) for key, value in finding.evidence.items()],
        waiver=waiver_justification(finding) if finding.status is Status.WAIVED else None,
        help_uri=safe_url(policy.help_uri) if policy else None,
    )


def group_findings(result: ScanResult) -> list[GroupView]:
    """Findings grouped parent -> resource, worst group first; within a group the parent comes first."""
    policies = policy_index(result)
    names = {sub.id.lower(): sub.name for sub in result.scan.scope.subscriptions if sub.name}
    resources: dict[str, ResourceView] = {}
    for finding in sorted(result.findings, key=finding_sort_key):
        key = finding.resource_id.strip().rstrip("/").lower()
        resource = resources.get(key)
        if resource is None:
            resource = ResourceView(
                id=finding.resource_id,
                name=finding.resource_name,
                kind=finding.resource_kind,
                subscription=_subscription_label(finding, names),
                location=finding.location,
            )
            resources[key] = resource
        view = _finding_view(finding, policies)
        (resource.passed if finding.status is Status.PASS else resource.findings).append(view)
    groups: dict[str, GroupView] = {}
    children: defaultdict[str, list[ResourceView]] = defaultdict(list)
    for key, resource in resources.items():
        parent = parent_id(resource.id)
        parent_key = parent.lower()
        if parent_key not in groups:
            groups[parent_key] = GroupView(id=parent, name=last_segment(parent), label=parent_label(parent))
        if parent_key == key:
            groups[parent_key].name = resource.name
        else:
            children[parent_key].append(resource)
    for parent_key, group in groups.items():
        own = resources.get(parent_key)
        group.resources = ([own] if own else []) + sorted(children[parent_key], key=lambda r: r.worst)
    return sorted(groups.values(), key=lambda group: group.worst)


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(reports_dir() / "html"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(result: ScanResult) -> str:
    """The complete HTML document."""
    scope = result.scan.scope
    template = _environment().get_template("report.html.j2")
    return template.render(
        result=result,
        banner=incomplete_banner(result),
        started=_timestamp(result.scan.started_at),
        finished=_timestamp(result.scan.finished_at),
        duration=round((result.scan.finished_at - result.scan.started_at).total_seconds()),
        subscriptions=scope.subscriptions,
        statuses=STATUS_ORDER,
        severities=SEVERITY_ORDER,
        read=sorted(result.scan.coverage.read.items()),
        gaps=result.scan.coverage.gaps,
        policy_rows=sorted(policy_rows(result), key=lambda row: row.sort_key),
        help_uris={policy.id: safe_url(policy.help_uri) for policy in result.policies},
        groups=group_findings(result),
        Status=Status,
    )
