"""Findings between our own processes: a forked evaluation worker's answer to the scanning process.

A worker's findings were built by the evaluator (every value already of its declared type), so they travel
as ``marshal`` rows of plain values and are rebuilt with ``Finding.trusted`` instead of being validated
from JSON again. marshal sends an object the rows share once (a policy's title, a resource's id) and
interns again what the worker had interned (evidence strings), so the receiving process holds them as
compactly as the worker did. Measured at 500 clusters (benchmarks/results/scale.md): pydantic's JSON held
2,466 B a finding on arrival and took ~17 µs to validate; these rows hold 1,056 B (what the evaluator's
own findings hold; 866 B since equal evidence is one map) and take ~2 µs. Both ends are the same
interpreter (a fork), so marshal's format is theirs alike.

The remediations and escalations of the findings travel once each, as JSON validated here. What is
checked on arrival is the answer's shape (a truncated or foreign message is a ValueError: the caller's
coverage gap); evidence the rows cannot carry (never produced by the evaluator, whose evidence is JSON
data) makes the worker answer in validated JSON instead.
"""

from __future__ import annotations

import marshal
from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter

from auditor.findings import Escalation, Finding, Remediation, Severity, Status, compact

_ROWS, _JSON = b"M", b"J"
_FINDINGS = TypeAdapter(list[Finding])
_REMEDIATIONS = TypeAdapter(list[Remediation])
_ESCALATIONS = TypeAdapter(list[Escalation])
_SEVERITY = {severity.value: severity for severity in Severity}
_STATUS = {status.value: status for status in Status}


class _Shared:
    """Distinct objects (by identity) in first-seen order: each is sent once, rows carry its index."""

    def __init__(self) -> None:
        self.index: dict[int, int] = {}
        self.objects: list[Any] = []

    def of(self, value: object | None) -> int | None:
        if value is None:
            return None
        key = id(value)
        if key not in self.index:
            self.index[key] = len(self.objects)
            self.objects.append(value)
        return self.index[key]


def pack(findings: Sequence[Finding]) -> bytes:
    """The evaluator's findings (no waiver, baseline state or first-seen date yet) as one message."""
    remediations, escalations = _Shared(), _Shared()
    rows = []
    for finding in findings:
        values = finding.__dict__
        if not (values["waiver"] is values["baseline_state"] is values["first_seen"] is None):
            raise ValueError(f"{finding.fingerprint}: a finding is sent before waivers and baselines apply")
        rows.append(
            (
                values["policy_id"],
                values["title"],
                values["severity"].value,
                values["status"].value,
                values["resource_kind"],
                values["resource_id"],
                values["resource_name"],
                values["subscription_id"],
                values["subscription_name"],
                values["location"],
                values["message"],
                values["evidence"],
                values["fingerprint"],
                remediations.of(values["remediation"]),
                escalations.of(values["escalation"]),
            )
        )
    try:
        body = marshal.dumps(
            (
                _REMEDIATIONS.dump_json(remediations.objects),
                _ESCALATIONS.dump_json(escalations.objects),
                rows,
            )
        )
    except ValueError:  # evidence of a type marshal does not carry: validated JSON, slower but exact
        return _JSON + _FINDINGS.dump_json(list(findings))
    return _ROWS + body


def unpack(message: bytes) -> list[Finding]:
    """The findings of a :func:`pack` message; ValueError when it is not one."""
    kind = message[:1]
    if kind == _JSON:
        findings = _FINDINGS.validate_json(message[1:])  # a ValidationError is a ValueError
        compact(findings)
        return findings
    if kind != _ROWS:
        raise ValueError(f"not a findings message (starts with {bytes(kind)!r})")
    try:
        # Only our own forked worker writes to the pipe this message came through.
        remediation_json, escalation_json, rows = marshal.loads(memoryview(message)[1:])  # noqa: S302
        remediations = _REMEDIATIONS.validate_json(remediation_json)
        escalations = _ESCALATIONS.validate_json(escalation_json)
        return [_finding(row, remediations, escalations) for row in rows]
    except (EOFError, TypeError, KeyError, IndexError) as error:
        raise ValueError(
            f"a findings message that does not decode: {type(error).__name__}: {error}"
        ) from None


def _finding(row: Any, remediations: list[Remediation], escalations: list[Escalation]) -> Finding:
    (
        policy_id,
        title,
        severity,
        status,
        kind,
        resource_id,
        resource_name,
        subscription_id,
        subscription_name,
        location,
        message,
        evidence,
        fingerprint,
        remediation,
        escalation,
    ) = row
    return Finding.trusted(
        {
            "policy_id": policy_id,
            "title": title,
            "severity": _SEVERITY[severity],
            "status": _STATUS[status],
            "resource_kind": kind,
            "resource_id": resource_id,
            "resource_name": resource_name,
            "subscription_id": subscription_id,
            "subscription_name": subscription_name,
            "location": location,
            "message": message,
            "evidence": evidence,
            "fingerprint": fingerprint,
            "remediation": None if remediation is None else remediations[remediation],
            "escalation": None if escalation is None else escalations[escalation],
            "waiver": None,
            "baseline_state": None,
            "first_seen": None,
        }
    )
