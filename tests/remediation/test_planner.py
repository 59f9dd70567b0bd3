"""Planning over the demo estate and variations of it: every failing finding is covered by a step or
listed for a person, upgrades go through fleets that orchestrate them, and nothing out of scope is planned."""

from __future__ import annotations

from auditor.findings import ScanResult, Status
from auditor.inventory import Estate
from auditor.inventory.base import normalize_id
from auditor.remediation.plan import Action, RemediationPlan, Via

from .conftest import Plan

QA = "/subscriptions/7a9e4b12-2c3d-4f8a-b6e1-0d5c9f3a8e71/resourceGroups/rg-aks-qa/providers/Microsoft.ContainerService/managedClusters/aks-qa-sea-01"
TOOLS = "/subscriptions/c42d81f0-6e3a-4b97-a1d5-8f2e6c0b93a7/resourceGroups/rg-shared-tools/providers/Microsoft.ContainerService/managedClusters/aks-shared-tools-weu"


def covered(plan: RemediationPlan, result: ScanResult) -> tuple[set[str], set[str]]:
    """Fingerprints of failing findings covered by a step (its policy on the finding's cluster, pool or
    fleet) and of those listed as manual."""
    manual = {item.fingerprint for item in plan.manual}
    by_step: set[str] = set()
    for finding in result.findings:
        rid = normalize_id(finding.resource_id)
        for step in plan.steps:
            scope = {normalize_id(step.resource_id), normalize_id(step.cluster_id)}
            members = step.from_.get("members", {}) if step.via is Via.FLEET else {}
            scope |= {normalize_id(m) for m in members}
            if finding.policy_id in step.policy_ids and any(
                rid == s or rid.startswith(s + "/") for s in scope
            ):
                by_step.add(finding.fingerprint)
    return by_step, manual


def test_every_failing_finding_of_the_demo_is_a_step_or_manual_and_nothing_else_is(
    plan: Plan, demo: tuple[Estate, ScanResult]
) -> None:
    made = plan()
    result = demo[1]
    failing = {f.fingerprint for f in result.findings if f.status is Status.FAIL}
    by_step, manual = covered(made, result)
    assert failing - by_step - manual == set(), "a failing finding the plan says nothing about"
    assert manual <= failing, "only failing findings are planned"
    assert by_step & manual == set() or all(
        item.why.startswith("after the planned steps") for item in made.manual if item.fingerprint in by_step
    )
    # every built-in policy that fails in the demo is named by the plan
    assert {f.policy_id for f in result.findings if f.status is Status.FAIL} == {
        *(p for s in made.steps for p in s.policy_ids),
        *(m.policy_id for m in made.manual),
    }


def test_the_plan_is_deterministic_and_ids_are_stable(plan: Plan) -> None:
    first, second = plan(), plan()
    assert first == second
    assert len({s.id for s in first.steps}) == len(first.steps)


def test_an_unsupported_cluster_gets_plane_then_pools_at_the_catalogs_latest_patch(plan: Plan) -> None:
    steps = [s for s in plan().steps if s.cluster_id == QA]
    plane = [s for s in steps if s.action is Action.UPGRADE_CONTROL_PLANE]
    pools = [s for s in steps if s.action is Action.UPGRADE_NODE_POOL]
    assert [(s.from_, s.to) for s in plane] == [
        ({"kubernetesVersion": "1.31.11"}, {"kubernetesVersion": "1.32.9"})
    ]
    assert {s.resource_id.rsplit("/", 1)[-1]: s.to["orchestratorVersion"] for s in pools} == {
        "qa": "1.32.9",
        "system": "1.32.9",
    }
    assert all(s.depends_on == (plane[0].id,) for s in pools), "pools after their control plane"
    assert set(plane[0].policy_ids) == {"AKS-001", "AKS-004", "AKS-013", "AKS-014"}


def test_only_limits_the_plan_to_the_named_policies(plan: Plan) -> None:
    made = plan(only=("AKS-007",))
    assert {s.action for s in made.steps} == {Action.SET_NODE_OS_UPGRADE_CHANNEL}
    assert {m.policy_id for m in made.manual} <= {"AKS-007"}


def test_a_tier_change_is_manual_unless_costs_may_change(plan: Plan) -> None:
    assert not [s for s in plan().steps if s.action is Action.SET_SKU_TIER]
    tiers = [s for s in plan(allow_cost_changes=True).steps if s.action is Action.SET_SKU_TIER]
    assert [(s.cluster_id, s.from_, s.to) for s in tiers] == [
        (TOOLS, {"sku": {"tier": "Standard"}}, {"sku": {"tier": "Premium"}})
    ]


