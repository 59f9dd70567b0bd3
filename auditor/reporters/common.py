"""Ordering, grouping and wording shared by the renderers, so every format tells the same story."""

from __future__ import annotations

import heapq
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import compress
from operator import attrgetter
from typing import Any
from urllib.parse import urlsplit

from auditor.findings import Finding, ListedWaiver, PolicyRef, ScanResult, Severity, Status
from auditor.horizon import ClusterHorizon
from auditor.timeutil import as_utc

#: Compact JSON for evidence values; built once (``json.dumps`` builds an encoder per call).
_EVIDENCE_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)

SortKey = tuple[int, int, str, str]
_POLICY_ID = attrgetter("policy_id")
_STATUS = attrgetter("status")
_SEVERITY_STATUS = attrgetter("severity", "status")


def finding_sort_key(finding: Finding) -> SortKey:
    """Failing first, then most severe, then by policy and resource (stable output)."""
    return (
        finding.status.rank,
        -finding.severity.rank,
        finding.policy_id,
        finding.resource_id.lower(),
    )


def _smallest(items: list[Finding], count: int, key: Callable[[Finding], Any]) -> list[Finding]:
    """``sorted(items, key=key)[:count]``: a heap when ``count`` is small against the input, a plain sort
    when it is not (a heap of thousands is slower than sorting)."""
    if count * 8 >= len(items):
        return sorted(items, key=key)[:count]
    return heapq.nsmallest(count, items, key=key)


def _resource_key(finding: Finding) -> str:
    return finding.resource_id.lower()


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """``sorted(findings, key=finding_sort_key)``, holding far fewer keys at once: the findings are put in
    buckets of status, severity and policy (a few hundred) and each bucket is sorted by resource on its
    own — one lower-cased id per finding of one bucket alive, not a key tuple and id for each of 160,000
    findings (~45 MB at 10,000 clusters). Both sorts are stable, so ties keep their order as in one sort.
    """
    buckets: dict[tuple[int, int, str], list[Finding]] = {}
    for finding in findings:
        key = (finding.status.rank, -finding.severity.rank, finding.policy_id)
        bucket = buckets.get(key)
        if bucket is None:
            buckets[key] = [finding]
        else:
            bucket.append(finding)
    ordered: list[Finding] = []
    for key in sorted(buckets):
        bucket = buckets.pop(key)
        bucket.sort(key=_resource_key)
        ordered.extend(bucket)
    return ordered


def _policy_then_resource(finding: Finding) -> tuple[str, str]:
    return (finding.policy_id, finding.resource_id.lower())


def _status_then_severity(cls: tuple[Severity, Status]) -> tuple[int, int]:
    severity, status = cls
    return (status.rank, -severity.rank)


def most_severe(
    findings: list[Finding],
    count: int,
    class_rank: Callable[[tuple[Severity, Status]], Any],
) -> list[Finding]:
    """The first ``count`` findings by the ``class_rank`` of their (severity, status), then policy id,
    then resource id (ignoring case); in no particular order: the caller sorts what it shows.

    Whole classes are taken as they are and only the class that straddles ``count`` is ranked, with
    C-level passes: at 200,000 findings a sort of everything costs more than the rest of a renderer.
    """
    if len(findings) <= count:
        return list(findings)
    classes = Counter(map(_SEVERITY_STATUS, findings))
    included: set[tuple[Severity, Status]] = set()
    straddling: list[Finding] = []
    room = count
    for cls in sorted(classes, key=class_rank):
        if classes[cls] > room:
            if room:
                wanted = {cls}.__contains__
                straddling = list(compress(findings, map(wanted, map(_SEVERITY_STATUS, findings))))
            break
        included.add(cls)
        room -= classes[cls]
    chosen = list(compress(findings, map(included.__contains__, map(_SEVERITY_STATUS, findings))))
    chosen.extend(_smallest(straddling, room, _policy_then_resource))
    return chosen


