"""The evaluator: errors are isolated per finding, nothing missing reads as a pass, evidence is JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from auditor.findings import Finding, Severity, SharedEvidence, Status
from auditor.inventory import Estate
from auditor.policies.evaluator import Evaluator
from auditor.policies.loader import Selection, configure, load_policy_dirs
from auditor.resources import builtin_policies_dir
from auditor.scan import evaluation_time
from benchmarks.generate_estate import build_estate

from ..conftest import cluster_id, compliant_catalog, compliant_cluster, estate_document

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def evaluate(
    estate: dict[str, Any], policy_dirs: list[Path] | None = None, builtin: bool = True, **selection: Any
) -> list[Any]:
    sources = load_policy_dirs(builtin_policies_dir() if builtin else None, policy_dirs or [])
    evaluator = Evaluator(configure(sources, Selection(**selection)), NOW)
    return list(evaluator.evaluate(Estate.model_validate(estate_document(**estate))))


def by(findings: list[Any], policy: str, name: str) -> Any:
    matches = [f for f in findings if f.policy_id == policy and f.resource_name == name]
    assert len(matches) == 1, (policy, name, matches)
    return matches[0]


def test_compliant_cluster_passes_every_enabled_policy() -> None:
    findings = evaluate({"clusters": [compliant_cluster()], "catalogs": [compliant_catalog()]})
    not_passing = {(f.policy_id, f.status) for f in findings if f.status is not Status.PASS}
    assert not_passing == {("AKS-005", Status.SKIPPED)}  # not on the LTS plan: not applicable
    assert {f.policy_id for f in findings} == {f"AKS-{n:03d}" for n in range(1, 15)}  # AKS-015 is off


def test_one_broken_resource_does_not_stop_or_taint_the_others() -> None:
    broken = compliant_cluster("broken") | {
        "currentKubernetesVersion": "latest",
        "kubernetesVersion": "latest",
    }
    findings = evaluate({"clusters": [broken, compliant_cluster()], "catalogs": [compliant_catalog()]})
    assert by(findings, "AKS-001", "broken").status is Status.ERROR
    assert "not a Kubernetes version: 'latest'" in by(findings, "AKS-001", "broken").message
    assert by(findings, "AKS-001", "good").status is Status.PASS
    assert by(findings, "AKS-004", "good").status is Status.PASS


def test_uncollected_maintenance_configurations_are_errors_not_passes() -> None:
    cluster = compliant_cluster() | {"maintenanceConfigurations": None}
    findings = evaluate({"clusters": [cluster], "catalogs": [compliant_catalog()]})
    for policy in ("AKS-010", "AKS-011", "AKS-012"):
        assert by(findings, policy, "good").status is Status.ERROR
        assert "were not collected" in by(findings, policy, "good").message


def test_unknown_enum_value_is_kept_and_surfaces_in_the_finding() -> None:
    cluster = compliant_cluster() | {
        "autoUpgradeProfile": {"upgradeChannel": "hyperspeed", "nodeOSUpgradeChannel": "Quantum"}
    }
    findings = evaluate({"clusters": [cluster], "catalogs": [compliant_catalog()]})
    channel = by(findings, "AKS-006", "good")
    assert channel.status is Status.FAIL and "hyperspeed" in channel.message
    assert channel.evidence["upgradeChannel"] == "hyperspeed"
    assert by(findings, "AKS-007", "good").evidence["nodeOSUpgradeChannel"] == "Quantum"
    # an unknown channel still counts as "a channel is set" for the window policy
    assert by(findings, "AKS-010", "good").status is Status.PASS


def test_unreadable_hub_and_uncollected_fleet_children_give_error_findings() -> None:
    fleet_id = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f1"
    findings = evaluate(
        {
            "fleets": [{"id": fleet_id, "name": "f1", "members": []}],
            "hubs": [
                {"name": "hub-a", "fleetId": fleet_id, "error": "403 Forbidden: cannot list memberclusters"}
            ],
        }
    )
    hub_findings = [f for f in findings if f.policy_id in ("FLEET-001", "FLEET-002")]
    assert [(f.policy_id, f.status, f.resource_id) for f in hub_findings] == [
        ("FLEET-001", Status.ERROR, fleet_id),
        ("FLEET-002", Status.ERROR, fleet_id),
    ]
    assert "403 Forbidden" in hub_findings[0].message
    fleet3 = [f for f in findings if f.policy_id == "FLEET-003"]
    assert {(f.status, f.resource_id) for f in fleet3} == {(Status.ERROR, fleet_id)}
    assert by(findings, "FLEET-004", "f1").status is Status.ERROR
    assert_as_validated(hub_findings)  # the gap findings


def test_escalation_raises_severity_of_out_of_support_images() -> None:
    cluster = compliant_cluster()
    cluster["nodePools"][0]["nodeImageVersion"] = "AKSUbuntu-2204gen2containerd-202601.05.0"
    findings = evaluate({"clusters": [cluster], "catalogs": [compliant_catalog()]})
    image = by(findings, "AKS-008", "good/system")
    assert image.status is Status.FAIL and image.severity is Severity.HIGH
    assert image.escalation is not None and "90-day" in image.escalation.note
    assert image.escalation.from_.value == "medium" and "escalation" not in image.evidence


def test_evidence_is_json_and_fingerprints_ignore_id_case() -> None:
    upper = compliant_cluster() | {
        "id": cluster_id("good").upper().replace("/SUBSCRIPTIONS", "/subscriptions")
    }
    first = evaluate({"clusters": [compliant_cluster()], "catalogs": [compliant_catalog()]})
    second = evaluate({"clusters": [upper], "catalogs": [compliant_catalog()]})
    json.dumps([f.evidence for f in first])
    assert by(first, "AKS-008", "good/system").evidence["imageDate"] == "2026-05-25T00:00:00Z"
    assert [f.fingerprint for f in first] == [f.fingerprint for f in second]
    assert len({f.fingerprint for f in first}) == len(first)


def test_a_check_that_is_not_boolean_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "X-001.yaml").write_text(
        "id: X-001\nname: x\ntitle: T\nseverity: low\nresource: cluster\ndescription: d\nrationale: r\n"
        'check: "resource.name"\nmessage: m\n',
        encoding="utf-8",
    )
    findings = evaluate({"clusters": [compliant_cluster()]}, [tmp_path], builtin=False)
    assert [(f.status, f.message) for f in findings] == [
        (Status.ERROR, "T: check could not be evaluated: expected true or false, got string 'good'")
    ]


def test_a_policys_own_evidence_named_escalation_or_waiver_never_collides_with_our_notes(
    tmp_path: Path,
) -> None:
    (tmp_path / "X-001.yaml").write_text(
        "id: X-001\nname: x\ntitle: T\nseverity: low\nresource: cluster\ndescription: d\nrationale: r\n"
        "check: resource.name == 'nope'\n"
        "evidence: {escalation: \"'policy value'\", waiver: '1 + 1'}\n"
        "escalate: [{when: 'true', severity: high, note: our note}]\n"
        "message: m\n",
        encoding="utf-8",
    )
    finding = by(evaluate({"clusters": [compliant_cluster()]}, [tmp_path], builtin=False), "X-001", "good")
    assert finding.status is Status.FAIL and finding.severity is Severity.HIGH
    assert finding.evidence == {"escalation": "policy value", "waiver": 2}
    assert finding.escalation is not None
    assert (finding.escalation.from_, finding.escalation.note) == (Severity.LOW, "our note")


def assert_as_validated(findings: Any) -> None:
    """Findings are built without validation (Finding.trusted): each must carry every field, of its
    declared type, exactly as validation would have built it."""
    assert findings
    for finding in findings:
        assert finding.__dict__.keys() == Finding.model_fields.keys()
        validated = Finding.model_validate(finding.model_dump())
        assert validated == finding
        assert [type(v) for v in validated.__dict__.values()] == [type(v) for v in finding.__dict__.values()]
        assert validated.model_dump_json() == finding.model_dump_json()


@cache
def every_kind_of_finding() -> tuple[Finding, ...]:
    """A generated estate's findings: every status but waived (the waiver file is applied later),
    escalations, remediations, step-by-step errors."""
    estate = build_estate(clusters=60, subscriptions=6)
    policies = configure(
        load_policy_dirs(builtin_policies_dir(), []), Selection(enable=frozenset({"FLEET-005"}))
    )
    findings = Evaluator(policies, evaluation_time(estate)).evaluate(estate)
    assert {f.status for f in findings} == set(Status) - {Status.WAIVED}
    assert any(f.escalation for f in findings) and any(f.remediation for f in findings)
    return findings


def test_every_finding_is_what_validation_would_build() -> None:
    assert_as_validated(every_kind_of_finding())


def test_equal_evidence_strings_are_one_object() -> None:
    """Evidence strings are interned: 10,000 clusters repeat the same few versions in 240,000 findings."""
    estate = build_estate(clusters=40, subscriptions=4)
    policies = configure(load_policy_dirs(builtin_policies_dir(), []), Selection())
    findings = Evaluator(policies, evaluation_time(estate)).evaluate(estate)
    strings = [v for f in findings for v in f.evidence.values() if type(v) is str]
    lists = [v for f in findings for v in f.evidence.values() if type(v) is list]
    strings += [item for items in lists for item in items if type(item) is str]
    assert len(strings) > 1_000
    assert len({id(s) for s in strings}) == len(set(strings))


def assert_equal_evidence_is_one_map(findings: Sequence[Finding]) -> None:
    """Equal evidence maps are one object (``repr`` tells ``1``, ``1.0`` and ``True`` apart, and key order)."""
    maps = [f.evidence for f in findings]
    assert len({id(m) for m in maps}) == len({repr(m) for m in maps}) < len(maps) // 2


def assert_values_share_keys(findings: Sequence[Finding]) -> None:
    """Every finding's values are in a key-sharing dict (CPython, PEP 412): smaller than the same values in
    a dict of their own (216 against 464 B)."""
    assert findings
    own = sys.getsizeof(dict(findings[0].__dict__))
    assert all(sys.getsizeof(f.__dict__) < own * 0.6 for f in findings)


def test_findings_hold_their_values_in_key_sharing_dicts() -> None:
    assert_values_share_keys(every_kind_of_finding())


def test_equal_evidence_is_one_map() -> None:
    """A scan repeats a few thousand evidence maps in hundreds of thousands of findings (~250 B each)."""
    assert_equal_evidence_is_one_map(every_kind_of_finding())


def test_evidence_equal_but_for_its_types_or_order_is_not_shared() -> None:
    shared = SharedEvidence()
    first = {"a": 1, "b": [1, "x"]}
    assert shared.share(first) is first
    assert shared.share({"a": 1, "b": [1, "x"]}) is first
    for other in (
        {"a": True, "b": [1, "x"]},
        {"a": 1.0, "b": [1, "x"]},
        {"b": [1, "x"], "a": 1},
        {"a": 1, "b": [True, "x"]},
        {"a": 1, "b": (1, "x")},
        {"a": -0.0},
        {"a": 0.0},
    ):
        assert shared.share(other) is other, other
    odd = {"when": datetime(2026, 1, 1, tzinfo=UTC)}  # marshal cannot write it: kept, never shared
    assert shared.share(odd) is odd
    assert shared.share(dict(odd)) is not odd
    assert shared.share({"a": "y"}, lambda m: {"a": "made"}) == {"a": "made"}
    assert shared.share({"a": "y"}) == {"a": "made"}
