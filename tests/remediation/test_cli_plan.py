"""`aks-auditor scan --remediate` through the CLI: the plan is written with the reports, printed, and
nothing is written to Azure; planning flags are refused without --remediate; bad plan files are one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from auditor.errors import InputError
from auditor.remediation.plan import load_plan
from tests.collectors.azure.conftest import arm, start_arm  # noqa: F401  # fixtures
from tests.fakes.arm import FakeArm

from ..conftest import run_cli


def test_scan_demo_remediate_writes_the_plan_beside_the_reports_and_prints_it(tmp_path: Path) -> None:
    code, out, err = run_cli("scan", "--demo", "--remediate", "--output-dir", str(tmp_path))
    assert (code, err) == (1, "")  # the gate decides as without --remediate
    plan_file = tmp_path / "remediation-plan.json"
    plan = load_plan(plan_file)
    assert plan.source == "demo" and plan.steps and plan.manual
    assert f"report: {plan_file}\n" in out
    lines = out.splitlines()
    head = next(line for line in lines if line.startswith("remediation plan: "))
    assert head == (
        f"remediation plan: {len(plan.steps)} steps on 5 clusters and 1 fleet update run; "
        f"{len(plan.manual)} findings need a person -> {plan_file}"
    )
    assert (
        "    2. upgrade the control plane of aks-qa-sea-01: 1.31.11 -> 1.32.9 (next minor: 1.32) [AKS-001, AKS-004, AKS-013, AKS-014]"
        in lines
    )
    assert "      $ kubectl describe crp team-checkout" in lines
    assert lines[-1] == "nothing was changed in Azure."
    schema = json.loads(run_cli("schema", "plan")[1])
    Draft202012Validator(schema).validate(json.loads(plan_file.read_text(encoding="utf-8")))


def test_without_remediate_no_plan_is_written(tmp_path: Path) -> None:
    run_cli("scan", "--demo", "-q", "--output-dir", str(tmp_path))
    assert not (tmp_path / "remediation-plan.json").exists()


@pytest.mark.parametrize("flag", [["--max-hops", "2"], ["--only", "AKS-001"], ["--direct"], ["--stagger"]])
def test_planning_flags_are_refused_without_remediate(tmp_path: Path, flag: list[str]) -> None:
    code, _, err = run_cli("scan", "--demo", *flag, "--output-dir", str(tmp_path))
    assert code == 2
    assert err == f"aks-auditor: error: {flag[0]} is for --remediate; it does nothing without it\n"
    assert list(tmp_path.iterdir()) == []


def test_only_with_an_unknown_policy_is_refused_before_scanning(tmp_path: Path) -> None:
    code, _, err = run_cli(
        "scan", "--demo", "--remediate", "--only", "AKS-006,AKS-99", "--output-dir", str(tmp_path)
    )
    assert code == 2
    assert err.startswith("aks-auditor: error: --only AKS-99: no such policy in this scan (known: AKS-001, ")
    assert list(tmp_path.iterdir()) == []


def test_a_live_scan_with_remediate_only_reads(arm: FakeArm, tmp_path: Path) -> None:  # noqa: F811
    code, _, _ = run_cli("scan", "--arm-endpoint", arm.base, "--remediate", "--output-dir", str(tmp_path))
    assert code == 1
    plan = load_plan(tmp_path / "remediation-plan.json")
    assert plan.steps, "the examples run Kubernetes 1.9: there is something to plan"
    writes = [
        (c.method, c.path) for c in arm.calls() if c.route not in {"token", "graph", "fleet_credentials"}
    ]
    assert writes and all(method == "GET" for method, _ in writes), "planning never writes to Azure"
    assert {c.method for c in arm.calls("graph")} == {"POST"}  # Resource Graph queries are POSTs, reads


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ('{"kind": "ScanResult", "schemaVersion": "1.0"}', "RemediationPlan"),
        ('{"kind": "RemediationPlan", "schemaVersion": "9.0"}', "9.0"),
        (
            '{"kind": "RemediationPlan", "schemaVersion": "1.0", "createdAt": "2026-01-01T00:00:00Z",'
            ' "source": "demo", "steps": [{"id": "a", "clusterId": "c", "resourceId": "c",'
            ' "action": "delete-cluster", "policyIds": [], "from": {}, "to": {}, "reason": "r"}]}',
            "steps.0.action: Input should be",
        ),
        (
            '{"kind": "RemediationPlan", "schemaVersion": "1.0", "createdAt": "2026-01-01T00:00:00Z",'
            ' "source": "demo", "steps": [{"id": "a", "clusterId": "c", "resourceId": "c",'
            ' "action": "upgrade-node-image", "policyIds": [], "from": {}, "to": {}, "reason": "r",'
            ' "dependsOn": ["b"]}]}',
            "steps.0.dependsOn: b is not an earlier step of the plan",
        ),
    ],
)
def test_bad_plan_files_are_one_line_naming_the_file_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_plan(path)
    assert caught.value.message.startswith(f"{path}: ")
    assert message in caught.value.message
    assert "\n" not in caught.value.message


def test_remediate_with_a_broken_plan_is_exit_2_and_one_line_before_any_call(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"kind": "RemediationPlan", "schemaVersion": "1.0", "steps": []}', encoding="utf-8")
    code, out, err = run_cli("remediate", "--plan", str(path))
    assert (code, out) == (2, "")
    assert err == f"aks-auditor: error: {path}: createdAt: Field required (1 more)\n"


def test_set_overrides_a_policys_remediation_args_in_the_plan(tmp_path: Path) -> None:
    code, _, err = run_cli(
        "scan",
        "--demo",
        "--remediate",
        "-q",
        "--output-dir",
        str(tmp_path),
        "--set",
        "AKS-007.remediation.channel=SecurityPatch",
        "--set",
        "AKS-011.remediation.startTime=06:00",
        "--set",
        "AKS-011.remediation.durationHours=6",
    )
    assert (code, err) == (1, "")
    plan = load_plan(tmp_path / "remediation-plan.json")
    channels = {
        s.to["nodeOSUpgradeChannel"] for s in plan.steps if s.action.value == "set-node-os-upgrade-channel"
    }
    assert channels == {"SecurityPatch"}
    windows = [
        s.to["maintenanceWindow"]
        for s in plan.steps
        if s.resource_id.endswith("/aksManagedNodeOSUpgradeSchedule")
    ]
    assert windows and all((w["startTime"], w["durationHours"]) == ("06:00", 6) for w in windows)
    report = json.loads((tmp_path / "aks-auditor.json").read_text(encoding="utf-8"))
    assert {
        f["remediation"]["args"]["channel"]
        for f in report["findings"]
        if f["policyId"] == "AKS-007" and f["status"] == "fail"
    } == {"SecurityPatch"}, "the reports show the args the plan uses"


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("AKS-007.remediation.colour=x", "policy AKS-007 has no remediation arg 'colour' (args: channel)"),
        ("AKS-011.remediation.durationHours=long", "expected a int like 8"),
    ],
)
def test_bad_remediation_overrides_are_one_line(tmp_path: Path, assignment: str, message: str) -> None:
    code, _, err = run_cli(
        "scan", "--demo", "--remediate", "--set", assignment, "--output-dir", str(tmp_path)
    )
    assert code == 2
    assert err == f"aks-auditor: error: --set {assignment}: {message}\n"


def test_a_step_may_depend_only_on_a_step_of_its_own_cluster(tmp_path: Path) -> None:
    step = {
        "clusterId": "/c/a",
        "resourceId": "/c/a",
        "action": "upgrade-node-image",
        "policyIds": [],
        "from": {},
        "to": {},
        "reason": "r",
    }
    plan = {
        "kind": "RemediationPlan",
        "schemaVersion": "1.0",
        "createdAt": "2026-01-01T00:00:00Z",
        "source": "demo",
        "steps": [step | {"id": "a"}, step | {"id": "b", "clusterId": "/c/b", "dependsOn": ["a"]}],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    with pytest.raises(InputError, match=r"steps\.1\.dependsOn: a is a step of another cluster"):
        load_plan(path)


def test_a_billed_step_is_dropped_unless_costs_may_change() -> None:
    from auditor.remediation.apply import Outcome, judge
    from auditor.remediation.plan import Action, Step
    from auditor.remediation.target import Observed

    step = Step(
        id="s",
        cluster_id="/c",
        resource_id="/c",
        action=Action.SET_SKU_TIER,
        policy_ids=("AKS-005",),
        from_={"sku": {"tier": "Standard"}},
        to={"sku": {"tier": "Premium"}},
        reason="r",
    )
    seen = Observed({"sku": {"tier": "Standard"}}, "Succeeded", '"1"', {})
    refused = judge(step, seen)
    assert refused is not None and refused.outcome is Outcome.DROPPED
    assert refused.detail == "a tier change is billed: apply it with --allow-cost-changes"
    assert judge(step, seen, allow_cost_changes=True) is None
