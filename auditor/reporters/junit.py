"""JUnit XML for CI test tabs: one testsuite per policy, one testcase per finding.

``fail`` -> ``<failure type=severity>``, ``error`` -> ``<error>``, ``skipped`` and ``waived`` ->
``<skipped>``; ``pass`` is a bare testcase. Within a suite the failures come first, then errors,
waived, skipped and passing cases, each in result order (no sort: CI tabs order cases themselves).

Serialized by ElementTree 1,000 test cases at a time (the root and suite elements are written around
them), so only that many elements are alive at once: a suite of 50,000 cases as elements was ~130 MB
held at 10,000 clusters (benchmarks/results/scale.md). ElementTree escapes the XML specials; characters
XML 1.0 cannot carry at all (most control characters, lone surrogates) are replaced first, since ElementTree
would write them and the document would not parse. ASCII output (everything beyond as character
references) keeps a large document at one byte per character.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from json.encoder import encode_basestring_ascii

from auditor.findings import STATUS_ORDER, Finding, PolicyRef, ScanResult, Status
from auditor.gcpause import collector_paused
from auditor.reporters.common import policies_with_stand_ins, safe_url, waiver_justification, waiver_notices

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: ``json.dumps(value, default=str)`` without building an encoder per call.
_EVIDENCE_ENCODER = json.JSONEncoder(default=str)
_ENCODING = "us-ascii"  # with "xmlcharrefreplace": everything beyond ASCII as character references
_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"  # ASCII is UTF-8: say the usual
#: Elements of a suite serialized at a time.
_CHUNK = 1_000


def _clean(text: str) -> str:
    """``text`` with every character XML 1.0 cannot carry replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text) if _NOT_XML.search(text) else text


def render_junit(result: ScanResult) -> Iterator[bytes]:
    """The JUnit XML document (with declaration) as chunks, one test suite at a time."""
    with collector_paused():
        yield from _document(result)


def _document(result: ScanResult) -> Iterator[bytes]:
    # One pass: findings per policy (result order, then any policy only a finding names) and per status.
    policies = policies_with_stand_ins(result)
    suites: dict[str, dict[Status, list[Finding]]] = {
        policy_id: {status: [] for status in STATUS_ORDER} for policy_id in policies
    }
    for finding in result.findings:
        suites[finding.policy_id][finding.status].append(finding)
    totals = dict.fromkeys(STATUS_ORDER, 0)
    for suite in suites.values():
        for status, findings in suite.items():
            totals[status] += len(findings)
    notices = waiver_notices(result)
    counts = _counts(totals)
    if notices:  # the waiver suite below: one skipped case per expired or stale waiver
        counts["tests"] = str(int(counts["tests"]) + len(notices))
        counts["skipped"] = str(int(counts["skipped"]) + len(notices))
    root = ET.Element(
        "testsuites",
        {
            "name": f"{result.tool.name} ({result.scan.source})",
            **counts,
            "timestamp": result.scan.started_at.isoformat(),
        },
    )
    empty = _clean(ET.tostring(root, encoding="unicode"))
    if not suites:
        yield (_DECLARATION + empty + "\n").encode(_ENCODING, "xmlcharrefreplace")
        return
    yield (_DECLARATION + empty.removesuffix(" />") + ">").encode(_ENCODING, "xmlcharrefreplace")
    for policy_id, suite in suites.items():
        for text in _suite(policies[policy_id], suite):
            # Cleaned once per chunk, after serializing: one regex pass over the text, not one per value.
            yield _clean(text).encode(_ENCODING, "xmlcharrefreplace")
    if notices:
        element = _waiver_suite(notices)
        ET.indent(element, space="  ", level=1)
        text = _clean(ET.tostring(element, encoding="unicode"))
        yield b"\n  " + text.encode(_ENCODING, "xmlcharrefreplace").rstrip(b"\n")
    yield b"\n</testsuites>\n"


def _waiver_suite(notices: list[str]) -> ET.Element:
    """Expired and stale waivers, so a CI test view lists them too."""
    zero = {"failures": "0", "errors": "0"}
    suite = ET.Element(
        "testsuite",
        {"name": "aks-auditor waivers", "tests": str(len(notices)), "skipped": str(len(notices))} | zero,
    )
    for notice in notices:
        case = ET.SubElement(suite, "testcase", {"name": notice.split(":", 1)[0], "classname": "waivers"})
        ET.SubElement(case, "skipped", {"message": notice})
    return suite


