"""Evaluate configured policies over an Estate: one converted input per resource, every policy on it.

Order per (policy, resource): ``when`` (false -> skipped), ``requires`` (false -> error with its
reason), ``check`` (true -> pass, false -> fail), then ``evidence``, ``escalate`` and the message.
Anything that does not evaluate to a boolean is an ``error`` finding with the engine's reason; one
failing evaluation never stops the scan and never reads as a pass.

Each policy first runs as one combined program (see compiler.py); when that yields an engine error,
the per-field programs run one by one to find out which step failed and why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from auditor.findings import Finding, SharedEvidence, Status, fingerprint
from auditor.gcpause import collector_paused
from auditor.inventory import Estate
from auditor.policies.compiler import CompiledEscalation, CompiledPolicy, compile_policy, policy_ref
from auditor.policies.documents import KIND_VARIABLES, Gap, ResourceDocument, iter_documents
from auditor.policies.engine import Activation, Environment, EvalFailure, Program
from auditor.policies.loader import ConfiguredPolicy
from auditor.policies.model import ResourceKind
from auditor.policies.order import Judged
from auditor.release_calendar import ReleaseCalendar

#: Which resources a scan judges (a shard's: auditor/shard.py ``owns_document``).
Owns = Callable[[ResourceDocument | Gap], bool]


class Evaluator:
    """Compiled policies grouped by resource kind, bound to one scan time and one release calendar."""

    def __init__(
        self,
        policies: Sequence[ConfiguredPolicy],
        now: datetime,
        calendar: ReleaseCalendar | None = None,
    ) -> None:
        self.now = now
        self.environments = {kind: Environment(KIND_VARIABLES[kind], now, calendar) for kind in ResourceKind}
        self.by_kind: dict[ResourceKind, list[CompiledPolicy]] = defaultdict(list)
        self.refs = tuple(policy_ref(p) for p in policies)
        for configured in policies:
            for kind in configured.spec.resource:
                self.by_kind[kind].append(compile_policy(configured, self.environments[kind], kind))

    def evaluate(self, estate: Estate) -> tuple[Finding, ...]:
        return tuple(self.judge(estate).findings)

    def judge(self, estate: Estate, owns: Owns | None = None) -> Judged:
        """Every resource's findings (``owns``: only of the resources it accepts — a shard's)."""
        with collector_paused():  # hundreds of thousands of acyclic objects are created here
            return self.evaluate_part(estate, _every, owns)

    def evaluate_part(self, estate: Estate, keep: Callable[[int], bool], owns: Owns | None = None) -> Judged:
        """The findings of the resources ``owns`` accepts (all when None) whose ordinal among those
        ``keep`` accepts — a worker's share of a scan (auditor/policies/parallel.py) — with each judged
        resource's position in iter_documents order and how many findings it produced. Equal evidence is
        held once (SharedEvidence; a worker's then travels once too: marshal writes a shared object once)."""
        evidence = SharedEvidence()
        findings: list[Finding] = []
        positions: list[int] = []
        counts: list[int] = []
        ordinal = -1
        for position, item in enumerate(iter_documents(estate)):
            if owns is not None and not owns(item):
                continue
            ordinal += 1
            if not keep(ordinal):
                continue
            before = len(findings)
            policies = self.by_kind.get(item.kind)
            if not policies:
                pass
            elif isinstance(item, Gap):
                findings.extend(_gap_finding(policy, item) for policy in policies)
            else:
                activation = self.environments[item.kind].activation(item.document)
                findings.extend(evaluate_policy(policy, item, activation) for policy in policies)
            for finding in findings[before:]:
                values = finding.__dict__
                values["evidence"] = evidence.share(values["evidence"])
            positions.append(position)
            counts.append(len(findings) - before)
        return Judged(findings, positions, counts)


def _every(_position: int) -> bool:
    return True


def _finding(
    policy: CompiledPolicy,
    view: ResourceDocument | Gap,
    status: Status,
    message: str,
    evidence: dict[str, Any],
    escalation: CompiledEscalation | None = None,
) -> Finding:
    spec = policy.spec
    if isinstance(view, Gap):
        rid, name, sub_id, sub_name = view.container_id, view.container_name, view.subscription_id, None
    else:
        rid, name, sub_id, sub_name = view.id, view.name, view.subscription_id, view.subscription_name
    return Finding.trusted(
        {
            "policy_id": spec.id,
            "title": spec.title,
            "severity": escalation.severity if escalation else spec.severity,
            "status": status,
            "resource_kind": view.kind.value,
            "resource_id": rid,
            "resource_name": name,
            "subscription_id": sub_id,
            "subscription_name": sub_name,
            "location": view.location,
            "message": message,
            "evidence": evidence,
            "fingerprint": fingerprint(spec.id, view.key),
            "remediation": policy.remediation if status is Status.FAIL else None,
            "escalation": escalation.finding if escalation else None,
            "waiver": None,
            "baseline_state": None,
            "first_seen": None,
        }
    )


def _gap_finding(policy: CompiledPolicy, gap: Gap) -> Finding:
    message = f"{policy.spec.title}: not evaluated: {gap.reason}"
    return _finding(policy, gap, Status.ERROR, message, {"reason": gap.reason})


def evaluate_policy(policy: CompiledPolicy, view: ResourceDocument, activation: Activation) -> Finding:
    """One policy on one resource: the combined program, or the step-by-step path when it errors."""
    if policy.combined is None:
        return _evaluate_steps(policy, view, activation)
    outcome = policy.combined.evaluate(activation)
    if isinstance(outcome, EvalFailure):
        return _evaluate_steps(policy, view, activation)
    variables: dict[str, Any] = dict(view.document)
    variables["params"] = policy.params
    status = outcome["s"]
    if status == "skipped":
        text = policy.skip_message.render(variables) if policy.skip_message else "not applicable"
        return _finding(policy, view, Status.SKIPPED, text, {})
    if status == "requires":
        reason = policy.requires[outcome["i"]].reason.render(variables)
        return _finding(policy, view, Status.ERROR, f"{policy.spec.title}: cannot judge: {reason}", {})
    values = outcome["e"]
    evidence = {name: values[name] for name, _ in policy.evidence}  # in the policy's order
    variables["evidence"] = evidence
    if status == "pass":
        return _finding(policy, view, Status.PASS, _pass_text(policy, variables), evidence)
    escalation = _strongest(policy, (policy.escalate[index] for index in outcome["x"]))
    return _finding(policy, view, Status.FAIL, policy.message.render(variables), evidence, escalation)


def _pass_text(policy: CompiledPolicy, variables: dict[str, Any]) -> str:
    return policy.pass_message.render(variables) if policy.pass_message else f"{policy.spec.title}: compliant"


def _evaluate_steps(policy: CompiledPolicy, view: ResourceDocument, activation: Activation) -> Finding:
    spec = policy.spec
    variables: dict[str, Any] = dict(view.document)
    variables["params"] = policy.params
    if policy.when is not None:
        applicable = policy.when.evaluate_bool(activation)
        if isinstance(applicable, EvalFailure):
            message = f"{spec.title}: applicability could not be evaluated: {applicable.reason}"
            return _finding(policy, view, Status.ERROR, message, {})
        if not applicable:
            text = policy.skip_message.render(variables) if policy.skip_message else "not applicable"
            return _finding(policy, view, Status.SKIPPED, text, {})
    for requirement in policy.requires:
        present = requirement.program.evaluate_bool(activation)
        if present is not True:
            detail = f" ({present.reason})" if isinstance(present, EvalFailure) else ""
            message = f"{spec.title}: cannot judge: {requirement.reason.render(variables)}{detail}"
            return _finding(policy, view, Status.ERROR, message, {})
    verdict = policy.check.evaluate_bool(activation)
    evidence = _evidence(policy.evidence, activation)
    variables["evidence"] = evidence
    if isinstance(verdict, EvalFailure):
        message = f"{spec.title}: check could not be evaluated: {verdict.reason}"
        return _finding(policy, view, Status.ERROR, message, evidence)
    if verdict:
        return _finding(policy, view, Status.PASS, _pass_text(policy, variables), evidence)
    applying = (e for e in policy.escalate if e.program.evaluate_bool(activation) is True)
    escalation = _strongest(policy, applying)
    return _finding(policy, view, Status.FAIL, policy.message.render(variables), evidence, escalation)


def _strongest(policy: CompiledPolicy, applying: Iterable[CompiledEscalation]) -> CompiledEscalation | None:
    """The first applying escalation of the highest severity above the policy's own, or None."""
    chosen: CompiledEscalation | None = None
    for escalation in applying:
        if escalation.severity.rank > (chosen.severity if chosen else policy.spec.severity).rank:
            chosen = escalation
    return chosen


def _evidence(programs: Iterable[tuple[str, Program]], activation: Activation) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, program in programs:
        value = program.evaluate(activation)
        result[name] = {"unavailable": value.reason} if isinstance(value, EvalFailure) else value
    return result
