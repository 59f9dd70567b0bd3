"""JUnit XML for CI test tabs: one testsuite per policy, one testcase per finding.

``fail`` -> ``<failure type=severity>``, ``error`` -> ``<error>``, ``skipped`` and ``waived`` ->
``<skipped>``; ``pass`` is a bare testcase. Built with ElementTree so every value is escaped; characters
XML 1.0 cannot carry at all (most control characters) are replaced.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from auditor.findings import Finding, PolicyRef, ScanResult, Status
from auditor.reporters.common import (
    PolicyRow,
    escalated_from,
    policy_index,
    policy_rows,
    safe_url,
    waiver_justification,
)

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def render_junit(result: ScanResult) -> str:
    """The JUnit XML document (with declaration) as text."""
    rows = policy_rows(result)
    policies = policy_index(result)
    root = ET.Element("testsuites", name=_clean(f"{result.tool.name} ({result.scan.source})"))
    _set_counts(root, [finding for row in rows for finding in row.findings])
    root.set("timestamp", result.scan.started_at.isoformat())
    for row in rows:
        root.append(_suite(row, policies))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _set_counts(element: ET.Element, findings: list[Finding]) -> None:
    def count(*statuses: Status) -> str:
        return str(sum(1 for finding in findings if finding.status in statuses))

    element.set("tests", str(len(findings)))
    element.set("failures", count(Status.FAIL))
    element.set("errors", count(Status.ERROR))
    element.set("skipped", count(Status.SKIPPED, Status.WAIVED))
    element.set("time", "0")


def _suite(row: PolicyRow, policies: dict[str, PolicyRef]) -> ET.Element:
    policy = row.policy
    suite = ET.Element("testsuite", name=_clean(f"{policy.id} {policy.title}"))
    _set_counts(suite, row.findings)
    properties = ET.SubElement(suite, "properties")
    values = {
        "policy.id": policy.id,
        "policy.severity": policy.severity.value,
        "policy.helpUri": safe_url(policy.help_uri),
    }
    for name, value in values.items():
        if value:
            ET.SubElement(properties, "property", name=name, value=_clean(value))
    for finding in row.findings:
        suite.append(_case(finding, policies))
    return suite


def _case(finding: Finding, policies: dict[str, PolicyRef]) -> ET.Element:
    case = ET.Element(
        "testcase",
        classname=_clean(finding.policy_id),
        name=_clean(f"{finding.resource_name} ({finding.resource_id})"),
        time="0",
    )
    message = _clean(finding.message)
    match finding.status:
        case Status.FAIL:
            failure = ET.SubElement(case, "failure", message=message, type=finding.severity.value)
            failure.text = _clean(_details(finding, policies))
        case Status.ERROR:
            error = ET.SubElement(case, "error", message=message, type="not-evaluated")
            error.text = _clean(_details(finding, policies))
        case Status.WAIVED:
            ET.SubElement(case, "skipped", message=_clean(f"waived: {waiver_justification(finding)}"))
        case Status.SKIPPED:
            ET.SubElement(case, "skipped", message=message)
        case Status.PASS:
            pass
    return case


def _details(finding: Finding, policies: dict[str, PolicyRef]) -> str:
    escalated = escalated_from(finding, policies)
    severity = finding.severity.value + (f" (escalated from {escalated.value})" if escalated else "")
    lines = [
        finding.message,
        f"severity: {severity}",
        f"resource: {finding.resource_id}",
        f"kind: {finding.resource_kind}",
    ]
    if finding.subscription_id:
        lines.append(f"subscription: {finding.subscription_name or ''} {finding.subscription_id}".strip())
    lines.extend(
        f"evidence.{key}: {json.dumps(value, default=str)}" for key, value in finding.evidence.items()
    )
    if finding.remediation and finding.remediation.guidance:
        lines.append(f"remediation: {finding.remediation.guidance}")
    return "\n".join(lines)
