"""Findings and the scan result: frozen value objects every reporter renders and every gate reads."""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable, Iterable
from datetime import date, datetime
from enum import StrEnum
from sys import intern
from typing import Any, Literal

from pydantic import Field

from auditor.cluster_cards import ClusterCard
from auditor.fleet_cards import FleetCard
from auditor.horizon import ClusterHorizon
from auditor.inventory.base import Model, normalize_id, shared_fields_set, values_sharing_keys
from auditor.inventory.estate import Coverage, Scope
from auditor.landscape import Landscape

#: 2.0: escalation and waiver notes are typed fields of a finding (1.x kept them inside ``evidence``);
#: auditor/result_file.py reads 1.x results too. 2.1 (additive): ``scan.calendar``, ``scan.coverage.notes``
#: and ``horizon`` (each cluster's end of support and next maintenance windows). 2.2 (additive):
#: ``baseline`` and each failing finding's ``baselineState`` when compared with a baseline. 2.3 (additive):
#: history, report tags, landscape, cluster and fleet cards. 2.4 (additive): ``shard`` (``scan --shard``).
RESULT_SCHEMA_VERSION = "2.4"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe (critical 4 … info 0)."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}
#: Most severe first.
SEVERITY_ORDER: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -s.rank))


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"
    WAIVED = "waived"

    @property
    def rank(self) -> int:
        """Order of attention, lower first: fail 0, error 1, waived 2, skipped 3, pass 4."""
        return _STATUS_RANK[self]


#: Order in which statuses are shown: what needs action first, what passed last.
STATUS_ORDER: tuple[Status, ...] = (Status.FAIL, Status.ERROR, Status.WAIVED, Status.SKIPPED, Status.PASS)
_STATUS_RANK = {status: index for index, status in enumerate(STATUS_ORDER)}


class Remediation(Model):
    """A built-in fix action with its arguments, or guidance text, or both."""

    action: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    guidance: str | None = None


class Escalation(Model):
    """Why a failing finding is more severe than its policy's default: the policy's ``escalate`` rule."""

    #: The policy's own severity (the finding's ``severity`` is the raised one).
    from_: Severity = Field(alias="from")
    note: str


class WaiverNote(Model):
    """The accepted risk that turned a ``fail`` into ``waived`` (from the waiver file)."""

    reason: str
    expires: date
    approved_by: str | None = None


class ListedWaiver(Model):
    """A waiver of the file as reports list it (expired, or stale: active but matching nothing)."""

    waiver: str
    reason: str
    expires: date
    approved_by: str | None = None


class WaiverReport(Model):
    applied: int
    expired: tuple[ListedWaiver, ...] = ()
    stale: tuple[ListedWaiver, ...] = ()


def fingerprint(policy_id: str, normalized_id: str) -> str:
    """Stable across runs: policy id + the resource's normalized (lower-cased) id, ``normalize_id``'s —
    the evaluator normalizes each resource's id once for every policy judging it."""
    return hashlib.sha256(f"{policy_id}|{normalized_id}".encode()).hexdigest()[:32]


#: A failing finding compared with a baseline (``--baseline``): ``new`` or ``unchanged``.
BaselineState = Literal["new", "unchanged"]


class Finding(Model):
    policy_id: str
    title: str
    severity: Severity
    status: Status
    resource_kind: str
    resource_id: str
    resource_name: str
    subscription_id: str | None = None
    subscription_name: str | None = None
    location: str | None = None
    message: str
    #: The values the policy read (its own ``evidence`` expressions, in policy order). Policy-defined:
    #: nothing of ours is ever written into it.
    evidence: dict[str, Any] = Field(default_factory=dict)
    fingerprint: str
    remediation: Remediation | None = None
    escalation: Escalation | None = None
    waiver: WaiverNote | None = None
    #: Set on failing findings of a scan compared with a baseline (schema 2.2).
    baseline_state: BaselineState | None = None
    #: With --history: when the current failing streak began (schema 2.2).
    first_seen: datetime | None = None

    @classmethod
    def trusted(cls, values: dict[str, Any]) -> Finding:
        """A finding of ``values`` that our evaluator built, every field given, each already of its declared
        type — so not validated again (validation is ~2 µs of a finding's ~45 µs, taken 240,000 times
        at 10,000 clusters; pydantic's ``model_construct`` measured slower than validating). The
        evaluator's findings are proven equal to their validated copies in tests/policies/."""
        finding = cls.__new__(cls)
        object.__setattr__(finding, "__dict__", values_sharing_keys(cls, values))
        # One shared "fields set" (pydantic's per-instance set is ~40% of a finding's memory).
        object.__setattr__(finding, "__pydantic_fields_set__", _FINDING_FIELDS)
        object.__setattr__(finding, "__pydantic_extra__", None)
        object.__setattr__(finding, "__pydantic_private__", None)
        return finding


