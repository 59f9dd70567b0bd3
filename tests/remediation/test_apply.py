"""`aks-auditor remediate --plan` against the fake ARM through the real SDK clients and
DefaultAzureCredential: a dry run only reads, --apply writes each step once with If-Match, verifies it,
journals it, and a second run changes nothing."""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from auditor.remediation.plan import load_plan
from tests.collectors.azure.conftest import start_arm  # noqa: F401  # fixture
from tests.fakes.arm import Call, FakeArm, Fault
from tests.fakes.arm_estate import SUBSCRIPTION, ArmEstate, cluster_arm_id, fleet_arm_id, norm
from tests.fakes.arm_examples import AKS, FLEET, body, graph_row
from tests.fakes.arm_routes import error

from ..conftest import REPO, run_cli

OLD = cluster_arm_id(SUBSCRIPTION, "rg1", "old1")
WRITES = {"put_cluster", "put_pool", "upgrade_node_image", "put_maintenance", "put_run", "start_run"}


def estate() -> ArmEstate:
    """One cluster on 1.22.11 (below the catalog's 1.23-1.25), node OS channel None, no windows."""
    arm = ArmEstate(catalogs={"*": body(f"{AKS}/KubernetesVersions_List.json")})
    row = graph_row(body(f"{AKS}/ManagedClustersGet.json"))
    row |= {"id": OLD, "name": "old1", "location": "eastus"}
    props = row["properties"]
    props["kubernetesVersion"] = props["currentKubernetesVersion"] = "1.22.11"
    props["autoUpgradeProfile"] = {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "None"}
    pool = props["agentPoolProfiles"][0]
    pool["orchestratorVersion"] = pool["currentOrchestratorVersion"] = "1.22.11"
    props["agentPoolProfiles"].append(copy.deepcopy(pool) | {"name": "user1", "mode": "User"})
    arm.add_cluster(row, [])
    return arm


@pytest.fixture
def fake(start_arm: Callable[[ArmEstate], FakeArm]) -> FakeArm:  # noqa: F811
    return start_arm(estate())


def plan_for(fake: FakeArm, out: Path, *extra: str) -> Path:
    code, _, err = run_cli(
        "scan",
        "--arm-endpoint",
        fake.base,
        "--remediate",
        "--format",
        "json",
        "--output-dir",
        str(out),
        *extra,
    )
    assert code in (1, 3), err
    return out / "remediation-plan.json"


