"""The estate at a glance: a compliance score, the same per subscription, and the worst clusters — the
first questions a security lead asks of a report. A pure function of a ScanResult, in one pass over the
findings (any report format may show it; the HTML report does).

The score is the share of evaluated checks that pass: ``pass / (pass + fail + waived)``. A waived
failure is an accepted risk, not a pass; checks that could not be evaluated (``error``) or do not apply
(``skipped``) are left out of it and counted apart, so an incomplete scan cannot raise its score.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from auditor.findings import SEVERITY_ORDER, Finding, ScanResult, Severity, Status
from auditor.inventory.base import normalize_id
from auditor.reporters.locations import parent_id

SCORE_DEFINITION = (
    "passing checks ÷ evaluated checks (pass + fail + waived); a waived failure is an accepted risk, "
    "not a pass; checks not evaluated (error) or not applicable (skipped) are left out and counted apart"
)
#: Weight of one failing finding when ranking clusters: one critical outweighs two highs.
SEVERITY_WEIGHT: dict[Severity, int] = {
    Severity.CRITICAL: 10,
    Severity.HIGH: 5,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}
WORST_CLUSTERS = 10
#: Failing policies shown per worst cluster.
TOP_FAILURES = 3
CLUSTER_KINDS = frozenset({"cluster", "nodePool"})


def anchor(resource_id: str) -> str:
    """A stable, HTML-safe element id for a resource (its normalized id hashed)."""
    digest = hashlib.sha256(normalize_id(resource_id).encode("utf-8")).hexdigest()
    return f"r-{digest[:12]}"


@dataclass
class Score:
    passed: int = 0
    failed: int = 0
    waived: int = 0
    errors: int = 0
    skipped: int = 0

    @property
    def evaluated(self) -> int:
        return self.passed + self.failed + self.waived

    @property
    def percent(self) -> float | None:
        """None when nothing was evaluated (never 100 % of nothing)."""
        return 100 * self.passed / self.evaluated if self.evaluated else None

    @property
    def text(self) -> str:
        percent = self.percent
        return "n/a" if percent is None else f"{percent:.0f} %" if percent in (0, 100) else f"{percent:.1f} %"

    def add(self, status: Status) -> None:
        if status is Status.PASS:
            self.passed += 1
        elif status is Status.FAIL:
            self.failed += 1
        elif status is Status.WAIVED:
            self.waived += 1
        elif status is Status.ERROR:
            self.errors += 1
        else:
            self.skipped += 1


@dataclass
class SubscriptionRow:
    id: str | None
    name: str | None
    score: Score = field(default_factory=Score)
    failing: Counter[Severity] = field(default_factory=Counter)
    clusters: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        if self.id is None:
            return "(no subscription)"
        return f"{self.name} ({self.id})" if self.name else self.id

    @property
    def weight(self) -> int:
        return sum(SEVERITY_WEIGHT[s] * n for s, n in self.failing.items())


@dataclass
class ClusterRow:
    id: str
    name: str
    #: The subscription's name (its id when it has none), and its id.
    subscription: str | None
    subscription_id: str | None
    location: str | None
    failing: Counter[Severity] = field(default_factory=Counter)
    errors: int = 0
    #: (severity, policy id, title) of its failing findings (pools' included).
    failures: list[tuple[Severity, str, str]] = field(default_factory=list)

    @property
    def weight(self) -> int:
        return sum(SEVERITY_WEIGHT[s] * n for s, n in self.failing.items())

    @property
    def anchor(self) -> str:
        return anchor(self.id)

    @property
    def top(self) -> list[tuple[Severity, str, str]]:
        """The most severe failing policies, one line per policy (a policy failing on several pools once)."""
        seen: dict[str, tuple[Severity, str, str]] = {}
        for item in sorted(self.failures, key=lambda f: (-f[0].rank, f[1])):
            seen.setdefault(item[1], item)
        return list(seen.values())[:TOP_FAILURES]

    def sort_key(self) -> tuple[int, tuple[int, ...], str]:
        return (-self.weight, tuple(-self.failing[s] for s in SEVERITY_ORDER), self.name.lower())


@dataclass(frozen=True)
class Glance:
    score: Score
    subscriptions: list[SubscriptionRow]
    #: The clusters with the highest weighted failing severity (none when nothing fails).
    worst: list[ClusterRow]
    clusters_failing: int
    clusters_total: int


def cluster_of(finding: Finding) -> str | None:
    """The cluster a cluster or node-pool finding belongs to (None for fleets, hubs, ...)."""
    if finding.resource_kind == "cluster":
        return finding.resource_id.strip().rstrip("/")
    if finding.resource_kind == "nodePool":
        return parent_id(finding.resource_id)
    return None


def glance(result: ScanResult, worst: int = WORST_CLUSTERS) -> Glance:
    score = Score()
    subscriptions: dict[str | None, SubscriptionRow] = {}
    clusters: dict[str, ClusterRow] = {}
    names = {s.id.lower(): s.name for s in result.scan.scope.subscriptions if s.name}
    for finding in result.findings:
        status = finding.status
        score.add(status)
        key = finding.subscription_id.lower() if finding.subscription_id else None
        row = subscriptions.get(key)
        if row is None:
            name = finding.subscription_name or (names.get(key) if key else None)
            row = subscriptions[key] = SubscriptionRow(finding.subscription_id, name)
        row.score.add(status)
        cluster_id = cluster_of(finding)
        if cluster_id is not None:
            cluster_key = cluster_id.lower()
            row.clusters.add(cluster_key)
            cluster = clusters.get(cluster_key)
            if cluster is None:
                cluster = clusters[cluster_key] = ClusterRow(
                    cluster_id, cluster_id.rsplit("/", 1)[-1], row.name or row.id, row.id, finding.location
                )
            if finding.resource_kind == "cluster":
                cluster.name = finding.resource_name
            if status is Status.FAIL:
                cluster.failing[finding.severity] += 1
                cluster.failures.append((finding.severity, finding.policy_id, finding.title))
            elif status is Status.ERROR:
                cluster.errors += 1
        if status is Status.FAIL:
            row.failing[finding.severity] += 1
    failing = [c for c in clusters.values() if c.failing]
    return Glance(
        score=score,
        subscriptions=sorted(
            subscriptions.values(), key=lambda r: (-r.weight, -r.score.errors, r.label.lower())
        ),
        worst=sorted(failing, key=ClusterRow.sort_key)[:worst],
        clusters_failing=len(failing),
        clusters_total=len(clusters),
    )


def severity_breakdown(result: ScanResult) -> dict[str, Counter[Severity]]:
    """Per policy id: its failing findings by the severity they carry (escalations included)."""
    counts: dict[str, Counter[Severity]] = defaultdict(Counter)
    for finding in result.findings:
        if finding.status is Status.FAIL:
            counts[finding.policy_id][finding.severity] += 1
    return counts
