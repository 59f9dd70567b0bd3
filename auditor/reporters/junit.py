"""JUnit XML for CI test tabs: one testsuite per policy, one testcase per finding.

``fail`` -> ``<failure type=severity>``, ``error`` -> ``<error>``, ``skipped`` and ``waived`` ->
``<skipped>``; ``pass`` is a bare testcase. Within a suite the failures come first, then errors,
waived, skipped and passing cases, each in result order (no sort: CI tabs order cases themselves).

The document is written as text in one pass (an ElementTree of 200,000 testcases costs seconds and
hundreds of megabytes). Every value goes through :func:`_attr` or :func:`_text`, which escape the XML
specials exactly as ElementTree does, and characters XML 1.0 cannot carry at all (most control
characters, lone surrogates) are replaced.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from json.encoder import encode_basestring_ascii

from auditor.findings import Finding, PolicyRef, ScanResult, Severity, Status
from auditor.reporters.common import (
    STATUS_ORDER,
    collector_paused,
    policy_index,
    safe_url,
    stand_in_policy,
    waiver_justification,
)

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: A character :func:`_text` / :func:`_attr` would change (the complement of what they leave alone), so
#: most values, which have none, skip the work. One negated class: an alternation is several times slower.
_TEXT_WORK = re.compile("[^\u0009\u000a\u000d\u0020-\u0025\u0027-\u003b\u003d\u003f-\u007e]")
_ATTR_WORK = re.compile("[^\u0020\u0021\u0023-\u0025\u0027-\u003b\u003d\u003f-\u007e]")
#: ``json.dumps(value, default=str)`` without building an encoder per call.
_EVIDENCE_ENCODER = json.JSONEncoder(default=str)
_INDENT_SUITE = "\n  "
_INDENT_PROPERTIES = "\n    "
_INDENT_CASE = "\n    "
_INDENT_RESULT = "\n      "


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _text(text: str) -> str:
    """Element content: cleaned, ``&``, ``<`` and ``>`` escaped, beyond ASCII as character references.

    ASCII-only output keeps the document at one byte per character in memory (a single "—" anywhere
    would double a 100 MB string); parsers read the references back as the same characters.
    """
    if _TEXT_WORK.search(text) is None:
        return text
    text = _clean(text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if not text.isascii():
        text = text.encode("ascii", "xmlcharrefreplace").decode("ascii")
    return text


def _attr(text: str) -> str:
    """A double-quoted attribute value: as :func:`_text`, plus quotes and line breaks as references."""
    if _ATTR_WORK.search(text) is None:
        return text
    text = _text(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if "\n" in text:
        text = text.replace("\n", "&#10;")
    if "\t" in text:
        text = text.replace("\t", "&#09;")
    return text


def render_junit(result: ScanResult) -> Iterator[bytes]:
    """The JUnit XML document (with declaration) as UTF-8 chunks, one test suite at a time."""
    with collector_paused():
        for part in _document(result):
            yield part.encode("utf-8")


def _document(result: ScanResult) -> Iterator[str]:
    policies = policy_index(result)
    # One pass: findings per policy (result order, then any policy only a finding names) and per status.
    suites: dict[str, dict[Status, list[Finding]]] = {
        policy_id: {status: [] for status in STATUS_ORDER} for policy_id in policies
    }
    for finding in result.findings:
        suite = suites.get(finding.policy_id)
        if suite is None:
            policies[finding.policy_id] = stand_in_policy(finding)
            suite = suites[finding.policy_id] = {status: [] for status in STATUS_ORDER}
        suite[finding.status].append(finding)
    totals = dict.fromkeys(STATUS_ORDER, 0)
    for suite in suites.values():
        for status, findings in suite.items():
            totals[status] += len(findings)
    root_name = _attr(f"{result.tool.name} ({result.scan.source})")
    head = (
        "<?xml version='1.0' encoding='utf-8'?>\n"
        f'<testsuites name="{root_name}"{_counts(totals)}'
        f' timestamp="{_attr(result.scan.started_at.isoformat())}"'
    )
    if not suites:
        yield head + " />\n"
        return
    listed = {policy.id for policy in result.policies}
    yield head + ">"
    for policy_id, suite in suites.items():
        yield _suite(policies[policy_id], suite, policy_id in listed)
    yield "\n</testsuites>\n"


def _counts(counts: dict[Status, int]) -> str:
    skipped = counts[Status.SKIPPED] + counts[Status.WAIVED]
    return (
        f' tests="{sum(counts.values())}" failures="{counts[Status.FAIL]}" errors="{counts[Status.ERROR]}"'
        f' skipped="{skipped}" time="0"'
    )


def _suite(policy: PolicyRef, findings: dict[Status, list[Finding]], listed: bool) -> str:
    """One ``<testsuite>``: failures first, then errors, waived, skipped and passes (each in result order).

    ``listed`` is False for a stand-in policy (named only by a finding): it has no default severity.
    """
    default = policy.severity if listed else None
    values = {
        "policy.id": policy.id,
        "policy.severity": policy.severity.value,
        "policy.helpUri": safe_url(policy.help_uri),
    }
    properties = "".join(
        f'{_INDENT_PROPERTIES}  <property name="{name}" value="{_attr(value)}" />'
        for name, value in values.items()
        if value
    )
    parts = [
        f'{_INDENT_SUITE}<testsuite name="{_attr(f"{policy.id} {policy.title}")}"',
        _counts({status: len(items) for status, items in findings.items()}),
        f">{_INDENT_PROPERTIES}<properties>{properties}{_INDENT_PROPERTIES}</properties>"
        if properties
        else f">{_INDENT_PROPERTIES}<properties />",
    ]
    opening = f'{_INDENT_CASE}<testcase classname="{_attr(policy.id)}" name="'
    for status, items in findings.items():
        if status is Status.PASS:
            parts.extend(
                f'{opening}{_attr(f"{finding.resource_name} ({finding.resource_id})")}" time="0" />'
                for finding in items
            )
        else:
            parts.extend(
                f'{opening}{_attr(f"{finding.resource_name} ({finding.resource_id})")}" time="0">'
                f"{_INDENT_RESULT}{_outcome(finding, default)}{_INDENT_CASE}</testcase>"
                for finding in items
            )
    parts.append(f"{_INDENT_SUITE}</testsuite>")
    return "".join(parts)


def _outcome(finding: Finding, default: Severity | None) -> str:
    """The ``<failure>``, ``<error>`` or ``<skipped>`` element of a finding that did not pass."""
    message = _attr(finding.message)
    match finding.status:
        case Status.FAIL:
            details = _text(_details(finding, default))
            return f'<failure message="{message}" type="{finding.severity.value}">{details}</failure>'
        case Status.ERROR:
            return (
                f'<error message="{message}" type="not-evaluated">{_text(_details(finding, default))}</error>'
            )
        case Status.WAIVED:
            return f'<skipped message="{_attr(f"waived: {waiver_justification(finding)}")}" />'
        case _:
            return f'<skipped message="{message}" />'


def _json(value: object) -> str:
    """``json.dumps(value, default=str)``; strings (most evidence) straight to the C escaper."""
    if type(value) is str:
        return encode_basestring_ascii(value)
    return _EVIDENCE_ENCODER.encode(value)


def _details(finding: Finding, default: Severity | None) -> str:
    """The failure text; ``default`` is the policy's own severity (None for a policy not in the result)."""
    severity = finding.severity
    lines = [
        finding.message,
        f"severity: {severity.value}"
        + (f" (escalated from {default.value})" if default and default is not severity else ""),
        f"resource: {finding.resource_id}",
        f"kind: {finding.resource_kind}",
    ]
    if finding.subscription_id:
        lines.append(f"subscription: {finding.subscription_name or ''} {finding.subscription_id}".strip())
    lines.extend(f"evidence.{key}: {_json(value)}" for key, value in finding.evidence.items())
    if finding.remediation and finding.remediation.guidance:
        lines.append(f"remediation: {finding.remediation.guidance}")
    return "\n".join(lines)