def remediate(fake: FakeArm, plan: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli(
        "remediate", "--plan", str(plan), "--arm-endpoint", fake.base, "--wait-interval", "0", *extra
    )


def writes(fake: FakeArm) -> list[Call]:
    return [c for c in fake.calls() if c.route in WRITES]


def journal(plan: Path) -> list[dict[str, Any]]:
    path = plan.with_name(plan.name + ".journal.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_dry_run_reads_only_then_apply_writes_each_step_once_and_a_rerun_changes_nothing(
    fake: FakeArm, tmp_path: Path
) -> None:
    plan_file = plan_for(fake, tmp_path)
    plan = load_plan(plan_file)
    actions = [s.action.value for s in plan.steps]
    assert actions[:3] == ["upgrade-control-plane", "upgrade-node-pool", "upgrade-node-pool"]
    assert "set-node-os-upgrade-channel" in actions
    before = len(fake.calls())

    code, out, err = remediate(fake, plan_file)
    assert (code, err) == (0, "")
    assert writes(fake) == [], "a dry run never writes"
    assert {c.method for c in fake.calls()[before:] if c.route != "token"} == {"GET"}
    assert "nothing was changed in Azure; --apply makes these changes." in out
    assert not plan_file.with_name(plan_file.name + ".journal.jsonl").exists()

    code, out, err = remediate(fake, plan_file, "--apply", "--yes")
    assert (code, err) == (0, ""), out
    cluster = fake.estate.cluster(OLD)
    assert cluster is not None
    props = cluster["properties"]
    assert props["currentKubernetesVersion"] == "1.23.15"
    assert {p["name"]: p["currentOrchestratorVersion"] for p in props["agentPoolProfiles"]} == {
        "nodepool1": "1.23.15",
        "user1": "1.23.15",
    }
    assert props["autoUpgradeProfile"]["nodeOSUpgradeChannel"] == "NodeImage"
    assert "judged again after a fresh collection of 1 subscription(s):" in out
    for fixed in ("AKS-001 old1", "AKS-002 old1/nodepool1", "AKS-002 old1/user1", "AKS-007 old1"):
        assert f"  fixed {fixed}: fail -> pass" in out.splitlines(), out
    made = writes(fake)
    assert len(made) == len(plan.steps), "one write per step"
    assert all(c.status in (200, 201, 202) for c in made)
    events = journal(plan_file)
    assert events[0]["event"] == "plan"
    assert {e["step"] for e in events if e["event"] == "verified"} == {s.id for s in plan.steps}

    code, out, _ = remediate(fake, plan_file, "--apply", "--yes")
    assert code == 0
    assert len(writes(fake)) == len(plan.steps), "a finished plan is never written again"
    assert sum(". done earlier " in line for line in out.splitlines()) == len(plan.steps)


OTHER_SUB = "11111111-2222-3333-4444-555555555555"
OTHER = cluster_arm_id(OTHER_SUB, "rg1", "old9")


def two_subscriptions() -> ArmEstate:
    """The estate plus the same cluster again, ``old9``, in another subscription."""
    arm = estate()
    elsewhere = copy.deepcopy(arm.cluster(OLD))
    assert elsewhere is not None
    elsewhere |= {"id": OTHER, "name": "old9", "subscriptionId": OTHER_SUB}
    arm.add_cluster(elsewhere, [])
    return arm


def _step_calls(fake: FakeArm, route: str, resource: str) -> list[Call]:
    return [c for c in fake.calls(route) if c.path.lower() == resource.lower()]


def test_a_412_rereads_and_a_changed_premise_drops_the_step_and_blocks_its_dependents(
    fake: FakeArm, tmp_path: Path
) -> None:
    plan_file = plan_for(fake, tmp_path)
    cluster = fake.estate.cluster(OLD)
    assert cluster is not None

    def someone_else_upgrades(call: Call) -> bool:
        cluster["properties"]["kubernetesVersion"] = cluster["properties"]["currentKubernetesVersion"] = (
            "1.23.12"
        )
        fake.writes.bump(OLD)
        return True

    fake.inject(
        "put_cluster",
        Fault(status=412, body=error("PreconditionFailed", "etag"), match=someone_else_upgrades),
    )
    code, out, _ = remediate(fake, plan_file, "--apply", "--yes")
    assert code == 1
    lines = out.splitlines()
    assert any(
        "dropped upgrade-control-plane old1: now kubernetesVersion 1.23.12; the plan expected kubernetesVersion 1.22.11"
        in line
        for line in lines
    ), out
    assert sum("blocked upgrade-node-pool" in line for line in lines) == 2
    assert next(c.status for c in _step_calls(fake, "put_cluster", OLD)) == 412
    assert not fake.calls("put_pool"), "a pool is never upgraded when its control plane step did not happen"
    assert cluster["properties"]["autoUpgradeProfile"]["nodeOSUpgradeChannel"] == "NodeImage", "others go on"


def test_a_409_waits_and_retries(fake: FakeArm, tmp_path: Path) -> None:
    plan_file = plan_for(fake, tmp_path)
    fake.inject(
        "put_pool", Fault(status=409, body=error("OperationNotAllowed", "another operation is in progress"))
    )
    code, out, _ = remediate(fake, plan_file, "--apply", "--yes")
    assert code == 0, out
    assert [c.status for c in fake.calls("put_pool")].count(409) == 1
    assert len([c for c in fake.calls("put_pool") if c.status == 200]) == 2


def test_an_operation_that_fails_stops_its_dependents_only_and_exits_1(fake: FakeArm, tmp_path: Path) -> None:
    plan_file = plan_for(fake, tmp_path)
    fake.writes.fail.add(norm(OLD))
    code, out, _ = remediate(fake, plan_file, "--apply", "--yes")
    assert code == 1
    assert "failed upgrade-control-plane old1: HTTP " in out or "failed upgrade-control-plane old1:" in out
    assert out.count("blocked upgrade-node-pool") == 2
    assert not fake.calls("put_pool")
    events = journal(plan_file)
    assert [e["event"] for e in events if e.get("step", "").startswith("upgrade-control-plane")] == [
        "started",
        "started",
        "failed",
    ]


def test_a_plan_applied_after_the_cluster_changed_is_revalidated(fake: FakeArm, tmp_path: Path) -> None:
    plan_file = plan_for(fake, tmp_path)
    cluster = fake.estate.cluster(OLD)
    assert cluster is not None
    cluster["properties"]["autoUpgradeProfile"]["nodeOSUpgradeChannel"] = "SecurityPatch"
    code, out, _ = remediate(fake, plan_file)
    assert code == 0
    assert (
        "dropped set-node-os-upgrade-channel old1: now nodeOSUpgradeChannel SecurityPatch; the plan expected nodeOSUpgradeChannel None"
        in out
    )
    code, out, _ = remediate(fake, plan_file, "--apply", "--yes")
    assert cluster["properties"]["autoUpgradeProfile"]["nodeOSUpgradeChannel"] == "SecurityPatch", (
        "never overwritten"
    )


def test_apply_without_a_terminal_needs_yes(fake: FakeArm, tmp_path: Path) -> None:
    plan_file = plan_for(fake, tmp_path)
    code, out, err = remediate(fake, plan_file, "--apply")
    assert (code, out) == (2, "")
    assert err == "aks-auditor: error: --apply without a terminal needs --yes (nothing was changed)\n"
    assert writes(fake) == []


def test_a_run_killed_mid_apply_resumes_without_writing_twice(fake: FakeArm, tmp_path: Path) -> None:
    """A real ``kill -9`` of the CLI while ARM still runs the control plane upgrade it accepted; the
    re-run polls that operation through the journal's continuation token instead of sending it again."""
    plan_file = plan_for(fake, tmp_path)
    journal_file = plan_file.with_name(plan_file.name + ".journal.jsonl")
    fake.writes.held = True
    argv = [
        sys.executable,
        "-m",
        "auditor",
        "remediate",
        "--plan",
        str(plan_file),
        "--arm-endpoint",
        fake.base,
    ]
    child = subprocess.Popen([*argv, "--apply", "--yes", "--wait-interval", "0", "-q"], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            lines = journal_file.read_text(encoding="utf-8").splitlines() if journal_file.exists() else []
            if any('"token"' in line for line in lines):
                break
            assert child.poll() is None, "the child ended before its first write was accepted"
            time.sleep(0.05)
        else:
            pytest.fail("no write was started within 60 s")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert len(fake.calls("put_cluster")) == 1
    fake.writes.held = False
    code, out, _ = remediate(fake, plan_file, "--apply", "--yes")
    assert code == 0, out
    assert len(fake.calls("put_cluster")) == 2, "the plane once, the channel once: nothing sent twice"
    first, second = ((c.request or {})["properties"] for c in fake.calls("put_cluster"))
    assert first["kubernetesVersion"] == "1.23.15"  # sent once, before the kill
    assert second["autoUpgradeProfile"]["nodeOSUpgradeChannel"] == "NodeImage"
    cluster = fake.estate.cluster(OLD)
    assert cluster is not None and cluster["properties"]["currentKubernetesVersion"] == "1.23.15"
    assert "applied upgrade-control-plane old1" in out


def test_fleet_members_are_upgraded_by_one_update_run_created_and_started_once(
    start_arm: Callable[[ArmEstate], FakeArm],  # noqa: F811
    tmp_path: Path,
) -> None:
    arm = estate()
    second = copy.deepcopy(arm.cluster(OLD))
    assert second is not None
    other = cluster_arm_id(SUBSCRIPTION, "rg1", "old2")
    second |= {"id": other, "name": "old2"}
    arm.add_cluster(second, [])
    fleet_id = fleet_arm_id(SUBSCRIPTION, "rg1", "fleet-1")
    arm.add_fleet(
        graph_row(body(f"{FLEET}/Fleets_Get.json")) | {"id": fleet_id, "subscriptionId": SUBSCRIPTION}
    )
    for name, cluster in (("m1", OLD), ("m2", other)):
        member = body(f"{FLEET}/FleetMembers_Get.json")
        member["properties"]["clusterResourceId"] = cluster
        arm.add_fleet_child(fleet_id, "members", member, name)
    arm.add_fleet_child(fleet_id, "updateStrategies", body(f"{FLEET}/UpdateStrategies_Get.json"), "rollout")
    fake = start_arm(arm)
    plan_file = plan_for(fake, tmp_path)
    plan = load_plan(plan_file)
    [run] = [s for s in plan.steps if s.action.value == "start-fleet-update-run"]
    assert run.to["kubernetesVersion"] == "1.23.15"
    assert run.to["updateStrategyId"].endswith("/updateStrategies/rollout")
    assert not [s for s in plan.steps if s.action.value.startswith("upgrade")], (
        "members are not upgraded directly"
    )

    code, out, _ = remediate(fake, plan_file, "--apply", "--yes")
    assert code == 0, out
    assert [c.status for c in fake.calls("put_run")] == [201]
    assert [c.status for c in fake.calls("start_run")] == [202]
    sent = fake.calls("put_run")[0].request or {}
    assert sent["properties"]["managedClusterUpdate"]["upgrade"] == {
        "type": "Full",
        "kubernetesVersion": "1.23.15",
    }
    for cluster_id in (OLD, other):
        row = fake.estate.cluster(cluster_id)
        assert row is not None and row["properties"]["currentKubernetesVersion"] == "1.23.15"
    assert not fake.calls("put_pool") and not [
        c
        for c in fake.calls("put_cluster")
        if (c.request or {})["properties"]["kubernetesVersion"] != "1.22.11"
    ], "nothing is upgraded around the fleet"


def test_scan_remediate_apply_is_the_one_shot_form(fake: FakeArm, tmp_path: Path) -> None:
    code, out, err = run_cli(
        "scan", "--arm-endpoint", fake.base, "--remediate", "--apply", "--yes", "--output-dir", str(tmp_path)
    )
    assert (code, err) == (0, ""), out
    plan = load_plan(tmp_path / "remediation-plan.json")
    assert len(writes(fake)) == len(plan.steps)
    assert "nothing was changed in Azure." not in out
    assert f"applied: {len(plan.steps)} applied; journal: " in out
    cluster = fake.estate.cluster(OLD)
    assert cluster is not None and cluster["properties"]["currentKubernetesVersion"] == "1.23.15"


@pytest.mark.parametrize("source", [["--demo"], ["--inventory", "estate.json"]])
def test_apply_after_a_scan_needs_a_live_scan(tmp_path: Path, source: list[str]) -> None:
    code, out, err = run_cli(
        "scan", *source, "--remediate", "--apply", "--yes", "--output-dir", str(tmp_path)
    )
    assert (code, out) == (2, "")
    used = source[0]
    assert err == (
        f"aks-auditor: error: --apply changes Azure and needs a live scan (not {used}); "
        "apply a saved plan with aks-auditor remediate --plan\n"
    )


def _window(**schedule: Any) -> dict[str, Any]:
    return {
        "id": f"{OLD}/maintenanceConfigurations/aksManagedAutoUpgradeSchedule",
        "name": "aksManagedAutoUpgradeSchedule",
        "properties": {"maintenanceWindow": {"durationHours": 4, "utcOffset": "+00:00", **schedule}},
    }


def test_respecting_maintenance_windows_defers_upgrades_outside_them(fake: FakeArm, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    closed_day = (now + timedelta(days=3)).strftime("%A")  # a weekly window 3 days away: closed now
    fake.estate.maintenance[norm(OLD)] = [
        _window(schedule={"weekly": {"intervalWeeks": 1, "dayOfWeek": closed_day}}, startTime="00:00")
    ]
    plan_file = plan_for(fake, tmp_path)
    code, out, _ = remediate(fake, plan_file, "--apply", "--yes", "--respect-maintenance-window")
    assert code == 0, out
    assert "deferred upgrade-control-plane old1: outside aksManagedAutoUpgradeSchedule; next opens " in out
    assert out.count("deferred upgrade-node-pool") == 2
    assert "applied set-node-os-upgrade-channel old1" in out, "settings are not upgrades: never deferred"
    assert not [
        c
        for c in fake.calls("put_cluster")
        if (c.request or {})["properties"]["kubernetesVersion"] != "1.22.11"
    ]

    opened = (now - timedelta(hours=1)).strftime("%H:00")  # a daily window that started an hour ago
    fake.estate.maintenance[norm(OLD)] = [_window(schedule={"daily": {"intervalDays": 1}}, startTime=opened)]
    code, out, _ = remediate(fake, plan_file, "--apply", "--yes", "--respect-maintenance-window")
    assert code == 0, out
    assert "applied upgrade-control-plane old1" in out
    cluster = fake.estate.cluster(OLD)
    assert cluster is not None and cluster["properties"]["currentKubernetesVersion"] == "1.23.15"


def test_nothing_outside_the_scans_scope_is_planned_or_touched(
    start_arm: Callable[[ArmEstate], FakeArm],  # noqa: F811
    tmp_path: Path,
) -> None:
    fake = start_arm(two_subscriptions())
    plan_file = plan_for(fake, tmp_path, "--subscription", SUBSCRIPTION)
    plan = load_plan(plan_file)
    assert plan.steps and all(SUBSCRIPTION in s.cluster_id for s in plan.steps)
    code, out, _ = remediate(fake, plan_file, "--apply", "--yes")
    assert code == 0, out
    assert writes(fake) and all(SUBSCRIPTION in c.path for c in writes(fake))
    assert not [c for c in fake.calls() if OTHER_SUB in c.path], "the other subscription is never even read"
    row = fake.estate.cluster(OTHER)
    assert row is not None and row["properties"]["currentKubernetesVersion"] == "1.22.11"


@pytest.mark.parametrize("deep", [True, False], ids=["latest known", "latest unknown"])
def test_a_stale_node_image_is_upgraded_with_the_node_image_operation(
    start_arm: Callable[[ArmEstate], FakeArm],  # noqa: F811
    tmp_path: Path,
    deep: bool,
) -> None:
    """With --deep the plan names the latest image; without it the step says "latest" and is verified by
    the image having moved."""
    arm = estate()
    row = arm.cluster(OLD)
    assert row is not None
    row["properties"]["kubernetesVersion"] = row["properties"]["currentKubernetesVersion"] = "1.25.5"
    for pool in row["properties"]["agentPoolProfiles"]:
        pool["orchestratorVersion"] = pool["currentOrchestratorVersion"] = "1.25.5"
        pool["nodeImageVersion"] = "AKSUbuntu-2204gen2containerd-202401.09.0"
        pool["latestNodeImageVersion"] = "AKSUbuntu-2204gen2containerd-202405.20.0"
    fake = start_arm(arm)
    plan_file = plan_for(fake, tmp_path, *(["--deep"] if deep else []))
    images = [s for s in load_plan(plan_file).steps if s.action.value == "upgrade-node-image"]
    assert {s.resource_id.rsplit("/", 1)[-1] for s in images} == {"nodepool1", "user1"}
    latest = "AKSUbuntu-2204gen2containerd-202405.20.0" if deep else "latest"
    assert {s.to["nodeImageVersion"] for s in images} == {latest}
    code, out, _ = remediate(fake, plan_file, "--apply", "--yes")
    assert code == 0, out
    assert [c.status for c in fake.calls("upgrade_node_image")] == [202, 202]
    assert {p["nodeImageVersion"] for p in row["properties"]["agentPoolProfiles"]} == {
        "AKSUbuntu-2204gen2containerd-202405.20.0"
    }


def _tamper(plan_file: Path, change: Callable[[dict[str, Any]], None]) -> None:
    raw = json.loads(plan_file.read_text(encoding="utf-8"))
    change(raw)
    plan_file.write_text(json.dumps(raw), encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "dropped"),
    [
        (
            lambda raw: raw["steps"][0]["to"].update(kubernetesVersion="1.24.9"),
            "dropped upgrade-control-plane old1: 1.22.11 -> 1.24.9 would skip a minor",
        ),
        (
            lambda raw: raw["steps"][0]["to"].update(kubernetesVersion="1.21.14"),
            "dropped upgrade-control-plane old1: 1.21.14 would downgrade 1.22.11",
        ),
    ],
)
def test_a_plan_file_that_breaks_the_rules_is_never_applied(
    fake: FakeArm, tmp_path: Path, edit: Callable[[dict[str, Any]], None], dropped: str
) -> None:
    plan_file = plan_for(fake, tmp_path)
    _tamper(plan_file, edit)
    code, out, _ = remediate(fake, plan_file, "--apply", "--yes")
    assert code == 1  # the pools that depend on it are blocked
    assert dropped in out
    assert not [
        c
        for c in fake.calls("put_cluster")
        if (c.request or {})["properties"]["kubernetesVersion"] != "1.22.11"
    ]
    assert not fake.calls("put_pool")


def test_a_pool_is_never_raised_above_its_control_plane(fake: FakeArm, tmp_path: Path) -> None:
    plan_file = plan_for(fake, tmp_path)
    _tamper(plan_file, lambda raw: raw["steps"][0]["to"].update(kubernetesVersion="1.23.12"))
    code, out, _ = remediate(fake, plan_file, "--apply", "--yes")
    assert code == 0, out  # dropped steps are reported, not failures
    assert out.count("is above the control plane's 1.23.12") == 2
    assert not fake.calls("put_pool")
    cluster = fake.estate.cluster(OLD)
    assert cluster is not None and cluster["properties"]["currentKubernetesVersion"] == "1.23.12"


def test_remediate_keeps_to_the_subscriptions_it_is_given_and_refuses_options_it_cannot_honour(
    start_arm: Callable[[ArmEstate], FakeArm],  # noqa: F811
    tmp_path: Path,
) -> None:
    fake = start_arm(two_subscriptions())
    plan_file = plan_for(fake, tmp_path)
    assert {s.cluster_id for s in load_plan(plan_file).steps} == {OLD, OTHER}
    code, out, _ = remediate(fake, plan_file, "--apply", "--yes", "--exclude-subscription", OTHER_SUB)
    assert code == 0, out
    assert writes(fake) and not [c for c in writes(fake) if OTHER_SUB in c.path]
    code, _, err = remediate(fake, plan_file, "--management-group", "platform")
    assert code == 2
    assert (
        err
        == "aks-auditor: error: --management-group does nothing with --plan (its steps name their resources)\n"
    )


def test_a_journal_that_cannot_be_written_stops_before_any_write(fake: FakeArm, tmp_path: Path) -> None:
    plan_file = plan_for(fake, tmp_path)
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    target = tmp_path / "a-file" / "run.jsonl"
    code, out, err = remediate(fake, plan_file, "--apply", "--yes", "--journal", str(target))
    assert (code, out) == (4, ""), err
    assert err.startswith(f"aks-auditor: error: {target}: cannot write the journal: ")
    assert writes(fake) == []
