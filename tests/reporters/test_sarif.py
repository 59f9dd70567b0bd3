"""SARIF: valid against the vendored OASIS schema and shaped the way GitHub code scanning needs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
from jsonschema import Draft4Validator
from pydantic_core import to_json

from auditor.findings import Escalation, ScanResult, Severity, Status
from auditor.reporters.locations import artifact_path
from auditor.reporters.sarif import INDENT_MAX_RESULTS, SECURITY_SEVERITY, render_sarif, sarif_log
from tests.conftest import CONTRACTS

# The official OASIS schema, vendored (provenance: tests/data/contracts/README.md), never downloaded.
SCHEMA_FILE = CONTRACTS / "sarif" / "sarif-schema-2.1.0.json"

MakeResult = Callable[..., ScanResult]


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    if not SCHEMA_FILE.is_file():
        pytest.fail(f"vendored SARIF schema missing at {SCHEMA_FILE} (see tests/data/contracts/README.md)")
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def sarif_text(result: ScanResult, **kwargs: Any) -> str:
    """The whole log as text (render_sarif writes it in chunks, ASCII)."""
    return b"".join(render_sarif(result, **kwargs)).decode("ascii")


def sarif(result: ScanResult, **kwargs: Any) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(sarif_text(result, **kwargs))
    return log


def run_of(result: ScanResult, **kwargs: Any) -> dict[str, Any]:
    runs = sarif(result, **kwargs)["runs"]
    assert len(runs) == 1
    run: dict[str, Any] = runs[0]
    return run


def by_uri(run: dict[str, Any], rule_id: str, uri_suffix: str) -> dict[str, Any]:
    matches = [
        item
        for item in run["results"]
        if item["ruleId"] == rule_id
        and item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(uri_suffix)
    ]
    assert len(matches) == 1, (rule_id, uri_suffix, matches)
    return matches[0]


def assert_valid(validator: Draft4Validator, log: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda error: list(error.absolute_path))
    assert not errors, "\n".join(f"{list(error.absolute_path)}: {error.message}" for error in errors[:10])


@pytest.mark.parametrize(
    "variant",
    [{}, {"hostile": True}, {"complete": True}, {"findings": []}],
    ids=["realistic", "hostile", "complete", "empty"],
)
def test_validates_against_vendored_schema(
    validator: Draft4Validator, make_result: MakeResult, variant: dict[str, Any]
) -> None:
    log = sarif(make_result(**variant))
    assert_valid(validator, log)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"


def test_driver_and_rules_match_policies(result: ScanResult) -> None:
    driver = run_of(result)["tool"]["driver"]
    assert driver["name"] == "aks-auditor"
    assert driver["semanticVersion"] == driver["version"] == "0.1.0"
    assert urlsplit(driver["informationUri"]).scheme == "https"
    assert [rule["id"] for rule in driver["rules"]] == [policy.id for policy in result.policies]
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert rules["AKS-001"]["name"] == "supported-kubernetes-version"
    assert rules["AKS-001"]["shortDescription"]["text"] == "Kubernetes version is supported"
    assert (
        rules["AKS-001"]["helpUri"] == "https://learn.microsoft.com/azure/aks/supported-kubernetes-versions"
    )
    assert "min_supported_minors = 3" in rules["AKS-001"]["help"]["text"]
    assert "Unsupported minors get no security patches." in rules["AKS-001"]["help"]["markdown"]
    assert "helpUri" not in rules["AKS-004"], "a javascript: help URI must not become a link"
    assert "javascript:" not in json.dumps(rules["AKS-004"])
    long_text = rules["AKS-003"]["fullDescription"]["text"]
    assert len(long_text) <= 1024
    assert long_text.endswith("…")
    levels = {rule_id: rule["defaultConfiguration"]["level"] for rule_id, rule in rules.items()}
    assert levels == {
        "AKS-001": "error",
        "AKS-002": "warning",
        "AKS-003": "note",
        "AKS-004": "note",
        "FLT-001": "error",
        "FLT-002": "error",
        "FLT-003": "warning",
    }


def test_rule_tags_and_security_severity(result: ScanResult) -> None:
    rules = {rule["id"]: rule for rule in run_of(result)["tool"]["driver"]["rules"]}
    for rule in rules.values():
        props = rule["properties"]
        tags = props["tags"]
        assert len(tags) == len(set(tags)) <= 10
        assert "security" in tags
        assert isinstance(props["security-severity"], str)
        assert 0.0 < float(props["security-severity"]) <= 10.0
        assert props["precision"] == "very-high"
    assert "aks" in rules["AKS-002"]["properties"]["tags"]
    assert "fleet" in rules["FLT-002"]["properties"]["tags"]
    assert "fleet" not in rules["AKS-002"]["properties"]["tags"]
    assert rules["FLT-002"]["properties"]["security-severity"] == "9.5"
    assert rules["AKS-003"]["properties"]["security-severity"] == "3.0"
    assert all(0.0 < float(value) <= 10.0 for value in SECURITY_SEVERITY.values())


def test_results_are_fail_error_and_waived_only(result: ScanResult) -> None:
    run = run_of(result)
    expected = {
        (finding.policy_id, finding.fingerprint)
        for finding in result.findings
        if finding.status in (Status.FAIL, Status.ERROR, Status.WAIVED)
    }
    got = {
        (item["ruleId"], item["partialFingerprints"]["aksAuditorFingerprint/v1"]) for item in run["results"]
    }
    assert got == expected
    assert {item["properties"]["status"] for item in run["results"]} == {"fail", "error", "waived"}
    rules = run["tool"]["driver"]["rules"]
    for item in run["results"]:
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]


def test_levels_follow_the_finding_not_only_the_rule(result: ScanResult) -> None:
    run = run_of(result)
    escalated = by_uri(run, "AKS-002", "/agentpools/system")
    assert escalated["level"] == "error"
    assert escalated["properties"]["severity"] == "critical"
    assert escalated["properties"]["security-severity"] == "9.5"
    assert by_uri(run, "AKS-003", "/managedclusters/aks-prod-weu")["level"] == "note"
    not_evaluated = by_uri(run, "AKS-003", "/managedclusters/aks-dev")
    assert not_evaluated["level"] == "warning"
    assert not_evaluated["properties"]["status"] == "error"
    assert not_evaluated["message"]["text"].startswith("Not evaluated: Planned maintenance window configured")
    hub_error = by_uri(run, "FLT-003", "fleet-hub/my-hub-2")
    assert hub_error["message"]["text"] == (
        "Not evaluated: Member clusters joined: hub my-hub-2 could not be read: 403 Forbidden"
    )


def test_results_are_ordered_most_severe_first(result: ScanResult) -> None:
    severities = [item["properties"]["severity"] for item in run_of(result)["results"]]
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    assert [ranks[s] for s in severities] == sorted((ranks[s] for s in severities), reverse=True)


def test_locations_are_relative_scheme_less_pseudo_paths(result: ScanResult) -> None:
    run = run_of(result)
    pool = by_uri(run, "AKS-002", "/agentpools/system")["locations"][0]
    assert pool["physicalLocation"]["artifactLocation"]["uri"] == (
        "azure/11111111-1111-1111-1111-111111111111/rg-prod/microsoft.containerservice/"
        "managedclusters/aks-prod-weu/agentpools/system"
    )
    assert pool["physicalLocation"]["region"] == {
        "startLine": 1,
        "startColumn": 1,
        "endLine": 1,
        "endColumn": 1,
    }
    logical = pool["logicalLocations"][0]
    assert logical["fullyQualifiedName"].endswith("/managedClusters/aks-prod-weu/agentPools/system")
    assert logical == {
        "fullyQualifiedName": logical["fullyQualifiedName"],
        "name": "system",
        "kind": "resource",
    }
    crp = by_uri(run, "FLT-002", "crp-1")["locations"][0]
    assert (
        crp["physicalLocation"]["artifactLocation"]["uri"]
        == "fleet-hub/my-hub/clusterresourceplacements/crp-1"
    )
    assert crp["logicalLocations"][0]["fullyQualifiedName"] == "my-hub/clusterresourceplacements/crp-1"
    for item in run["results"]:
        assert_uri_reference_safe(item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])


def assert_uri_reference_safe(uri: str) -> None:
    """A relative path reference: no scheme/authority, no spaces, every segment already percent-encoded."""
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == ("", "", "", ""), uri
    assert not uri.startswith("/")
    assert uri.startswith(("azure/", "fleet-hub/"))
    assert not any(char.isspace() for char in uri)
    assert uri.isascii()
    for segment in uri.split("/"):
        assert unquote(segment) not in ("", ".", ".."), uri
        assert quote(unquote(segment), safe="") == segment, segment


@pytest.mark.parametrize(
    ("resource_id", "expected"),
    [
        (
            "/subscriptions/S/resourceGroups/RG/providers/Microsoft.ContainerService/managedClusters/C/agentPools/P",
            "azure/s/rg/microsoft.containerservice/managedclusters/c/agentpools/p",
        ),
        (
            "/SUBSCRIPTIONS/S/resourcegroups/My RG (x)/providers/Microsoft.ContainerService"
            "/fleets/f/updateRuns/r/",
            "azure/s/my%20rg%20%28x%29/microsoft.containerservice/fleets/f/updateruns/r",
        ),
        ("my-hub/clusterresourceplacements/crp-1", "fleet-hub/my-hub/clusterresourceplacements/crp-1"),
        (
            "my hub/resourceplacements/ns/../évil?x#y",
            "fleet-hub/my%20hub/resourceplacements/ns/~../%C3%A9vil%3Fx%23y",
        ),
        ("my-hub", "fleet-hub/my-hub"),
        ("", "fleet-hub/unknown"),
    ],
)
def test_artifact_path(resource_id: str, expected: str) -> None:
    assert artifact_path(resource_id) == expected
    assert_uri_reference_safe(expected)


def test_fingerprints_stable_across_renders_and_distinct_across_resources(make_result: MakeResult) -> None:
    first, second = sarif_text(make_result()), sarif_text(make_result())
    assert first == second
    results = json.loads(first)["runs"][0]["results"]
    hashes = [item["partialFingerprints"]["primaryLocationLineHash"] for item in results]
    assert len(hashes) == len(set(hashes))
    for item in results:
        fingerprints = item["partialFingerprints"]
        assert fingerprints["primaryLocationLineHash"] == fingerprints["aksAuditorFingerprint/v1"] + ":1"
    same_cluster = [
        item["partialFingerprints"]["aksAuditorFingerprint/v1"]
        for item in results
        if item["locations"][0]["logicalLocations"][0]["name"] == "aks-prod-weu"
    ]
    assert len(same_cluster) == len(set(same_cluster)) == 2


def test_suppressions_all_or_none(result: ScanResult, make_result: MakeResult) -> None:
    results = run_of(result)["results"]
    assert all("suppressions" in item for item in results)
    waived = [item for item in results if item["properties"]["status"] == "waived"]
    assert len(waived) == 1
    assert waived[0]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Dev pool, rebuilt weekly",
            "properties": {"expires": "2025-12-31"},
        }
    ]
    assert all(item["suppressions"] == [] for item in results if item["properties"]["status"] != "waived")
    unwaived = make_result(findings=[f for f in result.findings if f.status is not Status.WAIVED])
    assert all("suppressions" not in item for item in run_of(unwaived)["results"])


def test_invocation_reports_coverage(result: ScanResult, make_result: MakeResult) -> None:
    run = run_of(result)
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["properties"]["coverage"]["read"]["clusters"] == 2
    assert [note["message"]["text"] for note in invocation["toolExecutionNotifications"]] == [
        "Could not list memberclusters hub my-hub-2: 403 Forbidden",
        "Could not resource graph query subscription 33333333-3333-3333-3333-333333333333: "
        "AuthorizationFailed: no read access",
    ]
    assert invocation["startTimeUtc"] == "2024-06-03T08:00:00Z"
    assert run["automationDetails"]["id"] == "aks-auditor/azure/"
    clean = make_result(complete=True, findings=[f for f in result.findings if f.status is not Status.ERROR])
    assert run_of(clean)["invocations"][0]["executionSuccessful"] is True


def test_result_properties_carry_context(result: ScanResult) -> None:
    props = by_uri(run_of(result), "AKS-002", "/agentpools/system")["properties"]
    assert props["resourceKind"] == "nodePool"
    assert props["subscriptionId"] == "11111111-1111-1111-1111-111111111111"
    assert props["subscriptionName"] == "Contoso Prod"
    assert props["location"] == "westeurope"
    assert props["evidence"] == {"daysBehind": 120, "latest": "AKSUbuntu-2204gen2-202405.20.0"}


def test_truncates_to_the_most_severe(validator: Draft4Validator, result: ScanResult) -> None:
    log = sarif(result, max_results=3)
    assert_valid(validator, log)
    run = log["runs"][0]
    assert len(run["results"]) == 3
    assert [item["properties"]["severity"] for item in run["results"]] == ["critical", "critical", "high"]
    truncated = run["properties"]["truncated"]
    assert truncated["total"] == 9
    assert truncated["kept"] == 3
    assert "6 least severe" in truncated["note"]
    assert "properties" not in run_of(result)


def test_finding_of_an_unlisted_policy_gets_a_rule(validator: Draft4Validator, result: ScanResult) -> None:
    orphan = result.findings[1].model_copy(
        update={"policy_id": "CUSTOM-001", "title": "Custom check", "message": ""}
    )
    log = sarif(result.model_copy(update={"findings": (*result.findings, orphan)}))
    assert_valid(validator, log)
    run = log["runs"][0]
    item = next(item for item in run["results"] if item["ruleId"] == "CUSTOM-001")
    rule = run["tool"]["driver"]["rules"][item["ruleIndex"]]
    assert rule["id"] == "CUSTOM-001"
    assert rule["shortDescription"]["text"] == "Custom check"
    assert item["message"]["text"] == "Custom check"


def test_escalated_results_say_how_and_why(validator: Draft4Validator, result: ScanResult) -> None:
    noted = result.findings[1].model_copy(
        update={
            "resource_id": result.findings[1].resource_id + "-2",
            "severity": Severity.CRITICAL,
            "escalation": Escalation(from_=Severity.HIGH, note="the minor is two releases out of support"),
            # a policy's own evidence key named like our note is the policy's, and stays where it is
            "evidence": {"version": "1.26.0", "escalation": "policy-defined"},
        }
    )
    log = sarif(result.model_copy(update={"findings": (*result.findings, noted)}))
    assert_valid(validator, log)
    run = log["runs"][0]
    pool = by_uri(run, "AKS-002", "/agentpools/system")
    assert pool["properties"]["escalation"] == {
        "from": "medium",
        "to": "critical",
        "note": "the image is more than 90 days old",
    }
    explained = by_uri(run, "AKS-001", "/managedclusters/aks-dev-2")
    assert explained["properties"]["escalation"] == {
        "from": "high",
        "to": "critical",
        "note": "the minor is two releases out of support",
    }
    assert explained["properties"]["evidence"]["escalation"] == "policy-defined"
    others = [item for item in run["results"] if item not in (pool, explained)]
    assert others and all("escalation" not in item["properties"] for item in others)


def test_a_findings_escalation_is_reported_even_when_its_policy_is_missing(result: ScanResult) -> None:
    orphan = result.findings[2].model_copy(update={"policy_id": "CUSTOM-002"})
    run = run_of(result.model_copy(update={"findings": (orphan,)}))
    assert run["results"][0]["properties"]["escalation"]["from"] == "medium"


def test_output_is_ascii_and_evidence_of_any_type_serializes(result: ScanResult) -> None:
    odd = result.findings[1].model_copy(
        update={
            "message": "Kubernetes 1.27 — out of support → upgrade…",
            "evidence": {"when": datetime(2024, 6, 1, tzinfo=UTC), "pools": {"a"}, "emoji": "😀"},
        }
    )
    text = sarif_text(result.model_copy(update={"findings": (odd,)}))
    assert text.isascii()
    item = json.loads(text)["runs"][0]["results"][0]
    assert item["message"]["text"] == "Kubernetes 1.27 — out of support → upgrade…"
    assert item["properties"]["evidence"] == {"when": "2024-06-01T00:00:00Z", "pools": ["a"], "emoji": "😀"}
    raw = odd.model_copy(update={"evidence": {"raw": b"\xff\xfe"}})
    fallback = json.loads(sarif_text(result.model_copy(update={"findings": (raw,)})))
    assert fallback["runs"][0]["results"][0]["properties"]["evidence"] == {"raw": "b'\\xff\\xfe'"}


def test_large_logs_are_compact_small_ones_indented(result: ScanResult) -> None:
    template = result.findings[1]
    many = tuple(
        template.model_copy(update={"resource_id": f"{template.resource_id}-{n}", "fingerprint": f"{n:032x}"})
        for n in range(INDENT_MAX_RESULTS + 1)
    )
    small = sarif_text(result)
    assert small.startswith('{\n  "$schema"')
    large = sarif_text(result.model_copy(update={"findings": many}))
    assert large.startswith('{"$schema"') and large.count("\n") == 1
    assert len(json.loads(large)["runs"][0]["results"]) == INDENT_MAX_RESULTS + 1
    # Written in chunks: byte for byte the log serialized whole; a value JSON cannot write in one chunk
    # (bytes that are not UTF-8) is written as text there, the other chunks as they are.
    whole = result.model_copy(update={"findings": many})
    assert large == to_json(sarif_log(whole), ensure_ascii=True).decode("ascii") + "\n"
    raw = many[-1].model_copy(update={"evidence": {"raw": b"\xff\xfe"}})
    odd = json.loads(sarif_text(result.model_copy(update={"findings": (*many[:-1], raw)})))
    results = odd["runs"][0]["results"]
    [at] = [i for i, item in enumerate(results) if "raw" in item["properties"]["evidence"]]
    assert results[at]["properties"]["evidence"] == {"raw": "b'\\xff\\xfe'"}
    expected = json.loads(large)["runs"][0]["results"]
    assert results[:at] + results[at + 1 :] == expected[:at] + expected[at + 1 :]