#: The same set as a validated finding given every field holds (``held_compactly``).
_FINDING_FIELDS = shared_fields_set(Finding, set(Finding.model_fields))


#: marshal's format 2: no back-references and no interned-string marks, so equal evidence is always the
#: same bytes (format 3 and later mark a value by how many references it has and whether it is interned).
_KEY_VERSION = 2


class SharedEvidence:
    """Equal evidence held once: a scan's findings repeat the same few thousand evidence maps (at 2,000
    clusters, 48,296 findings have 3,730 distinct ones; a skipped finding's is ``{}``), and each map with
    its lists is ~250 B. Findings are frozen, and nothing changes a finding's evidence in place, so they
    may share one map.

    Equal means equal as JSON writes it: same keys in the same order, values of the same types (``1``,
    ``1.0`` and ``true`` stay apart) — the bytes ``marshal`` format 2 writes for it. Evidence marshal cannot
    write is kept as it is."""

    def __init__(self) -> None:
        self._known: dict[bytes, dict[str, Any]] = {}

    def share(
        self, evidence: dict[str, Any], first: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The map equal to ``evidence`` seen first: ``evidence`` itself (``first(evidence)`` when given)
        when it is the first."""
        try:
            key = marshal.dumps(evidence, _KEY_VERSION)
        except ValueError:  # a value marshal does not write (never the evaluator's): not shared
            return evidence
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = evidence if first is None else first(evidence)
        return known


def compact(findings: Iterable[Finding]) -> None:
    """Findings just validated from JSON (a saved result, a shard's) are held compactly as every model is
    (``held_compactly``: strings interned, one fields set, key-sharing dicts), but each still has its own
    copy of its evidence and sub-models: make them hold what the evaluator's findings hold — evidence
    strings interned, one remediation and one escalation object per policy where equal, equal evidence
    once (:class:`SharedEvidence`). Only copies are dropped: every value stays equal. Measured at 500
    clusters: 2,466 -> ~1,000 B held a finding (benchmarks/results/scale.md).
    """
    evidence = SharedEvidence()
    remediations: dict[str, Remediation] = {}
    escalations: dict[tuple[Severity, str], Escalation] = {}
    for finding in findings:
        values = finding.__dict__
        values["evidence"] = evidence.share(values["evidence"], _interned)
        remediation = values["remediation"]
        if remediation is not None:  # a policy's (an edited result's may differ: then it keeps its own)
            known = remediations.setdefault(values["policy_id"], remediation)
            if known is not remediation and known == remediation:
                values["remediation"] = known
        escalation = values["escalation"]
        if escalation is not None:
            values["escalation"] = escalations.setdefault((escalation.from_, escalation.note), escalation)


def _interned(value: Any) -> Any:
    """JSON data with its strings interned (keys included)."""
    if type(value) is str:
        return intern(value)
    if type(value) is dict:
        return {intern(key) if type(key) is str else key: _interned(item) for key, item in value.items()}
    if type(value) is list:
        return [_interned(item) for item in value]
    return value


class FixedFinding(Model):
    """A failure of the baseline that no longer fails, as the baseline saw it."""

    fingerprint: str
    policy_id: str
    resource_id: str
    resource_name: str
    severity: Severity
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    #: pass | skipped | waived | absent (the resource or the policy is not in this scan)
    now: str


class BaselineInfo(Model):
    source: str
    #: None: the history had no earlier scan (every failure is new).
    scanned_at: datetime | None
    new: int
    unchanged: int
    fixed: int
    #: Failures of the baseline that now could not be evaluated: neither fixed nor still failing.
    unknown: int
    fixed_findings: tuple[FixedFinding, ...] = ()


class PolicyRef(Model):
    """What a reporter needs to know about a policy that ran (rules in SARIF, help in HTML)."""

    id: str
    name: str
    title: str
    severity: Severity
    resource: tuple[str, ...]
    description: str
    rationale: str
    help_uri: str | None = None
    tags: tuple[str, ...] = ()
    parameters: dict[str, Any] = Field(default_factory=dict)
    source: str


class ToolInfo(Model):
    name: str = "aks-auditor"
    version: str


class CalendarMinor(Model):
    release_date: date | None = None
    #: End of community support; None while not announced.
    end_of_support: date | None = None
    #: End of long-term support; None when the minor has none.
    end_of_lts: date | None = None


class CalendarInfo(Model):
    """The release calendar a scan judged end-of-support dates with, and its dates per minor."""

    as_of: date
    source: str
    #: ``packaged``, ``demo``, or the file or URL given with --release-calendar.
    origin: str
    age_days: int
    max_age_days: int
    minors: dict[str, CalendarMinor] = Field(default_factory=dict)


class ScanInfo(Model):
    started_at: datetime
    finished_at: datetime
    #: The instant time-relative rules were judged at (the estate's collection time).
    evaluated_at: datetime | None = None
    source: str
    scope: Scope = Field(default_factory=Scope)
    coverage: Coverage = Field(default_factory=Coverage)
    fail_on: Severity | None = None
    calendar: CalendarInfo | None = None


class Summary(Model):
    total: int
    by_status: dict[Status, int]
    failed_by_severity: dict[Severity, int]
    resources: int

    @classmethod
    def of(cls, findings: tuple[Finding, ...]) -> Summary:
        by_status = dict.fromkeys(Status, 0)
        by_severity = dict.fromkeys(Severity, 0)
        for finding in findings:
            by_status[finding.status] += 1
            if finding.status is Status.FAIL:
                by_severity[finding.severity] += 1
        return cls(
            total=len(findings),
            by_status=by_status,
            failed_by_severity=by_severity,
            resources=len({normalize_id(finding.resource_id) for finding in findings}),
        )


class HistoryPoint(Model):
    """One scan of the history: when, and its failing findings by severity and its errors."""

    #: None: this scan (not recorded yet when the reports are written).
    scan_id: int | None
    started_at: datetime
    failed_by_severity: dict[Severity, int]
    errors: int = 0


class HistoryInfo(Model):
    """With --history: the store (password hidden) and the recent scans of the same scope and source,
    oldest first, this one last."""

    store: str
    trend: tuple[HistoryPoint, ...] = ()


class ReportTags(Model):
    """--report-tags: the tag names asked for, and each cluster's and fleet's values of them (by
    normalized resource id; a node pool shows its cluster's). Resources with none of them are absent."""

    names: tuple[str, ...]
    resources: dict[str, dict[str, str]] = Field(default_factory=dict)

    def of(self, resource_id: str) -> dict[str, str]:
        """The named tags of a resource, or of the cluster/fleet it belongs to."""
        key = normalize_id(resource_id)
        while key:
            if key in self.resources:
                return self.resources[key]
            key = key.rpartition("/")[0]
        return {}


class ResultShard(Model):
    """This result judges shard ``index`` of ``count`` of an estate (``scan --shard``; auditor/shard_scan.py):
    the resources of the subscriptions the shard owns, each judged with the whole estate as context.
    ``merge`` joins the results of every shard into the result of one scan."""

    index: int = Field(ge=0)
    count: int = Field(ge=1)
    partition_key: str
    #: Identity of the estate judged (its collection time, source, scope and size): every shard's is equal.
    estate: str
    #: Subscriptions of the scope this shard owns.
    subscriptions: int = Field(ge=0)
    #: Each judged resource's position in the estate's document order, and its number of findings (the
    #: findings are in that order): what puts the shards' findings back in one scan's order.
    positions: tuple[int, ...] = ()
    counts: tuple[int, ...] = ()
    #: Positions of this shard's clusters and fleets among the estate's (the order of ``clusters``,
    #: ``horizon`` and ``fleets``).
    clusters: tuple[int, ...] = ()
    fleets: tuple[int, ...] = ()


class ScanResult(Model):
    kind: Literal["ScanResult"] = "ScanResult"
    schema_version: str = RESULT_SCHEMA_VERSION
    tool: ToolInfo
    scan: ScanInfo
    policies: tuple[PolicyRef, ...]
    findings: tuple[Finding, ...]
    summary: Summary
    #: Per cluster: minor, end of support, days left, next maintenance windows (schema 2.1).
    horizon: tuple[ClusterHorizon, ...] = ()
    #: The comparison with --baseline: counts and the failures fixed since (schema 2.2).
    baseline: BaselineInfo | None = None
    #: With --waivers: how many applied, and the expired and stale ones (schema 2.2).
    waivers: WaiverReport | None = None
    #: With --history: the recent scans' failing counts, for the trend (schema 2.3).
    history: HistoryInfo | None = None
    #: With --report-tags: the named tags of each cluster and fleet (schema 2.3).
    report_tags: ReportTags | None = None
    #: Clusters per minor per region against the region's supported minors; node image ages (schema 2.3).
    landscape: Landscape | None = None
    #: Per cluster: version, tier, plan, channels, node pools, fleets (schema 2.3).
    clusters: tuple[ClusterCard, ...] = ()
    #: Per fleet: members with their hub status, placements per member cluster, update runs (schema 2.3).
    fleets: tuple[FleetCard, ...] = ()
    #: With --shard: which shard of which estate this result judges (schema 2.4).
    shard: ResultShard | None = None

    @property
    def complete(self) -> bool:
        """False when anything could not be collected or evaluated (exit 3 territory)."""
        return self.scan.coverage.complete and self.summary.by_status[Status.ERROR] == 0