def first_findings(findings: list[Finding], count: int) -> list[Finding]:
    """``sorted(findings, key=finding_sort_key)[:count]`` without sorting all of them."""
    return sorted(most_severe(findings, count, _status_then_severity), key=finding_sort_key)


#: Fail or error: what a reader must act on (a waived finding was already accepted).
ACTIONABLE: frozenset[Status] = frozenset({Status.FAIL, Status.ERROR})


def _policy_index(result: ScanResult) -> dict[str, PolicyRef]:
    return {policy.id: policy for policy in result.policies}


def waiver_justification(finding: Finding) -> str:
    """Why a waived finding was accepted: its waiver's reason (a waived finding without one: the message)."""
    return finding.waiver.reason if finding.waiver is not None else finding.message


def waiver_text(finding: Finding) -> str:
    """The justification with the waiver's expiry and approver, for people reading a report."""
    waiver = finding.waiver
    if waiver is None:
        return waiver_justification(finding)
    approved = f", approved by {waiver.approved_by}" if waiver.approved_by else ""
    return f"{waiver.reason} (until {waiver.expires.isoformat()}{approved})"


def evidence_text(value: Any) -> str:
    """Evidence values as a reader sees them: strings verbatim, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return _EVIDENCE_ENCODER.encode(value)


#: Bidirectional-text controls (LRE…RLO, LRI…PDI, LRM/RLM/ALM): in a name or message they would reorder
#: what a reader sees (a "Trojan Source" spoof); the HTML report shows them made visible instead.
_BIDI = {
    code: f"[U+{code:04X}]"
    for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)
}


_HAS_BIDI = re.compile("[" + "".join(map(chr, _BIDI)) + "]")


def visible_controls(text: str) -> str:
    """``text`` with every bidirectional control replaced by its visible code point (``[U+202E]``)."""
    return text.translate(_BIDI) if _HAS_BIDI.search(text) else text  # a search is cheaper than translate


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

    @property
    def sort_key(self) -> tuple[int, int, int, str]:
        return (
            -self.counts[Status.FAIL],
            -self.policy.severity.rank,
            -self.counts[Status.ERROR],
            self.policy.id,
        )


def status_counts(findings: tuple[Finding, ...]) -> Counter[tuple[str, Status]]:
    """Findings per (policy id, status), counted with C-level iterators (one pass, no Python loop)."""
    return Counter(zip(map(_POLICY_ID, findings), map(_STATUS, findings), strict=True))


def policies_with_stand_ins(
    result: ScanResult, policy_ids: Iterable[str] | None = None
) -> dict[str, PolicyRef]:
    """``result.policies`` by id, in result order, then a stand-in for each policy only a finding names
    (a hand-edited or merged result). ``policy_ids``: the ids findings name, when the caller has them
    (default: read from every finding)."""
    policies = _policy_index(result)
    named = dict.fromkeys(map(_POLICY_ID, result.findings) if policy_ids is None else policy_ids)
    missing = {policy_id for policy_id in named if policy_id not in policies}
    if missing:
        firsts: dict[str, Finding] = {}
        for finding in result.findings:
            if finding.policy_id in missing:
                firsts.setdefault(finding.policy_id, finding)
        for policy_id in named:
            if policy_id in missing:
                policies[policy_id] = _stand_in_policy(firsts[policy_id])
    return policies


def policy_rows(result: ScanResult, counts: Counter[tuple[str, Status]] | None = None) -> list[PolicyRow]:
    """Every policy that ran (plus any referenced only by a finding), in result order, with its counts.

    ``counts`` (from :func:`status_counts`) saves a pass over the findings when the caller has them.
    """
    counts = status_counts(result.findings) if counts is None else counts
    rows = {
        policy_id: PolicyRow(policy, dict.fromkeys(Status, 0))
        for policy_id, policy in policies_with_stand_ins(result, (pid for pid, _ in counts)).items()
    }
    for (policy_id, status), count in counts.items():
        rows[policy_id].counts[status] = count
    return list(rows.values())


def _stand_in_policy(finding: Finding) -> PolicyRef:
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
    return as_utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


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


@dataclass(frozen=True)
class HorizonSummary:
    """How many clusters leave support when, with AKS-013's horizons (or 90/30 days when it did not run)."""

    warn_days: int
    urgent_days: int
    past: int
    urgent: int
    warning: int
    beyond: int
    unknown: int
    soonest: tuple[ClusterHorizon, ...]

    def text(self) -> str:
        total = self.past + self.urgent + self.warning + self.beyond + self.unknown
        counts = (
            f"{total} cluster{'s' if total != 1 else ''}: {self.past} past end of support, "
            f"{self.urgent} within {self.urgent_days} days, {self.warning} within {self.warn_days} days, "
            f"{self.beyond} beyond" + (f", {self.unknown} unknown" if self.unknown else "")
        )
        if not self.soonest:
            return counts
        first = self.soonest[0]
        return f"{counts}; soonest: {first.name} {first.minor} {support_end_text(first)}"


