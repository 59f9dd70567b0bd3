"""Judging applied steps again: the worst status now, and "no finding" is never read as fixed."""

from __future__ import annotations

from auditor.findings import ScanResult, Status
from auditor.inventory import Estate
from auditor.remediation.apply import Outcome, StepResult
from auditor.remediation.plan import Action, Step
from auditor.remediation.verify import changes


def test_a_step_whose_finding_is_missing_afterwards_is_unknown_not_fixed(
    demo: tuple[Estate, ScanResult],
) -> None:
    result = demo[1]
    failing = next(f for f in result.findings if f.policy_id == "AKS-007" and f.status is Status.FAIL)
    applied = [
        StepResult(
            Step(
                id=f"s-{policy}",
                cluster_id=failing.resource_id,
                resource_id=failing.resource_id,
                action=Action.SET_NODE_OS_UPGRADE_CHANNEL,
                policy_ids=(policy,),
                from_={},
                to={},
                reason="r",
            ),
            Outcome.APPLIED,
        )
        for policy in ("AKS-007", "CUSTOM-404")
    ]
    found = {(c.policy_id, c.after, c.fixed) for c in changes(applied, result)}
    assert found == {("AKS-007", Status.FAIL, False), ("CUSTOM-404", None, False)}
