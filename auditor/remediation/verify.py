"""After applying: the findings the applied steps were meant to fix, judged again on a fresh collection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from auditor.findings import ScanResult, Status
from auditor.inventory.base import normalize_id
from auditor.remediation.apply import Outcome, StepResult
from auditor.remediation.plan import Step, Via


@dataclass(frozen=True)
class Change:
    policy_id: str
    resource_id: str
    after: Status | None  # None: the policy no longer reports on the resource

    @property
    def fixed(self) -> bool:
        return self.after in (Status.PASS, Status.SKIPPED, None)


def _scope(step: Step) -> set[str]:
    """Resources a step's findings can be about: its resource and cluster (fleet runs: every member)."""
    scope = {normalize_id(step.resource_id), normalize_id(step.cluster_id)}
    if step.via is Via.FLEET:
        scope |= {normalize_id(member) for member in step.from_.get("members", {})}
    return scope


def changes(results: Sequence[StepResult], after: ScanResult) -> list[Change]:
    """For each applied step and each policy it fixes: the status that policy reports now on the step's
    resources (a resource below a cluster, a pool, counts for that cluster's steps)."""
    found: dict[tuple[str, str], Change] = {}
    for result in results:
        if result.outcome is not Outcome.APPLIED:
            continue
        scope = _scope(result.step)
        for finding in after.findings:
            rid = normalize_id(finding.resource_id)
            within = any(rid == s or rid.startswith(s + "/") for s in scope)
            if finding.policy_id in result.step.policy_ids and within:
                key = (finding.policy_id, rid)
                previous = found.get(key)
                if previous is None or finding.status.rank < (previous.after or Status.PASS).rank:
                    found[key] = Change(finding.policy_id, finding.resource_id, finding.status)
    return sorted(found.values(), key=lambda c: (c.policy_id, c.resource_id.lower()))