def support_end_text(horizon: ClusterHorizon) -> str:
    """``ends 2026-12-15 (25 days)`` / ``ended 2025-11-30 (355 days ago)`` / why it is unknown."""
    if horizon.end_of_support is None or horizon.days_left is None:
        return f"end of support unknown: {horizon.unknown}"
    if horizon.days_left < 0:
        return f"ended {horizon.end_of_support} ({-horizon.days_left} days ago)"
    return f"ends {horizon.end_of_support} ({horizon.days_left} days)"


def horizon_summary(result: ScanResult, soonest: int = 5) -> HorizonSummary | None:
    if not result.horizon:
        return None
    params = _policy_index(result).get("AKS-013")
    warn = int((params.parameters if params else {}).get("warn_days", 90))
    urgent = int((params.parameters if params else {}).get("urgent_days", 30))
    known = sorted((h for h in result.horizon if h.days_left is not None), key=lambda h: h.days_left or 0)
    days = [h.days_left for h in known if h.days_left is not None]
    return HorizonSummary(
        warn_days=warn,
        urgent_days=urgent,
        past=sum(1 for d in days if d < 0),
        urgent=sum(1 for d in days if 0 <= d <= urgent),
        warning=sum(1 for d in days if urgent < d <= warn),
        beyond=sum(1 for d in days if d > warn),
        unknown=len(result.horizon) - len(known),
        soonest=tuple(h for h in known if (h.days_left or 0) <= warn)[:soonest],
    )


def calendar_text(result: ScanResult) -> str | None:
    calendar = result.scan.calendar
    if calendar is None:
        return None
    return f"{calendar.origin}, as of {calendar.as_of} ({calendar.age_days} days old at the scan time)"


def baseline_text(result: ScanResult) -> str | None:
    """``3 new, 40 unchanged, 2 fixed since BASELINE (scanned …)``, or None without a baseline."""
    baseline = result.baseline
    if baseline is None:
        return None
    unknown = f", {baseline.unknown} not evaluated now" if baseline.unknown else ""
    when = f"scanned {utc_timestamp(baseline.scanned_at)}" if baseline.scanned_at else "no earlier scan"
    return (
        f"{baseline.new} new, {baseline.unchanged} unchanged, {baseline.fixed} fixed{unknown} since "
        f"{baseline.source} ({when})"
    )


def waiver_notices(result: ScanResult) -> list[str]:
    """One line per expired and per stale waiver, for every format to list."""
    report = result.waivers
    if report is None:
        return []

    def owner(item: ListedWaiver) -> str:
        return f", approved by {item.approved_by}" if item.approved_by else ""

    expired = [
        f"expired {item.expires.isoformat()}: {item.waiver} — {item.reason}{owner(item)} (no longer waives)"
        for item in report.expired
    ]
    stale = [
        f"stale (matched nothing): {item.waiver} — {item.reason}{owner(item)}, "
        f"until {item.expires.isoformat()}"
        for item in report.stale
    ]
    return expired + stale
