"""Live collection through the real SDK clients and DefaultAzureCredential against the fake ARM."""

from __future__ import annotations

from collections.abc import Callable

from auditor.inventory import CoverageGap
from auditor.inventory.base import normalize_id
from tests.fakes.arm import IDENTITY_HEADER, FakeArm, Fault
from tests.fakes.arm_estate import (
    CLUSTER_TYPE,
    SUBSCRIPTION,
    ArmEstate,
    cluster_arm_id,
    fleet_arm_id,
    generated_estate,
    norm,
    subscription_id,
)

from .conftest import collect

CLUSTER_1 = cluster_arm_id(SUBSCRIPTION, "rg1", "clustername1")
PREMIUM = cluster_arm_id(SUBSCRIPTION, "rg1", "premium1")
FLEET_1 = fleet_arm_id(SUBSCRIPTION, "rg1", "fleet-1")


def test_examples_collected_whole(arm: FakeArm) -> None:
    estate = collect(arm)
    assert estate.coverage.gaps == ()
    assert estate.source == "azure"
    assert [(s.id, s.name) for s in estate.scope.subscriptions] == [(SUBSCRIPTION, "sub 00000000")]
    assert [c.id for c in estate.clusters] == [CLUSTER_1, PREMIUM]
    plain, premium = estate.clusters
    assert plain.subscription_name == "sub 00000000"
    assert [(m.name, m.schedule_kind) for m in plain.maintenance_configurations or ()] == [
        ("aksManagedNodeOSUpgradeSchedule", "daily"),
        ("aksManagedAutoUpgradeSchedule", "absoluteMonthly"),
    ]
    assert [(m.name, m.schedule_kind) for m in premium.maintenance_configurations or ()] == [
        ("default", "timeInWeek")
    ]
    assert (premium.sku_tier, premium.support_plan) == ("Premium", "AKSLongTermSupport")
    assert [(m.fleet_id, m.member_name) for m in plain.fleet_memberships] == [(FLEET_1, "member-1")]
    assert premium.fleet_memberships == ()
    [fleet] = estate.fleets
    assert fleet.id == FLEET_1
    assert [m.name for m in fleet.members or ()] == ["member-1"]
    assert [r.name for r in fleet.update_runs or ()] == ["run1"]
    # Resource Graph rows carry no systemData, and no run failed: its order cannot matter, so no list call
    assert fleet.update_runs is not None and fleet.update_runs[0].created_at is None
    assert [s.name for s in fleet.update_strategies or ()] == ["strategy1"]
    assert [p.channel for p in fleet.auto_upgrade_profiles or ()] == ["Stable"]
    assert sorted(c.location for c in estate.catalogs) == ["eastus", "location1"]
    assert estate.coverage.read["managedClusters"] == 2 and estate.coverage.read["fleetMembers"] == 1


def test_queries_calls_and_token(arm: FakeArm) -> None:
    collect(arm)
    graph = arm.calls("graph")
    assert sorted((c.table, c.request["query"].split("'")[1]) for c in graph if c.request) == [
        ("aksresources", "microsoft.containerservice/fleets/autoupgradeprofiles"),
        ("aksresources", "microsoft.containerservice/fleets/members"),
        ("aksresources", "microsoft.containerservice/fleets/updateruns"),
        ("aksresources", "microsoft.containerservice/fleets/updatestrategies"),
        ("resourcecontainers", "microsoft.resources/subscriptions"),
        ("resources", "microsoft.containerservice/fleets"),
        ("resources", CLUSTER_TYPE),
    ]
    discovery = next(c for c in graph if c.table == "resourcecontainers")
    assert discovery.subscriptions == []  # no scope given: every subscription the identity can read
    assert all(c.subscriptions == [SUBSCRIPTION] for c in graph if c.table != "resourcecontainers")
    assert all((c.request or {})["options"]["$top"] == 1000 for c in graph)
    assert sorted(c.path.rsplit("/", 2)[-2] for c in arm.calls("versions")) == ["eastus", "location1"]
    assert len(arm.calls("maintenance")) == 2
    assert arm.calls("pool_upgrade") == [] and arm.calls("cluster_upgrade") == []  # only with deep
    [token] = arm.calls("token")  # one token, cached and shared by every client
    assert token.query["resource"] == ["https://management.azure.com"]
    assert IDENTITY_HEADER not in str(arm.log)
    assert {c.status for c in arm.log} == {200}


def test_deep_reads_upgrade_profiles(arm: FakeArm) -> None:
    estate = collect(arm, deep=True)
    assert estate.coverage.gaps == ()
    plain = estate.clusters[0]
    assert plain.upgrade_profile is not None and plain.upgrade_profile.kubernetes_version == "1.9.6"
    assert plain.node_pools[0].latest_node_image_version == "AKSUbuntu:1604:2020.03.11"
    assert len(arm.calls("pool_upgrade")) == 2 and len(arm.calls("cluster_upgrade")) == 2


