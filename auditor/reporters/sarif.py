"""SARIF 2.1.0 for GitHub code scanning: one run, one rule per policy, one result per fail/error/waived.

Severity mapping (rule ``defaultConfiguration.level`` and per-result ``level``; ``security-severity`` is
the numeric string GitHub buckets as critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9):

==========  =========  ===================
severity    level      security-severity
==========  =========  ===================
critical    error      9.5
high        error      8.0
medium      warning    5.5
low         note       3.0
info        note       1.0
==========  =========  ===================

Results: ``fail`` uses the finding's own (possibly escalated) severity; ``error`` ("could not evaluate")
is a ``warning`` whose message starts with "Not evaluated:"; ``waived`` carries an external, accepted
suppression, and then every result carries ``suppressions`` (SARIF §3.27.23: all null or all non-null).
``pass`` and ``skipped`` are never results.

Locations: Azure resources are not files, so each result points at a stable relative pseudo-path (see
:mod:`auditor.reporters.locations`) with a placeholder region 1:1-1:1, and names the real id in
``logicalLocations``. ``partialFingerprints.primaryLocationLineHash`` is set from the finding fingerprint
because upload-sarif cannot hash a file that does not exist.

Escalation: a ``fail`` whose severity is above its policy's default carries
``properties.escalation`` = ``{"from": <policy severity>, "to": <finding severity>, "note": <why>}`` (the
finding's own ``escalation``: the policy's escalate rule that applied).

Limits: GitHub rejects more than 25,000 results per run; beyond that the most severe are kept and
``run.properties.truncated`` says how many were dropped.

Speed: the log is plain dicts serialized once by pydantic-core (the same text as ``json.dumps``, several
times faster), indented only while small; evidence goes in as is, anything not JSON-native becomes ``str``.
The text is ASCII-only (``\\uXXXX`` escapes), so Python keeps it at one byte per character.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

from pydantic_core import PydanticSerializationError, to_json

from auditor.findings import Finding, FixedFinding, PolicyRef, ScanResult, Severity, Status
from auditor.gcpause import collector_paused
from auditor.reporters.common import (
    most_severe,
    policies_with_stand_ins,
    safe_url,
    truncate,
    waiver_justification,
    waiver_notices,
)
from auditor.reporters.locations import artifact_path
from auditor.timeutil import rfc3339

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/aks-auditor/"
MAX_RESULTS = 25_000
#: Beyond this many results the log is written without indentation: a third smaller, and nobody reads a
#: file of thousands of results by eye (viewers and GitHub parse it).
INDENT_MAX_RESULTS = 1_000
MAX_TAGS = 10
#: Results serialized at a time in a compact log.
_CHUNK = 1_000
_TEXT_LIMIT = 1024
_NAME_LIMIT = 255

LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
#: Resource kinds that live in a Fleet (everything else is an AKS resource).
_FLEET_KINDS = frozenset({"fleet", "updateRun", "autoUpgradeProfile", "memberCluster", "placement"})
_REPORTED = (Status.FAIL, Status.ERROR, Status.WAIVED)
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
_NOT_CATEGORY_SAFE = re.compile(r"[^A-Za-z0-9._:-]+")


def render_sarif(result: ScanResult, *, max_results: int = MAX_RESULTS) -> Iterator[bytes]:
    """The SARIF log as ASCII JSON chunks: indented up to ``INDENT_MAX_RESULTS`` results; compact beyond,
    and then the log around the results first, the results ``_CHUNK`` at a time — 25,000 results as
    dicts, JSON and text at once were ~120 MB more held at 10,000 clusters (benchmarks/results/scale.md)."""
    with collector_paused():
        log, entries, result_of = _log(result, max_results)
        if len(entries) <= INDENT_MAX_RESULTS:
            log["runs"][0]["results"] = [result_of(entry) for entry in entries]
            yield _json(log, indent=2) + b"\n"
            return
        marker = f"aks-auditor results {secrets.token_hex(16)}"  # no value of the log can spell it
        log["runs"][0]["results"] = marker
        head, found, tail = _json(log).partition(f'"{marker}"'.encode("ascii"))
        if not found:  # cannot happen: the marker is ASCII, written as it is
            raise AssertionError("SARIF results marker not written")
        yield head + b"["
        for index in range(0, len(entries), _CHUNK):
            chunk = _json([result_of(entry) for entry in entries[index : index + _CHUNK]])
            yield (b"," if index else b"") + chunk[1:-1]
        yield b"]" + tail + b"\n"


def _json(value: Any, indent: int | None = None) -> bytes:
    """``value`` as ASCII JSON (compact without ``indent``); values JSON has no type for as strings."""
    try:
        return to_json(value, indent=indent, ensure_ascii=True, fallback=str)
    except PydanticSerializationError:  # e.g. bytes that are not UTF-8 somewhere in the evidence
        separators = (",", ":") if indent is None else None
        return json.dumps(value, indent=indent, separators=separators, default=str).encode("ascii")


def sarif_log(result: ScanResult, *, max_results: int = MAX_RESULTS) -> dict[str, Any]:
    """The SARIF log as a JSON-able dict (what :func:`render_sarif` serializes)."""
    log, entries, result_of = _log(result, max_results)
    log["runs"][0]["results"] = [result_of(entry) for entry in entries]
    return log


def _log(
    result: ScanResult, max_results: int
) -> tuple[dict[str, Any], list[Finding | FixedFinding], Callable[[Finding | FixedFinding], dict[str, Any]]]:
    """The log without its results; the findings and fixed findings to list, in order; and what turns
    each into its result."""
    reported = [finding for finding in result.findings if finding.status in _REPORTED]
    fixed = result.baseline.fixed_findings if result.baseline else ()
    policies = policies_with_stand_ins(
        result, [*(finding.policy_id for finding in reported), *(item.policy_id for item in fixed)]
    )
    rule_ids = list(policies)
    rule_index = {rule_id: index for index, rule_id in enumerate(rule_ids)}
    kept = sorted(most_severe(reported, max_results, _class_rank), key=_severity_first)
    suppressible = any(finding.status is Status.WAIVED for finding in kept)

    def result_of(entry: Finding | FixedFinding) -> dict[str, Any]:
        if isinstance(entry, Finding):
            return _result(entry, rule_index[entry.policy_id], suppressible)
        return _absent(entry, rule_index[entry.policy_id])

    run: dict[str, Any] = {
        "tool": {"driver": _driver(result, [policies[rule_id] for rule_id in rule_ids])},
        "automationDetails": {"id": f"aks-auditor/{_NOT_CATEGORY_SAFE.sub('-', result.scan.source)}/"},
        "invocations": [_invocation(result)],
        "columnKind": "unicodeCodePoints",
        "results": [],
    }
    if len(reported) > len(kept):
        run["properties"] = {
            "truncated": {
                "total": len(reported),
                "kept": len(kept),
                "note": f"GitHub accepts at most {max_results} results per run; the "
                f"{len(reported) - len(kept)} least severe were left out. See the JSON or HTML report.",
            }
        }
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}, [*kept, *fixed], result_of


def _class_rank(cls: tuple[Severity, Status]) -> tuple[int, int]:
    severity, status = cls
    return (-severity.rank, status.rank)


def _severity_first(finding: Finding) -> tuple[int, int, str, str]:
    return (
        -finding.severity.rank,
        finding.status.rank,
        finding.policy_id,
        finding.resource_id.lower(),
    )


def _driver(result: ScanResult, policies: list[PolicyRef]) -> dict[str, Any]:
    driver: dict[str, Any] = {
        "name": result.tool.name,
        "version": result.tool.version,
        "informationUri": INFORMATION_URI,
        "rules": [_rule(policy) for policy in policies],
    }
    if _SEMVER.match(result.tool.version):
        driver["semanticVersion"] = result.tool.version
    return driver


def _rule(policy: PolicyRef) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": policy.id,
        "name": truncate(policy.name, _NAME_LIMIT),
        "shortDescription": {"text": truncate(policy.title, _TEXT_LIMIT)},
        "fullDescription": {"text": truncate(policy.description or policy.title, _TEXT_LIMIT)},
        "help": {"text": _help_text(policy), "markdown": _help_markdown(policy)},
        "defaultConfiguration": {"level": LEVELS[policy.severity]},
        "properties": {
            "tags": _tags(policy),
            "security-severity": SECURITY_SEVERITY[policy.severity],
            "precision": "very-high",
            "severity": policy.severity.value,
        },
    }
    if help_uri := safe_url(policy.help_uri):
        rule["helpUri"] = help_uri
    return rule


def _tags(policy: PolicyRef) -> list[str]:
    domains = ["fleet" if kind in _FLEET_KINDS else "aks" for kind in policy.resource] or ["aks"]
    unique = dict.fromkeys(tag for tag in ("security", *domains, *policy.tags) if tag)
    return list(unique)[:MAX_TAGS]


def _parameters_text(policy: PolicyRef) -> list[str]:
    return [
        f"{name} = {json.dumps(value, sort_keys=True)}" for name, value in sorted(policy.parameters.items())
    ]


def _help_text(policy: PolicyRef) -> str:
    parts = [policy.description]
    if policy.rationale:
        parts.append(f"Why: {policy.rationale}")
    if help_uri := safe_url(policy.help_uri):
        parts.append(f"More: {help_uri}")
    if policy.parameters:
        parts.append("Parameters: " + "; ".join(_parameters_text(policy)))
    return "\n\n".join(part for part in parts if part) or policy.title


def _help_markdown(policy: PolicyRef) -> str:
    parts = [f"**{policy.title}** ({policy.severity.value})", policy.description]
    if policy.rationale:
        parts.append(f"**Why it matters:** {policy.rationale}")
    if help_uri := safe_url(policy.help_uri):
        parts.append(f"[Documentation](<{help_uri}>)")
    if policy.parameters:
        parts.append("**Parameters:**\n" + "\n".join(f"- `{line}`" for line in _parameters_text(policy)))
    return "\n\n".join(part for part in parts if part)


def _message(finding: Finding) -> str:
    """The finding's message; an error reads "Not evaluated: <title>: <reason>" (said once)."""
    message = finding.message.strip() or finding.title
    if finding.status is not Status.ERROR or message.lower().startswith("not evaluated"):
        return message
    evaluator_prefix = f"{finding.title}: not evaluated: "
    if message.lower().startswith(evaluator_prefix.lower()):
        message = f"{finding.title}: {message[len(evaluator_prefix) :]}"
    return f"Not evaluated: {message}"


