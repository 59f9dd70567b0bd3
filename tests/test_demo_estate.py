"""The embedded demo estate: valid, gap-free, and every built-in policy both passes and fails on it.

The expected failures name resources, so a regression in a policy or in the demo data shows up here
rather than as a silently duller demo.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from auditor.demo import load_demo_estate
from auditor.findings import Finding, Severity, Status
from auditor.inventory import Estate
from auditor.policies.evaluator import Evaluator
from auditor.policies.loader import Selection, configure, load_policy_dirs
from auditor.release_calendar import demo_calendar
from auditor.resources import builtin_policies_dir

SUB_PROD = "3f1c2a7e-8b4d-4c61-9a2e-5d7b0c9e1f24"
SUB_NONPROD = "7a9e4b12-2c3d-4f8a-b6e1-0d5c9f3a8e71"
SUB_SHARED = "c42d81f0-6e3a-4b97-a1d5-8f2e6c0b93a7"
AKS = "providers/Microsoft.ContainerService/managedClusters"
FLEET_PROD = (
    f"/subscriptions/{SUB_SHARED}/resourceGroups/rg-fleet-platform"
    "/providers/Microsoft.ContainerService/fleets/contoso-fleet-prod"
)
FLEET_NONPROD = (
    f"/subscriptions/{SUB_SHARED}/resourceGroups/rg-fleet-platform"
    "/providers/Microsoft.ContainerService/fleets/contoso-fleet-nonprod"
)


def cluster_id(subscription: str, resource_group: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{resource_group}/{AKS}/{name}"


PROD_EUS = cluster_id(SUB_PROD, "rg-aks-prod-eastus", "aks-prod-eus-01")
PROD_WEU = cluster_id(SUB_PROD, "rg-aks-prod-westeurope", "aks-prod-weu-01")
PROD_SEA = cluster_id(SUB_PROD, "rg-aks-prod-southeastasia", "aks-prod-sea-01")
PAYMENTS = cluster_id(SUB_PROD, "rg-payments-prod", "aks-payments-prod-eus")
TEST_WEU = cluster_id(SUB_NONPROD, "rg-aks-test", "aks-test-weu-01")
QA_SEA = cluster_id(SUB_NONPROD, "rg-aks-qa", "aks-qa-sea-01")
PERF_EUS = cluster_id(SUB_NONPROD, "rg-aks-perf", "aks-perf-eus-02")
SANDBOX = cluster_id(SUB_NONPROD, "rg-aks-sandbox", "aks-sandbox-weu")
INGRESS = cluster_id(SUB_SHARED, "rg-shared-ingress", "aks-shared-ingress-eus")
TOOLS = cluster_id(SUB_SHARED, "rg-shared-tools", "aks-shared-tools-weu")
OBS = cluster_id(SUB_SHARED, "rg-shared-observability", "aks-shared-obs-sea")


@pytest.fixture(scope="module")
def estate() -> Estate:
    return load_demo_estate()


@pytest.fixture(scope="module")
def findings(estate: Estate) -> tuple[Finding, ...]:
    sources = load_policy_dirs(builtin_policies_dir(), [])
    configured = configure(
        sources, Selection(enable=frozenset({"FLEET-005", "AKS-015"}))
    )  # every one, off ones too
    return Evaluator(configured, estate.collected_at, demo_calendar()).evaluate(estate)


def _status(findings: tuple[Finding, ...], policy_id: str, resource_id: str) -> Status:
    matches = [f.status for f in findings if f.policy_id == policy_id and f.resource_id == resource_id]
    assert len(matches) == 1, f"{policy_id} has {len(matches)} findings for {resource_id}"
    return matches[0]


def test_every_builtin_policy_both_passes_and_fails(findings: tuple[Finding, ...]) -> None:
    statuses: dict[str, set[Status]] = defaultdict(set)
    for finding in findings:
        statuses[finding.policy_id].add(finding.status)
    builtin = {source.spec.id for source in load_policy_dirs(builtin_policies_dir(), [])}
    assert set(statuses) == builtin
    missing = {
        pid: sorted(s.value for s in found)
        for pid, found in statuses.items()
        if not {Status.PASS, Status.FAIL} <= found
    }
    assert missing == {}


def test_nothing_errors(findings: tuple[Finding, ...]) -> None:
    errors = [f"{f.policy_id} {f.resource_name}: {f.message}" for f in findings if f.status is Status.ERROR]
    assert errors == []


def test_high_severity_failures_exist(findings: tuple[Finding, ...]) -> None:
    high = {
        f.policy_id for f in findings if f.status is Status.FAIL and f.severity.rank >= Severity.HIGH.rank
    }
    assert {"AKS-001", "AKS-005", "FLEET-001", "FLEET-002", "FLEET-003"} <= high


def test_estate_shape(estate: Estate) -> None:
    assert estate.source == "demo"
    assert estate.coverage.complete
    assert len(estate.clusters) >= 10
    assert {c.subscription_id for c in estate.clusters} == {SUB_PROD, SUB_NONPROD, SUB_SHARED}
    assert {s.name for s in estate.scope.subscriptions} == {
        "contoso-prod",
        "contoso-nonprod",
        "contoso-shared",
    }
    assert {c.location for c in estate.clusters} == {"eastus", "westeurope", "southeastasia"}
    assert {c.location for c in estate.catalogs} == {"eastus", "westeurope", "southeastasia"}
    os_types = {p.os_type for c in estate.clusters for p in c.node_pools}
    assert os_types == {"Linux", "Windows"}
    assert any(c.support_plan == "AKSLongTermSupport" and c.sku_tier == "Premium" for c in estate.clusters)
    assert len(estate.fleets) == 2
    assert len(estate.hubs) == 2
    assert {h.fleet_id for h in estate.hubs} == {f.id for f in estate.fleets}


def test_everything_the_policies_read_was_collected(estate: Estate) -> None:
    assert all(c.maintenance_configurations is not None for c in estate.clusters)
    for fleet in estate.fleets:
        assert fleet.hub_profile is not None
        assert fleet.members is not None
        assert fleet.update_runs is not None
        assert fleet.update_strategies is not None
        assert fleet.auto_upgrade_profiles is not None
    for hub in estate.hubs:
        assert hub.error is None
        assert hub.member_clusters is not None
        assert hub.placements is not None
        assert hub.staged_update_runs is not None


def test_fleet_memberships_match_fleet_members(estate: Estate) -> None:
    from_clusters = {(m.fleet_id, m.member_name, c.id) for c in estate.clusters for m in c.fleet_memberships}
    from_fleets = {(f.id, m.name, m.cluster_resource_id) for f in estate.fleets for m in f.members or ()}
    assert from_clusters == from_fleets


def test_nothing_happens_after_collection(estate: Estate) -> None:
    """Time-relative data is relative to collectedAt: heartbeats and runs are in its past."""
    collected = estate.collected_at.isoformat().replace("+00:00", "Z")
    heartbeats = [
        agent.last_received_heartbeat
        for hub in estate.hubs
        for member in hub.member_clusters or ()
        for agent in member.agent_status
    ]
    runs = [run.start_time for fleet in estate.fleets for run in fleet.update_runs or ()]
    assert all(moment is not None and moment <= collected for moment in [*heartbeats, *runs])


@pytest.mark.parametrize(
    ("policy_id", "resource_id", "expected"),
    [
        ("AKS-001", PROD_EUS, Status.PASS),
        ("AKS-001", PAYMENTS, Status.PASS),  # LTS minor on AKSLongTermSupport + Premium
        ("AKS-001", QA_SEA, Status.FAIL),  # 1.31 is LTS-only and the cluster is on KubernetesOfficial
        ("AKS-001", SANDBOX, Status.FAIL),  # 1.35 is preview
        ("AKS-001", TOOLS, Status.FAIL),  # LTS minor without the Premium tier
        ("AKS-002", f"{PERF_EUS}/agentPools/npwin", Status.FAIL),
        ("AKS-002", f"{PERF_EUS}/agentPools/system", Status.PASS),
        ("AKS-003", PERF_EUS, Status.FAIL),  # Windows pool four minors behind
        ("AKS-004", TEST_WEU, Status.FAIL),  # 1.33.2 delisted
        ("AKS-005", TOOLS, Status.FAIL),
        ("AKS-005", PAYMENTS, Status.PASS),
        ("AKS-005", PROD_EUS, Status.SKIPPED),
        ("AKS-006", INGRESS, Status.FAIL),  # node-image channel
        ("AKS-006", TEST_WEU, Status.FAIL),  # none
        ("AKS-007", SANDBOX, Status.FAIL),
        ("AKS-008", f"{PROD_SEA}/agentPools/batch", Status.FAIL),
        ("AKS-008", f"{PROD_SEA}/agentPools/system", Status.PASS),  # security-patch date wins
        ("AKS-008", f"{PROD_EUS}/agentPools/win22", Status.PASS),
        ("AKS-009", f"{PROD_WEU}/agentPools/system", Status.FAIL),
        ("AKS-009", f"{PROD_EUS}/agentPools/apps", Status.PASS),
        ("AKS-009", f"{PAYMENTS}/agentPools/pci", Status.SKIPPED),  # not collected with --deep
        ("AKS-010", OBS, Status.FAIL),
        ("AKS-010", QA_SEA, Status.FAIL),
        ("AKS-011", PERF_EUS, Status.FAIL),
        ("AKS-012", TEST_WEU, Status.FAIL),  # legacy default configuration only
        ("AKS-012", QA_SEA, Status.FAIL),  # 2-hour window
        ("AKS-012", SANDBOX, Status.FAIL),  # node OS window while the channel is None
        ("AKS-012", PROD_WEU, Status.PASS),
        ("AKS-012", OBS, Status.SKIPPED),
        ("AKS-013", PROD_SEA, Status.FAIL),  # 1.32 ends 2026-12-15: 25 days, high
        ("AKS-013", QA_SEA, Status.FAIL),  # 1.31 community support ended: critical
        ("AKS-013", TOOLS, Status.FAIL),  # LTS plan on Standard: community end applies, long past
        ("AKS-013", PAYMENTS, Status.PASS),  # 1.31 on LTS with Premium until 2027-05-31
        ("AKS-013", PROD_EUS, Status.PASS),
        ("AKS-014", PROD_SEA, Status.PASS),  # patch channel, but the prod fleet's Stable profile moves it
        ("AKS-014", TOOLS, Status.FAIL),  # patch channel, in no fleet: nothing moves it off 1.30
        ("AKS-014", QA_SEA, Status.FAIL),
        ("AKS-014", INGRESS, Status.PASS),  # node-image, but 1.33 lasts beyond the horizon
        ("AKS-014", PAYMENTS, Status.PASS),
        ("FLEET-001", f"{FLEET_PROD}/memberclusters/prod-sea-01", Status.FAIL),
        ("FLEET-001", f"{FLEET_NONPROD}/memberclusters/perf-eus-02", Status.FAIL),
        ("FLEET-001", f"{FLEET_PROD}/memberclusters/prod-eus-01", Status.PASS),
        ("FLEET-002", f"{FLEET_PROD}/clusterresourceplacements/team-checkout", Status.FAIL),
        ("FLEET-002", f"{FLEET_PROD}/clusterresourceplacements/ingress-nginx", Status.FAIL),
        ("FLEET-002", f"{FLEET_PROD}/clusterresourceplacements/platform-baseline", Status.PASS),
        ("FLEET-002", f"{FLEET_NONPROD}/clusterresourceplacements/security-baseline-audit", Status.PASS),
        ("FLEET-002", f"{FLEET_NONPROD}/resourceplacements/storefront/storefront-config", Status.PASS),
        ("FLEET-003", f"{FLEET_PROD}/updateRuns/upgrade-1-34-2-nov", Status.FAIL),
        ("FLEET-003", f"{FLEET_NONPROD}/autoUpgradeProfiles/nonprod-target-1-34", Status.PASS),
        ("FLEET-003", f"{FLEET_NONPROD}/updateRuns/node-images-2026-11-16", Status.SKIPPED),
        ("FLEET-003", f"{FLEET_PROD}/autoUpgradeProfiles/prod-pin-1-33", Status.SKIPPED),
        ("FLEET-004", FLEET_NONPROD, Status.FAIL),
        ("FLEET-004", FLEET_PROD, Status.PASS),
        ("FLEET-005", PAYMENTS, Status.FAIL),
        ("FLEET-005", PROD_EUS, Status.PASS),
    ],
)
def test_named_resources(
    findings: tuple[Finding, ...], policy_id: str, resource_id: str, expected: Status
) -> None:
    assert _status(findings, policy_id, resource_id) is expected


def test_failed_placement_evidence_names_the_conflicting_manifest(findings: tuple[Finding, ...]) -> None:
    (finding,) = [
        f
        for f in findings
        if f.policy_id == "FLEET-002" and f.resource_id.endswith("/clusterresourceplacements/team-checkout")
    ]
    assert any("Namespace checkout" in entry for entry in finding.evidence["failedPlacements"])


def test_snapshot_round_trips(estate: Estate) -> None:
    assert Estate.model_validate_json(estate.model_dump_json(by_alias=True)) == estate


def test_horizon_findings_name_the_days_left_and_the_manual_hops(findings: tuple[Finding, ...]) -> None:
    def one(policy_id: str, resource_id: str) -> Finding:
        (found,) = [f for f in findings if f.policy_id == policy_id and f.resource_id == resource_id]
        return found

    soon, past = one("AKS-013", PROD_SEA), one("AKS-013", QA_SEA)
    assert (soon.severity, past.severity) == (Severity.HIGH, Severity.CRITICAL)
    assert soon.evidence["daysLeft"] == 25 and soon.evidence["endOfSupport"] == "2026-12-15"
    assert past.message == (
        "Cluster aks-qa-sea-01 runs 1.31, whose community support ended 2025-11-30 (355 days ago); the "
        "warning starts 90 days ahead."
    )
    assert past.escalation is not None and past.escalation.note == "the minor is past its end of support"
    assert one("AKS-014", QA_SEA).evidence["manualHops"] == "1.31 → 1.32 → 1.33"  # 1.32 ends within 90 days
    assert one("AKS-014", PROD_SEA).evidence["manualHops"] == "1.32 → 1.33"
    assert one("AKS-014", TOOLS).evidence["manualHops"] == "1.30 → 1.31 → 1.32 → 1.33"