def test_unknown_enum_values_are_kept(arm: FakeArm) -> None:
    row = arm.estate.cluster(PREMIUM)
    assert row is not None
    row["properties"]["autoUpgradeProfile"]["upgradeChannel"] = "lightspeed"
    row["properties"]["supportPlan"] = "GalacticSupport"
    arm.estate.maintenance[norm(PREMIUM)] = [
        {
            "name": "aksManagedAutoUpgradeSchedule",
            "properties": {"maintenanceWindow": {"schedule": {"lunar": {}}}},
        }
    ]
    premium = collect(arm).clusters[1]
    assert premium.auto_upgrade_profile is not None
    assert (premium.auto_upgrade_profile.upgrade_channel, premium.support_plan) == (
        "lightspeed",
        "GalacticSupport",
    )
    assert [m.schedule_kind for m in premium.maintenance_configurations or ()] == ["lunar"]


def test_paging_by_skip_token_and_next_link(start_arm: Callable[[ArmEstate], FakeArm]) -> None:
    fake = start_arm(generated_estate(clusters=7, subscriptions=2))
    fake.graph_truncated_flag = "true"  # never a reason to stop: only an absent $skipToken is
    fake.maintenance_page_size = 1
    estate = collect(fake, page_size=3)
    assert estate.coverage.gaps == ()
    assert [c.id for c in estate.clusters] == sorted(
        (r["id"] for r in fake.estate.tables["resources"] if r["type"] == CLUSTER_TYPE), key=str.lower
    )
    cluster_pages = [c for c in fake.calls("graph") if c.request and CLUSTER_TYPE in c.request["query"]]
    assert len(cluster_pages) == 3  # 3 + 3 + 1
    assert [bool(c.request and c.request["options"].get("$skipToken")) for c in cluster_pages].count(
        True
    ) == 2
    assert all(len(c.maintenance_configurations or ()) == 2 for c in estate.clusters)
    followed = [c for c in fake.calls("maintenance") if "$skipToken" in c.query]
    assert len(followed) == 7  # every second page came from an absolute https nextLink
    assert all(c.query["api-version"] for c in followed)


def test_the_clusters_pages_take_the_quota_first(start_arm: Callable[[ArmEstate], FakeArm]) -> None:
    # Every per-cluster read waits for its cluster's row; the fleets' side is needed only at the end.
    fake = start_arm(generated_estate(clusters=7, subscriptions=2))
    estate = collect(fake, page_size=2)
    assert estate.coverage.gaps == () and estate.fleets
    resources = [c for c in fake.calls("graph") if c.table in ("resources", "aksresources")]
    kinds = [CLUSTER_TYPE in (c.request or {}).get("query", "") for c in resources]
    assert kinds.count(True) == 4 and len(kinds) > 4  # 2 + 2 + 2 + 1 clusters; then fleets, members...
    assert kinds == sorted(kinds, reverse=True)  # every clusters page before any other query


def test_subscription_batches_of_at_most_300(start_arm: Callable[[ArmEstate], FakeArm]) -> None:
    fake = start_arm(generated_estate(clusters=4, subscriptions=4))
    estate = collect(fake, subscription_batch=3)
    assert len(estate.scope.subscriptions) == 4 and estate.coverage.gaps == ()
    sizes = sorted(len(c.subscriptions) for c in fake.calls("graph") if c.table == "resources")
    assert sizes == [1, 1, 3, 3]  # clusters and fleets, each in a batch of 3 and one of 1


def test_explicit_subscription_denied_is_a_gap_and_the_rest_is_collected(
    start_arm: Callable[[ArmEstate], FakeArm],
) -> None:
    fake = start_arm(generated_estate(clusters=12, subscriptions=4))
    denied = subscription_id(2)
    fake.forbidden_subscriptions.add(denied)
    subscriptions = tuple(subscription_id(i) for i in range(4))
    estate = collect(fake, subscriptions=subscriptions)
    assert estate.coverage.gaps == (
        CoverageGap(
            scope="subscription",
            target=denied,
            operation="resourcegraph:subscriptions",
            reason="HTTP 403 AuthorizationFailed: The client does not have authorization to perform action "
            f"over scope '/subscriptions/{denied}'",
        ),
    )
    assert [s.id for s in estate.scope.subscriptions] == [s for s in subscriptions if s != denied]
    assert {c.subscription_id for c in estate.clusters} == set(subscriptions) - {denied}
    assert len(estate.clusters) == 9