def test_fleet_members_are_upgraded_by_an_update_run_unless_direct(
    plan: Plan, demo: tuple[Estate, ScanResult]
) -> None:
    made = plan()
    runs = [s for s in made.steps if s.via is Via.FLEET]
    assert [s.action for s in runs] == [Action.START_FLEET_UPDATE_RUN]
    members = set(runs[0].from_["members"])
    assert not [
        s
        for s in made.steps
        if s.via is Via.AKS and s.cluster_id in members and s.action.value.startswith("upgrade")
    ], "a fleet member with a strategy or auto-upgrade profile is never upgraded directly"
    assert runs[0].to["upgradeType"] == "Full"
    assert runs[0].to["updateStrategyId"].endswith("/updateStrategies/nonprod-rollout")
    direct = plan(direct=True)
    assert not [s for s in direct.steps if s.via is Via.FLEET]
    assert {s.cluster_id for s in direct.steps if s.action.value.startswith("upgrade")} & members


def test_a_fleet_with_a_member_outside_the_scope_gets_no_run(
    plan: Plan, demo: tuple[Estate, ScanResult]
) -> None:
    estate = demo[0]
    run = next(s for s in plan().steps if s.via is Via.FLEET)
    outside = next(iter(run.from_["members"]))
    smaller = estate.model_copy(
        update={"clusters": tuple(c for c in estate.clusters if normalize_id(c.id) != normalize_id(outside))}
    )
    made = plan(smaller)
    assert not [s for s in made.steps if s.via is Via.FLEET]
    assert any("outside the scan's scope" in m.why for m in made.manual)
    assert all(normalize_id(s.cluster_id) != normalize_id(outside) for s in made.steps)


def test_staggered_windows_of_one_subscription_do_not_share_a_start(
    plan: Plan, demo: tuple[Estate, ScanResult]
) -> None:
    estate = demo[0]
    bare = estate.model_copy(
        update={
            "clusters": tuple(
                c.model_copy(update={"maintenance_configurations": ()}) if "/7a9e4b12-" in c.id else c
                for c in estate.clusters
            )
        }
    )

    def starts(made: RemediationPlan, name: str) -> list[tuple[str, str]]:
        return [
            (
                s.to["maintenanceWindow"]["schedule"]["weekly"]["dayOfWeek"],
                s.to["maintenanceWindow"]["startTime"],
            )
            for s in made.steps
            if s.action is Action.ADD_MAINTENANCE_WINDOW
            and "/7a9e4b12-" in s.cluster_id
            and s.resource_id.endswith("/" + name)
        ]

    name = "aksManagedNodeOSUpgradeSchedule"
    plain, staggered = starts(plan(bare), name), starts(plan(bare, stagger=True), name)
    assert len(plain) == len(staggered) >= 3
    assert set(plain) == {("Saturday", "00:00")}, "without --stagger every cluster gets the policy's window"
    assert staggered[:3] == [("Saturday", "00:00"), ("Saturday", "08:00"), ("Saturday", "16:00")]
    assert len(set(staggered)) == len(staggered)


def test_a_cluster_with_an_upgrade_in_flight_gets_no_version_step(
    plan: Plan, demo: tuple[Estate, ScanResult]
) -> None:
    estate = demo[0]
    clusters = tuple(
        c.model_copy(update={"kubernetes_version": "1.32.9"}) if c.id == QA else c for c in estate.clusters
    )
    made = plan(estate.model_copy(update={"clusters": clusters}))
    assert not [s for s in made.steps if s.cluster_id == QA and s.action.value.startswith("upgrade")]
    assert any("already requested" in m.why for m in made.manual if m.resource_id.startswith(QA))


def test_a_hop_that_stays_within_the_horizon_says_so_and_more_hops_clear_it(plan: Plan) -> None:
    """aks-qa-sea-01 (1.31, past its end): one hop lands on 1.32, which ends 2026-12-15 in the demo's
    calendar, within AKS-013's 90 days; two hops reach 1.33 (2027-03-31)."""
    one = plan()
    why = {m.policy_id: m.why for m in one.manual if m.resource_id == QA}
    assert why["AKS-013"] == (
        "after the planned steps, 1.32 still leaves support within 90 days (2026-12-15): plan again once "
        "these steps are done, or raise --max-hops"
    )
    two = plan(max_hops=2)
    planes = [
        s.to["kubernetesVersion"]
        for s in two.steps
        if s.cluster_id == QA and s.action is Action.UPGRADE_CONTROL_PLANE
    ]
    assert planes == ["1.32.9", "1.33.5"]
    assert not [m for m in two.manual if m.resource_id == QA and m.policy_id in {"AKS-013", "AKS-014"}]