def _result(finding: Finding, rule_index: int, suppressible: bool) -> dict[str, Any]:
    """One SARIF result of a fail / error / waived finding."""
    level = "warning" if finding.status is Status.ERROR else LEVELS[finding.severity]
    properties: dict[str, Any] = {
        "status": finding.status.value,
        "severity": finding.severity.value,
        "security-severity": SECURITY_SEVERITY[finding.severity],
        "resourceKind": finding.resource_kind,
        "resourceId": finding.resource_id,
        "subscriptionId": finding.subscription_id,
        "subscriptionName": finding.subscription_name,
        "location": finding.location,
        "evidence": finding.evidence,
    }
    if escalation := _escalation(finding):
        properties["escalation"] = escalation
    sarif: dict[str, Any] = {
        "ruleId": finding.policy_id,
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": _message(finding)},
        "locations": [_location(finding)],
        "partialFingerprints": {
            "primaryLocationLineHash": f"{finding.fingerprint}:1",
            "aksAuditorFingerprint/v1": finding.fingerprint,
        },
        "properties": properties,
    }
    if suppressible:
        sarif["suppressions"] = [_suppression(finding)] if finding.status is Status.WAIVED else []
    if finding.baseline_state is not None:
        sarif["baselineState"] = finding.baseline_state
    return sarif