def _counts(counts: dict[Status, int]) -> dict[str, str]:
    skipped = counts[Status.SKIPPED] + counts[Status.WAIVED]
    return {
        "tests": str(sum(counts.values())),
        "failures": str(counts[Status.FAIL]),
        "errors": str(counts[Status.ERROR]),
        "skipped": str(skipped),
        "time": "0",
    }


def _suite(policy: PolicyRef, findings: dict[Status, list[Finding]]) -> Iterator[str]:
    """One ``<testsuite>`` (failures first, then errors, waived, skipped and passes, each in result order)
    as text, its children ``_CHUNK`` at a time: the text ElementTree writes for the whole suite, without
    holding a suite of 50,000 cases as elements at once."""
    suite = ET.Element(
        "testsuite",
        {
            "name": f"{policy.id} {policy.title}",
            **_counts({status: len(items) for status, items in findings.items()}),
        },
    )
    head = "\n  " + ET.tostring(suite, encoding="unicode").removesuffix(" />") + ">"
    properties = ET.Element("properties")
    values = {
        "policy.id": policy.id,
        "policy.severity": policy.severity.value,
        "policy.helpUri": safe_url(policy.help_uri),
    }
    for name, value in values.items():
        if value:
            ET.SubElement(properties, "property", {"name": name, "value": value})
    classname = policy.id
    cases = (_case(classname, finding) for items in findings.values() for finding in items)
    chunk = [properties]
    for case in cases:
        chunk.append(case)
        if len(chunk) == _CHUNK:
            yield head + _children(chunk)
            head, chunk = "", []
    yield head + _children(chunk) + "\n  </testsuite>"


def _children(elements: list[ET.Element]) -> str:
    """Elements of a suite as ElementTree indents them inside it: each on its own line, 4 spaces in."""
    if not elements:
        return ""
    holder = ET.Element("x")
    holder.extend(elements)
    ET.indent(holder, space="  ", level=1)
    return ET.tostring(holder, encoding="unicode").removeprefix("<x>").removesuffix("\n  </x>")


def _case(classname: str, finding: Finding) -> ET.Element:
    case = ET.Element(
        "testcase",
        {"classname": classname, "name": f"{finding.resource_name} ({finding.resource_id})", "time": "0"},
    )
    if finding.status is not Status.PASS:
        _outcome(case, finding)
    return case


def _outcome(case: ET.Element, finding: Finding) -> None:
    """Add the ``<failure>``, ``<error>`` or ``<skipped>`` element of a finding that did not pass."""
    match finding.status:
        case Status.FAIL:
            attributes = {"message": finding.message, "type": finding.severity.value}
            ET.SubElement(case, "failure", attributes).text = _details(finding)
        case Status.ERROR:
            attributes = {"message": finding.message, "type": "not-evaluated"}
            ET.SubElement(case, "error", attributes).text = _details(finding)
        case Status.WAIVED:
            ET.SubElement(case, "skipped", {"message": f"waived: {waiver_justification(finding)}"})
        case _:
            ET.SubElement(case, "skipped", {"message": finding.message})


def _json(value: object) -> str:
    """``json.dumps(value, default=str)``; strings (most evidence) straight to the C escaper."""
    if type(value) is str:
        return encode_basestring_ascii(value)
    return _EVIDENCE_ENCODER.encode(value)


def _details(finding: Finding) -> str:
    """The failure text: message, severity (and what it was escalated from), resource, evidence, fix."""
    severity = f"severity: {finding.severity.value}"
    if finding.escalation is not None:
        severity += f" (escalated from {finding.escalation.from_.value}: {finding.escalation.note})"
    lines = [
        finding.message,
        severity,
        f"resource: {finding.resource_id}",
        f"kind: {finding.resource_kind}",
    ]
    if finding.subscription_id:
        lines.append(f"subscription: {finding.subscription_name or ''} {finding.subscription_id}".strip())
    lines.extend(f"evidence.{key}: {_json(value)}" for key, value in finding.evidence.items())
    if finding.remediation and finding.remediation.guidance:
        lines.append(f"remediation: {finding.remediation.guidance}")
    return "\n".join(lines)
