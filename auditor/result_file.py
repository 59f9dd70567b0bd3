"""Read a saved ScanResult (the JSON report), of this schema version or of an older one we understand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.findings import RESULT_SCHEMA_VERSION, ScanResult, compact
from auditor.gcpause import collector_paused
from auditor.inventory.snapshot import load_document


@collector_paused()  # walks every finding: no full collection of them meanwhile
def load_result(path: Path) -> ScanResult:
    """The result in ``path``; 1.x results are upgraded to the current shape (see :func:`upgrade_from_1`).
    Its findings are compacted (``merge`` holds every shard's at once)."""
    result = load_document(path, ScanResult, "ScanResult", RESULT_SCHEMA_VERSION, upgrade_from_1)
    compact(result.findings)
    return result


def upgrade_from_1(raw: dict[str, Any]) -> dict[str, Any]:
    """1.x -> 2.0: the notes 1.x kept inside a finding's ``evidence`` become typed fields.

    ``evidence.waiver`` ({reason, expires, approvedBy}) of a waived finding becomes ``waiver``;
    ``evidence.escalation`` (the note) of a failing finding whose severity is not its policy's becomes
    ``escalation`` {from: the policy's severity, note}. A key the finding's status does not explain (a
    policy's own evidence named so) stays in the evidence.
    """
    policies = raw.get("policies")
    defaults = {
        policy.get("id"): policy.get("severity")
        for policy in (policies if isinstance(policies, list) else [])
        if isinstance(policy, dict)
    }
    findings = raw.get("findings")
    if not isinstance(findings, list):
        return raw | {"schemaVersion": RESULT_SCHEMA_VERSION}
    return raw | {
        "schemaVersion": RESULT_SCHEMA_VERSION,
        "findings": [_finding_from_1(item, defaults) for item in findings],
    }


def _finding_from_1(item: Any, defaults: dict[Any, Any]) -> Any:
    if not isinstance(item, dict) or not isinstance(item.get("evidence"), dict):
        return item
    finding = dict(item)
    evidence = dict(item["evidence"])
    waiver = evidence.get("waiver")
    if finding.get("status") == "waived" and isinstance(waiver, dict):
        del evidence["waiver"]
        finding["waiver"] = {
            "reason": waiver.get("reason") or waiver.get("justification"),
            "expires": waiver.get("expires"),
            "approvedBy": waiver.get("approvedBy"),
        }
    note = evidence.get("escalation")
    default = defaults.get(finding.get("policyId"))
    if (
        finding.get("status") == "fail"
        and isinstance(note, str)
        and default not in (None, finding.get("severity"))
    ):
        del evidence["escalation"]
        finding["escalation"] = {"from": default, "note": note}
    finding["evidence"] = evidence
    return finding
