"""Throttling, transient failures and bad payloads: retried where the wire allows, else a coverage gap."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from auditor.errors import CollectionError
from tests.fakes.arm import Call, FakeArm, Fault, malformed, throttled, truncated
from tests.fakes.arm_estate import SUBSCRIPTION, ArmEstate, cluster_arm_id, generated_estate, norm

from .conftest import collect

CLUSTER_1 = cluster_arm_id(SUBSCRIPTION, "rg1", "clustername1")
PREMIUM = cluster_arm_id(SUBSCRIPTION, "rg1", "premium1")


def _clusters_query(call: Call) -> bool:
    return call.table == "resources" and "managedclusters" in (call.request or {}).get("query", "")


@pytest.mark.parametrize("retry_after", [False, True], ids=["quota-headers-only", "retry-after"])
def test_resource_graph_429_is_retried_until_the_data_is_complete(
    start_arm: Callable[[ArmEstate], FakeArm], retry_after: bool
) -> None:
    fake = start_arm(generated_estate(clusters=5, subscriptions=1))
    fake.inject("graph", *(throttled(retry_after=retry_after, match=_clusters_query) for _ in range(3)))
    estate = collect(fake, page_size=2)
    assert estate.coverage.gaps == ()
    assert [c.name for c in estate.clusters] == [f"aks-{i:05d}" for i in range(5)]
    statuses = [c.status for c in fake.calls("graph") if _clusters_query(c)]
    assert statuses == [429, 429, 429, 200, 200, 200]
    assert fake.pending_faults("graph") == 0


def test_quota_exhausted_without_any_header_still_completes(
    start_arm: Callable[[ArmEstate], FakeArm],
) -> None:
    fake = start_arm(generated_estate(clusters=2, subscriptions=1))
    bare = Fault(status=429, body=b'{"error": {"code": "RateLimiting", "message": "slow down"}}')
    fake.inject("graph", bare)
    estate = collect(fake, retry_backoff=0.001)
    assert estate.coverage.gaps == () and len(estate.clusters) == 2


def test_throttling_that_never_ends_becomes_a_gap(start_arm: Callable[[ArmEstate], FakeArm]) -> None:
    fake = start_arm(generated_estate(clusters=2, subscriptions=1))
    fake.inject("graph", *(throttled(retry_after=False, match=_clusters_query) for _ in range(4)))
    estate = collect(fake, throttle_retries=3)
    [gap] = estate.coverage.gaps
    assert (gap.scope, gap.target) == ("call", "resourcegraph:managedClusters")
    assert gap.reason.startswith("HTTP 429 RateLimiting")
    assert estate.clusters == ()  # nothing half-read is reported as the whole
    assert len(estate.fleets) == 1  # the other queries went on


def test_connection_reset_and_500_bursts_are_retried(start_arm: Callable[[ArmEstate], FakeArm]) -> None:
    fake = start_arm(generated_estate(clusters=3, subscriptions=1))
    fake.inject("graph", Fault(reset=True, match=_clusters_query))
    fake.inject("maintenance", Fault(status=500), Fault(status=503), Fault(reset=True))
    fake.inject("versions", Fault(status=502))
    estate = collect(fake)
    assert estate.coverage.gaps == ()
    assert all(len(c.maintenance_configurations or ()) == 2 for c in estate.clusters)
    assert len(estate.catalogs) == 3


def test_maintenance_forbidden_leaves_none_and_a_gap(arm: FakeArm) -> None:
    arm.forbidden_maintenance.add(norm(PREMIUM))
    estate = collect(arm)
    plain, premium = estate.clusters
    assert premium.maintenance_configurations is None  # not collected: window policies error, never pass
    assert plain.maintenance_configurations is not None
    [gap] = estate.coverage.gaps
    assert (gap.scope, gap.target, gap.operation) == ("cluster", PREMIUM, "maintenanceConfigurations")
    assert gap.reason.startswith("HTTP 403 AuthorizationFailed")


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (truncated(), "DecodeError"),
        (Fault(cut=True, body=b'{"value": []}' * 50), "IncompleteRead"),
        (
            malformed({"value": [{"name": "x", "properties": {"maintenanceWindow": "weekly"}}]}),
            "expected an object",
        ),
    ],
    ids=["truncated-json", "connection-cut", "wrong-type"],
)
def test_bad_maintenance_bodies_become_cluster_gaps(arm: FakeArm, fault: Fault, reason: str) -> None:
    fault.match = lambda call: "premium1" in call.path
    copies = 4 if fault.cut else 1  # a cut connection is retried by the SDK (3 retries): outlast them
    arm.inject("maintenance", *(dataclasses.replace(fault) for _ in range(copies)))
    estate = collect(arm)
    [gap] = estate.coverage.gaps
    assert (gap.scope, gap.target, gap.operation) == ("cluster", PREMIUM, "maintenanceConfigurations")
    assert reason in gap.reason
    assert estate.clusters[1].maintenance_configurations is None


def test_malformed_rows_are_gaps_and_the_rest_is_read(arm: FakeArm) -> None:
    row = arm.estate.cluster(PREMIUM)
    assert row is not None
    row["properties"]["agentPoolProfiles"] = {"nodepool1": {}}
    member = next(r for r in arm.estate.tables["aksresources"] if r["type"].endswith("/members"))
    member["properties"] = "joined"
    estate = collect(arm)
    assert [(g.scope, g.target, g.operation) for g in estate.coverage.gaps] == [
        ("cluster", PREMIUM, "normalize:managedClusters"),
        ("fleet", member["id"], "normalize:fleetMembers"),
    ]
    assert "properties.agentPoolProfiles: expected a list, got dict" in estate.coverage.gaps[0].reason
    assert [c.id for c in estate.clusters] == [CLUSTER_1]
    [fleet] = estate.fleets
    assert fleet.members is None  # a member could not be read: the list is not known whole
    assert fleet.update_runs is not None and len(fleet.update_runs) == 1


def test_malformed_graph_page_is_a_call_gap(arm: FakeArm) -> None:
    fault = malformed({"totalRecords": 1, "count": 1, "data": "rows"})
    fault.match = _clusters_query
    arm.inject("graph", fault)
    estate = collect(arm)
    [gap] = estate.coverage.gaps
    assert (gap.scope, gap.target) == ("call", "resourcegraph:managedClusters")
    assert "data: expected a list of objects" in gap.reason


def test_region_without_catalog_is_a_region_gap(arm: FakeArm) -> None:
    arm.estate.catalogs = {"eastus": arm.estate.catalogs["*"]}
    estate = collect(arm)
    [gap] = estate.coverage.gaps
    assert (gap.scope, gap.target, gap.operation) == ("region", "location1", "kubernetesVersions")
    assert gap.reason.startswith("HTTP 404 LocationNotFound")
    assert [c.location for c in estate.catalogs] == ["eastus"]


def test_token_rejected_mid_collection_stops_it_without_draining_the_queue(
    start_arm: Callable[[ArmEstate], FakeArm],
) -> None:
    fake = start_arm(generated_estate(clusters=300, subscriptions=3))
    fake.inject("maintenance", *(Fault(status=401) for _ in range(300)))
    with pytest.raises(CollectionError, match=r"^Azure authentication failed: "):
        collect(fake, workers=4)
    assert len(fake.calls("maintenance")) < 150  # queued calls were cancelled, not all sent


@pytest.mark.parametrize("scope", [{}, {"subscriptions": (SUBSCRIPTION,)}, {"management_groups": ("mg",)}])
def test_unreachable_endpoint_stops_with_one_line(arm: FakeArm, scope: dict[str, tuple[str, ...]]) -> None:
    with pytest.raises(
        CollectionError, match=r"^cannot list subscriptions at https://127\.0\.0\.1:9/: "
    ) as caught:
        collect(arm, arm_endpoint="https://127.0.0.1:9/", **scope)
    assert "\n" not in caught.value.message
    assert arm.calls("graph") == []


def _members_query(call: Call) -> bool:
    return call.table == "aksresources" and "/members'" in (call.request or {}).get("query", "")


def test_fleet_child_query_denied_leaves_that_list_uncollected(arm: FakeArm) -> None:
    arm.inject(
        "graph",
        Fault(
            status=403,
            body=b'{"error": {"code": "AuthorizationFailed", "message": "no"}}',
            match=_members_query,
        ),
    )
    estate = collect(arm)
    assert [(g.scope, g.target, g.operation) for g in estate.coverage.gaps] == [
        ("subscription", SUBSCRIPTION, "resourcegraph:fleetMembers")
    ]
    [fleet] = estate.fleets
    assert fleet.members is None  # not collected: FLEET policies error instead of passing on "no members"
    assert fleet.update_runs is not None and fleet.update_strategies is not None
    assert all(c.fleet_memberships is None for c in estate.clusters)  # unknown, not "in no fleet"


def test_server_errors_beyond_the_sdk_retries_are_a_call_gap(arm: FakeArm) -> None:
    arm.inject("graph", *(Fault(status=500, match=_clusters_query) for _ in range(4)))  # 1 + 3 retries
    estate = collect(arm)
    [gap] = estate.coverage.gaps
    assert (gap.scope, gap.target, gap.operation) == (
        "call",
        "resourcegraph:managedClusters",
        f"query subscriptions {SUBSCRIPTION}",
    )
    assert gap.reason == "HTTP 500 InternalServerError: injected"
    assert estate.clusters == () and len(estate.fleets) == 1
    assert [c.status for c in arm.calls("graph") if _clusters_query(c)] == [500, 500, 500, 500]