def _absent(item: FixedFinding, rule_index: int) -> dict[str, Any]:
    """A failure of the baseline that no longer fails (SARIF ``baselineState: absent``)."""
    return {
        "ruleId": item.policy_id,
        "ruleIndex": rule_index,
        "kind": "pass",
        "level": "none",
        "baselineState": "absent",
        "message": {"text": f"Fixed since the baseline (now {item.now}): {item.message}"},
        "locations": [_location(item)],
        "partialFingerprints": {
            "primaryLocationLineHash": f"{item.fingerprint}:1",
            "aksAuditorFingerprint/v1": item.fingerprint,
        },
        "properties": {"severity": item.severity.value, "resourceId": item.resource_id, "now": item.now},
    }


def _suppression(finding: Finding) -> dict[str, Any]:
    """The accepted, external suppression of a waived finding (expiry and approver as properties)."""
    suppression: dict[str, Any] = {
        "kind": "external",
        "status": "accepted",
        "justification": waiver_justification(finding),
    }
    if finding.waiver is not None:
        details = {"expires": finding.waiver.expires.isoformat(), "approvedBy": finding.waiver.approved_by}
        suppression["properties"] = {key: value for key, value in details.items() if value}
    return suppression


def _escalation(finding: Finding) -> dict[str, str] | None:
    """How and why a finding's severity was raised above its policy's default, or None."""
    escalation = finding.escalation
    if escalation is None:
        return None
    return {"from": escalation.from_.value, "to": finding.severity.value, "note": escalation.note}


def _location(finding: Finding | FixedFinding) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_path(finding.resource_id)},
            "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
        },
        "logicalLocations": [
            {"fullyQualifiedName": finding.resource_id, "name": finding.resource_name, "kind": "resource"}
        ],
    }


def _invocation(result: ScanResult) -> dict[str, Any]:
    coverage = result.scan.coverage
    return {
        "executionSuccessful": result.complete,
        "startTimeUtc": rfc3339(result.scan.started_at),
        "endTimeUtc": rfc3339(result.scan.finished_at),
        "toolExecutionNotifications": [
            {
                "level": "error",
                "message": {"text": f"Could not {gap.operation} {gap.scope} {gap.target}: {gap.reason}"},
                "descriptor": {"id": f"coverage-gap/{gap.scope}"},
            }
            for gap in coverage.gaps
        ]
        + [
            {"level": "note", "message": {"text": note}, "descriptor": {"id": "coverage-note"}}
            for note in coverage.notes
        ]
        + [
            {"level": "warning", "message": {"text": notice}, "descriptor": {"id": "waiver"}}
            for notice in waiver_notices(result)
        ],
        "properties": {
            "complete": result.complete,
            "coverage": coverage.model_dump(mode="json", by_alias=True),
        },
    }
