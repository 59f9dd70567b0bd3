"""After applying: the findings the applied steps were meant to fix, judged again on a fresh collection."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from auditor.findings import Finding, ScanResult, Status
from auditor.inventory.base import normalize_id
from auditor.remediation.apply import Outcome, StepResult
from auditor.remediation.plan import Step, Via


@dataclass(frozen=True)
class Change:
    policy_id: str
    resource_id: str
    after: Status | None  # None: no finding of the policy on the step's resources (not collected?)

    @property
    def fixed(self) -> bool:
        """Judged again and passing (or no longer applicable); no finding at all is not a fix."""
        return self.after in (Status.PASS, Status.SKIPPED)


def _scope(step: Step) -> set[str]:
    """Resources a step's findings can be about: its resource and cluster (fleet runs: every member)."""
    scope = {normalize_id(step.resource_id), normalize_id(step.cluster_id)}
    if step.via is Via.FLEET:
        scope |= {normalize_id(member) for member in step.from_.get("members", {})}
    return scope


def changes(results: Sequence[StepResult], after: ScanResult) -> list[Change]:
    """For each applied step and each policy it fixes: the worst status that policy reports now on the
    step's resources (a pool counts for its cluster's steps), or ``None`` when it reports nothing there."""
    by_policy: dict[str, list[tuple[str, Finding]]] = defaultdict(list)
    for finding in after.findings:
        by_policy[finding.policy_id].append((normalize_id(finding.resource_id), finding))
    found: dict[tuple[str, str], Change] = {}
    for result in results:
        if result.outcome is not Outcome.APPLIED:
            continue
        scope = _scope(result.step)
        for policy_id in result.step.policy_ids:
            matched = False
            for rid, finding in by_policy.get(policy_id, ()):
                if not any(rid == s or rid.startswith(s + "/") for s in scope):
                    continue
                matched = True
                previous = found.get((policy_id, rid))
                if previous is None or finding.status.rank < (previous.after or Status.PASS).rank:
                    found[(policy_id, rid)] = Change(policy_id, finding.resource_id, finding.status)
            if not matched:
                key = (policy_id, normalize_id(result.step.resource_id))
                found.setdefault(key, Change(policy_id, result.step.resource_id, None))
    return sorted(found.values(), key=lambda c: (c.policy_id, c.resource_id.lower()))