def test_excluded_and_unknown_subscriptions(start_arm: Callable[[ArmEstate], FakeArm]) -> None:
    fake = start_arm(generated_estate(clusters=4, subscriptions=2))
    estate = collect(fake, exclude_subscriptions=(subscription_id(1).upper(),))
    assert [s.id for s in estate.scope.subscriptions] == [subscription_id(0)]
    assert {c.subscription_id for c in estate.clusters} == {subscription_id(0)}
    estate = collect(fake, subscriptions=(subscription_id(0), "99999999-0000-0000-0000-000000000000"))
    assert [(g.scope, g.target, g.reason) for g in estate.coverage.gaps] == [
        ("subscription", "99999999-0000-0000-0000-000000000000", "not found or not readable")
    ]


def test_management_group_scope(start_arm: Callable[[ArmEstate], FakeArm]) -> None:
    fake = start_arm(generated_estate(clusters=6, subscriptions=3))
    fake.estate.management_groups["platform"] = [subscription_id(0), subscription_id(2)]
    estate = collect(fake, management_groups=("platform",))
    assert [s.id for s in estate.scope.subscriptions] == [subscription_id(0), subscription_id(2)]
    assert estate.scope.management_groups == ("platform",)
    assert len(estate.clusters) == 4


def test_management_groups_and_subscriptions_add_up(start_arm: Callable[[ArmEstate], FakeArm]) -> None:
    fake = start_arm(generated_estate(clusters=8, subscriptions=4))
    fake.estate.management_groups["platform"] = [subscription_id(0)]
    fake.inject(
        "graph",
        Fault(
            status=403,
            body=b'{"error": {"code": "AuthorizationFailed", "message": "no access to the group"}}',
            match=lambda call: (call.request or {}).get("managementGroups") == ["secret"],
        ),
    )
    estate = collect(fake, subscriptions=(subscription_id(3),), management_groups=("platform", "secret"))
    assert [s.id for s in estate.scope.subscriptions] == [subscription_id(0), subscription_id(3)]
    assert [(g.scope, g.target, g.reason) for g in estate.coverage.gaps] == [
        ("call", "managementGroup:secret", "HTTP 403 AuthorizationFailed: no access to the group")
    ]
    assert {c.subscription_id for c in estate.clusters} == {subscription_id(0), subscription_id(3)}


def test_thousands_of_clusters_collected_exactly(start_arm: Callable[[ArmEstate], FakeArm]) -> None:
    fake = start_arm(generated_estate(clusters=2500, subscriptions=40, regions=5))
    estate = collect(fake, workers=16)
    assert estate.coverage.gaps == ()
    expected = sorted(
        normalize_id(r["id"]) for r in fake.estate.tables["resources"] if r["type"] == CLUSTER_TYPE
    )
    assert [normalize_id(c.id) for c in estate.clusters] == expected
    assert all(c.maintenance_configurations is not None for c in estate.clusters)
    members = {normalize_id(r["properties"]["clusterResourceId"]) for r in fake.estate.tables["aksresources"]}
    assert {normalize_id(c.id) for c in estate.clusters if c.fleet_memberships} == members
    assert sorted(c.location for c in estate.catalogs) == [f"region{i}" for i in range(5)]
    assert len(fake.calls("versions")) == 5  # one catalog per region, not per cluster
    assert len(fake.calls("token")) == 1
    # connections reused: one pooled transport shared by the sync clients (16 workers + 4), one session
    # shared by the async clients of the per-cluster reads (16), never one per call
    assert fake.connections <= 16 + 4 + 16


def test_calls_overlap_up_to_the_worker_bound(start_arm: Callable[[ArmEstate], FakeArm]) -> None:
    fake = start_arm(generated_estate(clusters=40, subscriptions=2))
    fake.route_latency["maintenance"] = 0.05  # server-side latency: the calls must overlap to hide it
    estate = collect(fake, workers=6)
    assert estate.coverage.gaps == () and len(estate.clusters) == 40
    # the per-cluster reads (async clients) overlap up to --workers connections; the thread pool's
    # reads (a catalog per region here) up to --workers threads beside them
    assert 2 <= fake.route_peak_in_flight["maintenance"] <= 6
    assert fake.peak_in_flight <= 2 * 6


def test_only_denied_management_group_gives_an_empty_scope_with_a_gap(arm: FakeArm) -> None:
    arm.inject(
        "graph", Fault(status=403, body=b'{"error": {"code": "AuthorizationFailed", "message": "no"}}')
    )
    estate = collect(arm, management_groups=("secret",))
    assert estate.scope.subscriptions == () and estate.clusters == ()
    assert [(g.scope, g.target) for g in estate.coverage.gaps] == [("call", "managementGroup:secret")]
