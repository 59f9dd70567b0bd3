"""The normalizer reads every relevant official example (x-ms-examples) into the inventory models."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.collectors.azure import normalize, normalize_fleet
from auditor.collectors.interface import PayloadError
from auditor.inventory import DateSpan, Fleet, TimeInWeek
from tests.fakes.arm_examples import AKS, AKS_LEGACY, FLEET, body, graph_row


def test_managed_cluster_get_with_inline_node_pools() -> None:
    cluster = normalize.cluster(graph_row(body(f"{AKS}/ManagedClustersGet.json")))
    assert cluster.id.endswith("/managedClusters/clustername1")
    assert (cluster.subscription_id, cluster.resource_group) == (
        "00000000-0000-0000-0000-000000000000",
        "rg1",
    )
    assert (cluster.location, cluster.kubernetes_version, cluster.current_kubernetes_version) == (
        "location1",
        "1.9.6",
        "1.9.6",
    )
    assert cluster.tags == {"archv2": "", "tier": "production"}
    assert cluster.provisioning_state == "Succeeded"
    assert cluster.auto_upgrade_profile is None and cluster.sku_tier is None
    assert cluster.maintenance_configurations is None  # a separate call: not collected yet
    [pool] = cluster.node_pools
    assert (pool.name, pool.count, pool.os_type, pool.node_image_version) == (
        "nodepool1",
        3,
        "Linux",
        "AKSUbuntu:1604:2020.03.11",
    )
    assert (pool.orchestrator_version, pool.current_orchestrator_version) == ("1.9.6", "1.9.6")


@pytest.mark.parametrize("name", ["ManagedClustersList.json", "ManagedClustersListByResourceGroup.json"])
def test_managed_cluster_lists(name: str) -> None:
    clusters = [normalize.cluster(graph_row(item)) for item in body(f"{AKS}/{name}")["value"]]
    assert [c.name for c in clusters] == ["clustername1"]
    assert clusters[0].node_pools[0].name == "nodepool1"


def test_premium_lts_cluster_and_the_fields_no_example_has() -> None:
    raw = graph_row(body(f"{AKS}/ManagedClustersCreate_Premium.json"))
    raw["properties"]["autoUpgradeProfile"] = {"upgradeChannel": "rapid", "nodeOSUpgradeChannel": "Wobbly"}
    raw["properties"]["powerState"] = {"code": "Stopped"}
    raw["properties"]["agentPoolProfiles"][0] |= {"osSKU": "AzureLinux", "powerState": {"code": "Running"}}
    cluster = normalize.cluster(raw)
    assert (cluster.sku_tier, cluster.support_plan) == ("Premium", "AKSLongTermSupport")
    assert cluster.auto_upgrade_profile is not None
    assert cluster.auto_upgrade_profile.upgrade_channel == "rapid"
    assert cluster.auto_upgrade_profile.node_os_upgrade_channel == "Wobbly"  # unknown enum value kept
    assert cluster.power_state == "Stopped"
    pool = cluster.node_pools[0]
    assert (pool.mode, pool.os_sku, pool.power_state) == ("System", "AzureLinux", "Running")


def test_agent_pool_examples_match_the_inline_profile_shape() -> None:
    # AgentPools_Get/List wrap the same fields in ``properties``; the inline profile is what ARG returns.
    pool = body(f"{AKS}/AgentPoolsGet.json")
    raw = graph_row(body(f"{AKS}/ManagedClustersGet.json"))
    raw["properties"]["agentPoolProfiles"] = [{"name": pool["name"], **pool["properties"]}]
    assert normalize.cluster(raw).node_pools[0].name == "agentpool1"
    listed = body(f"{AKS}/AgentPoolsList.json")["value"]
    raw["properties"]["agentPoolProfiles"] = [{"name": p["name"], **p["properties"]} for p in listed]
    assert [p.name for p in normalize.cluster(raw).node_pools] == [p["name"] for p in listed]


def test_maintenance_windows_daily_and_absolute_monthly() -> None:
    items = body(f"{AKS}/MaintenanceConfigurationsList_MaintenanceWindow.json")["value"]
    node_os, auto = (normalize.maintenance_configuration(item) for item in items)
    assert (node_os.name, node_os.schedule_kind, node_os.interval_days) == (
        "aksManagedNodeOSUpgradeSchedule",
        "daily",
        5,
    )
    assert (node_os.duration_hours, node_os.utc_offset, node_os.start_time, node_os.start_date) == (
        10,
        "-07:00",
        "13:30",
        "2023-01-01",
    )
    assert (auto.schedule_kind, auto.day_of_month, auto.interval_months) == ("absoluteMonthly", 15, 3)
    assert auto.not_allowed_dates == (
        DateSpan(start="2023-02-18", end="2023-02-25"),
        DateSpan(start="2023-12-23", end="2024-01-05"),
    )


def test_maintenance_window_get_weekly_and_relative_monthly() -> None:
    got = normalize.maintenance_configuration(
        body(f"{AKS}/MaintenanceConfigurationsGet_MaintenanceWindow.json")
    )
    assert got.schedule_kind == "daily"
    example = f"{AKS}/MaintenanceConfigurationsCreate_Update_MaintenanceWindow.json"
    weekly = normalize.maintenance_configuration(body(example))
    assert (weekly.schedule_kind, weekly.day_of_week, weekly.interval_weeks) == ("weekly", "Monday", 3)
    from tests.fakes.arm_examples import example as whole

    request = whole(example)["parameters"]["parameters"]  # the request side is relativeMonthly
    relative = normalize.maintenance_configuration({"name": "x", **request})
    assert (relative.schedule_kind, relative.week_index, relative.day_of_week) == (
        "relativeMonthly",
        "First",
        "Monday",
    )


@pytest.mark.parametrize(
    ("name", "status"),
    [("MaintenanceConfigurationsList.json", None), ("MaintenanceConfigurationsCreate_Update.json", "200")],
)
def test_legacy_default_configuration_is_time_in_week(name: str, status: str | None) -> None:
    raw = body(f"{AKS_LEGACY}/{name}")
    item = raw["value"][0] if status is None else raw
    config = normalize.maintenance_configuration(item)
    assert (config.name, config.schedule_kind) == ("default", "timeInWeek")
    assert config.time_in_week == (TimeInWeek(day="Monday", hour_slots=(1, 2)),)
    assert config.not_allowed_time == (DateSpan(start="2020-11-26T03:00:00Z", end="2020-11-30T12:00:00Z"),)


def test_kubernetes_versions_catalog_reads_values() -> None:
    catalog = normalize.version_catalog("eastus", body(f"{AKS}/KubernetesVersions_List.json"))
    assert [m.version for m in catalog.versions] == ["1.23", "1.24", "1.25", "1.26"]
    minor = {m.version: m for m in catalog.versions}
    assert minor["1.24"].is_default and minor["1.26"].is_preview and not minor["1.23"].is_preview
    assert minor["1.23"].support_plans == ("KubernetesOfficial",)
    assert minor["1.23"].patch_versions == {
        "1.23.12": ("1.23.15", "1.24.6", "1.24.9"),
        "1.23.15": ("1.24.6", "1.24.9"),
    }
    assert minor["1.26"].patch_versions == {"1.26.0": ()}


def test_upgrade_profiles() -> None:
    cluster_id = "/subscriptions/s/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/c"
    profile = normalize.cluster_upgrade_profile(
        body(f"{AKS}/ManagedClustersGetUpgradeProfile.json"), cluster_id
    )
    assert (profile.kubernetes_version, profile.upgrades) == ("1.7.7", ("1.7.9", "1.7.11"))
    latest = normalize.pool_latest_node_image(body(f"{AKS}/AgentPoolsGetUpgradeProfile.json"), cluster_id)
    assert latest == "AKSUbuntu:1604:2020.03.11"


@pytest.mark.parametrize(
    "name", ["Fleets_Get.json", "Fleets_ListBySub.json", "Fleets_ListByResourceGroup.json"]
)
def test_fleets(name: str) -> None:
    raw = body(f"{FLEET}/{name}")
    fleets = [normalize_fleet.fleet(graph_row(item)) for item in raw.get("value", [raw])]
    fleet = fleets[0]
    assert fleet.id.endswith("/resourcegroups/rg1/providers/Microsoft.ContainerService/fleets/fleet1")
    assert (fleet.name, fleet.location, fleet.provisioning_state) == ("fleet-1", "East US", "Succeeded")
    assert fleet.hub_profile is not None and fleet.hub_profile.dns_prefix == "dnsprefix1"
    assert fleet.members is None and fleet.update_runs is None  # child lists: not collected yet


def test_fleet_members() -> None:
    member = normalize_fleet.fleet_member(body(f"{FLEET}/FleetMembers_Get.json"))
    assert (member.name, member.group, member.provisioning_state) == ("member-1", "fleet1", "Succeeded")
    assert member.cluster_resource_id is not None and member.cluster_resource_id.endswith("/cluster-1")
    assert member.labels["env"] == "production"
    [listed] = [
        normalize_fleet.fleet_member(m) for m in body(f"{FLEET}/FleetMembers_ListByFleet.json")["value"]
    ]
    assert listed.group is None and listed.labels == {}
    assert normalize_fleet.fleet_id_of(listed.id or "") == (
        "/subscriptions/subid1/resourcegroups/rg1/providers/microsoft.containerservice/fleets/fleet-1"
    )


def test_fleet_id_of_anchors_on_the_provider() -> None:
    child = "/subscriptions/s/resourceGroups/fleets/providers/Microsoft.ContainerService/fleets/f1/members/m"
    assert normalize_fleet.fleet_id_of(child) == (
        "/subscriptions/s/resourcegroups/fleets/providers/microsoft.containerservice/fleets/f1"
    )
    with pytest.raises(PayloadError, match=r"not a child of a Microsoft\.ContainerService/fleets"):
        normalize_fleet.fleet_id_of("/subscriptions/s/resourceGroups/fleets/providers/Other/things/x")


@pytest.mark.parametrize("name", ["UpdateRuns_Get.json", "UpdateRuns_ListByFleet.json"])
def test_update_runs(name: str) -> None:
    raw = body(f"{FLEET}/{name}")
    run = normalize_fleet.update_run(raw.get("value", [raw])[0])
    assert (run.name, run.state, run.provisioning_state) == ("run1", "Pending", "Succeeded")
    assert (run.upgrade_type, run.target_kubernetes_version, run.node_image_selection) == (
        "Full",
        "1.26.1",
        "Latest",
    )
    assert run.created_at == "2023-03-01T01:10:08.395Z"
    [stage] = run.stages
    assert (stage.name, stage.state, stage.groups[0].name, stage.groups[0].state) == (
        "stage1",
        "Pending",
        "group-a",
        "NotStarted",
    )
    [member] = stage.groups[0].members
    assert (member.name, member.state) == ("member-one", "NotStarted")
    assert run.member_cluster_ids() == (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myClusters/providers/Microsoft.ContainerService/managedClusters/myCluster",
    )


@pytest.mark.parametrize("name", ["UpdateStrategies_Get.json", "UpdateStrategies_ListByFleet.json"])
def test_update_strategies(name: str) -> None:
    raw = body(f"{FLEET}/{name}")
    strategy = normalize_fleet.update_strategy(raw.get("value", [raw])[0])
    assert strategy.name == "strategy1"
    [stage] = strategy.stages
    assert (stage.name, stage.groups, stage.after_stage_wait_in_seconds) == ("stage1", ("group-a",), 3600)


@pytest.mark.parametrize("name", ["AutoUpgradeProfiles_Get.json", "AutoUpgradeProfiles_ListByFleet.json"])
def test_auto_upgrade_profiles(name: str) -> None:
    raw = body(f"{FLEET}/{name}")
    profile = normalize_fleet.auto_upgrade_profile(raw.get("value", [raw])[0])
    assert (profile.name, profile.channel, profile.disabled, profile.node_image_selection) == (
        "autoupgradeprofile1",
        "Stable",
        True,
        "Latest",
    )
    assert profile.update_strategy_id is not None and profile.update_strategy_id.endswith("/strategy1")
    assert profile.long_term_support is None and profile.target_kubernetes_version is None


def test_fleet_memberships_join_case_insensitively() -> None:
    cluster = normalize.cluster(graph_row(body(f"{AKS}/ManagedClustersGet.json")))
    member = body(f"{FLEET}/FleetMembers_Get.json")
    member["properties"]["clusterResourceId"] = cluster.id.upper()
    fleet = Fleet(
        id="/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/fleets/f", name="f"
    )
    fleet = fleet.model_copy(update={"members": (normalize_fleet.fleet_member(member),)})
    other = cluster.model_copy(update={"id": cluster.id + "x"})
    joined, alone = normalize.attach_memberships([cluster, other], [fleet])
    assert [(m.fleet_id, m.member_name, m.group) for m in joined.fleet_memberships or ()] == [
        (fleet.id, "member-1", "fleet1")
    ]
    assert alone.fleet_memberships == ()
    # A second fleet whose members could not be read: "in no fleet" is no longer known.
    unread = Fleet(id=fleet.id + "2", name="f2")
    joined, alone = normalize.attach_memberships([cluster, other], [fleet, unread])
    assert joined.fleet_memberships is not None and len(joined.fleet_memberships) == 1
    assert alone.fleet_memberships is None


def _broken(path: list[str], value: Any) -> dict[str, Any]:
    raw = graph_row(body(f"{AKS}/ManagedClustersGet.json"))
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return raw


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["properties"], "oops", "properties: expected an object, got str"),
        (["properties", "agentPoolProfiles"], {"a": 1}, "properties.agentPoolProfiles: expected a list"),
        (
            ["properties", "autoUpgradeProfile"],
            ["rapid"],
            "properties.autoUpgradeProfile: expected an object",
        ),
        (["properties", "kubernetesVersion"], 1.29, "properties.kubernetesVersion: expected a string"),
        (["sku"], "Premium", "sku: expected an object"),
    ],
)
def test_malformed_payload_names_resource_and_field(path: list[str], value: Any, field: str) -> None:
    raw = _broken(path, value)
    with pytest.raises(PayloadError) as caught:
        normalize.cluster(raw)
    assert str(caught.value).startswith(raw["id"] + ": ")
    assert field in str(caught.value)


def test_malformed_counts_and_resources_are_refused() -> None:
    raw = graph_row(body(f"{AKS}/ManagedClustersGet.json"))
    raw["properties"]["agentPoolProfiles"][0]["count"] = "three"
    with pytest.raises(
        PayloadError,
        match=r"clustername1: properties\.agentPoolProfiles\[0\]: count: Input should be a valid integer",
    ):
        normalize.cluster(raw)
    with pytest.raises(PayloadError, match="expected a resource object, got list"):
        normalize.cluster([])
    with pytest.raises(PayloadError, match="values: expected a list"):
        normalize.version_catalog("eastus", {"values": {"1.30": {}}})
