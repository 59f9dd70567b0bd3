"""Hub collection through the real kubernetes client: version discovery, paging, optional kinds, member
ids, namespaced placements, update runs and malformed objects."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from auditor.collectors.hub.read import CLUSTER_GROUP, PLACEMENT_GROUP
from auditor.findings import Status
from auditor.inventory import CoverageGap
from auditor.policies.evaluator import Evaluator
from tests.fakes.kube_api import FakeKubeApi

from .conftest import FAST, collect, evaluate

MEMBER = "membercluster-joined-healthy.yaml"  # aks-eastus-prod-01, stored as v1beta1
CRP = "crp-pickall-3clusters-completed.yaml"  # crp-1, stored as v1
LABELLED_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-fleet-prod"
    "/providers/Microsoft.ContainerService/managedClusters/aks-eastus-prod-01"
)


def crp(name: str, generation: int = 1, **extra: Any) -> dict[str, Any]:
    """A completed PickAll placement on one cluster."""
    chain = ("Scheduled", "RolloutStarted", "Overridden", "WorkSynchronized", "Applied", "Available")
    prefix = "ResourcePlacement" if extra.get("kind") == "ResourcePlacement" else "ClusterResourcePlacement"
    conditions = [{"type": prefix + t, "status": "True", "observedGeneration": generation} for t in chain]
    return {
        "apiVersion": f"{PLACEMENT_GROUP}/v1",
        "kind": "ClusterResourcePlacement",
        "metadata": {"name": name, "generation": generation},
        "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "app"}]},
        "status": {"conditions": conditions, "placementStatuses": [{"clusterName": "member-1"}]},
    } | extra


def list_paths(hub: FakeKubeApi) -> list[str]:
    return [r.path for r in hub.requests if r.query.get("limit")]


@pytest.mark.parametrize(
    ("served", "expected"),
    [
        pytest.param({CLUSTER_GROUP: ("v1",), PLACEMENT_GROUP: ("v1",)}, "v1", id="v1-only"),
        pytest.param(
            {CLUSTER_GROUP: ("v1beta1",), PLACEMENT_GROUP: ("v1beta1",)}, "v1beta1", id="v1beta1-only"
        ),
        pytest.param({}, "v1", id="both-preferring-v1"),  # the CRDs' own versions: v1, v1beta1 (+ v1alpha1)
        pytest.param({PLACEMENT_GROUP: ("v1beta1", "v1")}, "v1beta1", id="server-prefers-v1beta1"),
    ],
)
def test_reads_the_version_the_server_prefers(
    served: dict[str, tuple[str, ...]], expected: str, fake_hub: FakeKubeApi
) -> None:
    for group, versions in served.items():
        fake_hub.serve(group, *versions)
    fake_hub.add_example(MEMBER)
    fake_hub.add_example(CRP)
    collection = collect(fake_hub)

    assert collection.hub.error is None
    assert [m.name for m in collection.hub.member_clusters or ()] == ["aks-eastus-prod-01"]
    assert [p.name for p in collection.hub.placements or ()] == ["crp-1"]
    placement_version = served.get(PLACEMENT_GROUP, ("v1",))[0]
    assert collection.hub.api_version == f"{PLACEMENT_GROUP}/{placement_version}"
    member_version = served.get(CLUSTER_GROUP, ("v1",))[0]
    assert list_paths(fake_hub) == [
        f"/apis/{CLUSTER_GROUP}/{member_version}/memberclusters",
        f"/apis/{PLACEMENT_GROUP}/{expected}/clusterresourceplacements",
        f"/apis/{PLACEMENT_GROUP}/{expected}/resourceplacements",
        f"/apis/{PLACEMENT_GROUP}/{expected}/clusterstagedupdateruns",
    ]
    placement_versions = {
        r.path.split("/")[3] for r in fake_hub.requests if r.path.startswith(f"/apis/{PLACEMENT_GROUP}/")
    }
    assert placement_versions == {expected}  # discovery included: the other version is never touched


def test_a_group_serving_no_known_version_is_an_error(fake_hub: FakeKubeApi) -> None:
    fake_hub.serve(PLACEMENT_GROUP, "v1alpha1")
    collection = collect(fake_hub)
    assert collection.hub.error == (
        "API group placement.kubernetes-fleet.io serves none of v1, v1beta1 (it serves v1alpha1)"
    )


def test_pages_through_600_placements_with_limit_and_continue(fake_hub: FakeKubeApi) -> None:
    names = [f"crp-{index:03d}" for index in range(600)]
    fake_hub.add(*(crp(name) for name in names))
    collection = collect(fake_hub)

    assert [p.name for p in collection.hub.placements or ()] == names  # each once, in the server's order
    assert collection.read["placements"] == 600
    pages = fake_hub.list_requests("clusterresourceplacements")
    assert [r.query.get("limit") for r in pages] == ["500", "500"]
    assert "continue" not in pages[0].query
    assert pages[1].query["continue"]


def test_small_pages_follow_continue_until_it_is_empty(fake_hub: FakeKubeApi) -> None:
    fake_hub.add(*(crp(f"crp-{index}") for index in range(7)))
    collection = collect(fake_hub, options=replace(FAST, page_size=3))
    assert sorted(p.name for p in collection.hub.placements or ()) == sorted(f"crp-{i}" for i in range(7))
    assert [r.query.get("limit") for r in fake_hub.list_requests("clusterresourceplacements")] == ["3"] * 3


def test_namespaced_placements_and_update_runs(fake_hub: FakeKubeApi, evaluator: Evaluator) -> None:
    for namespace in ("team-a", "team-b"):
        fake_hub.add(
            crp(
                "web",
                kind="ResourcePlacement",
                metadata={"name": "web", "namespace": namespace, "generation": 1},
            )
        )
    fake_hub.add_example(CRP)
    fake_hub.add(
        {
            "apiVersion": f"{PLACEMENT_GROUP}/v1beta1",
            "kind": "ClusterStagedUpdateRun",
            "metadata": {"name": "run-1", "generation": 1},
            "spec": {
                "placementName": "crp-1",
                "resourceSnapshotIndex": "0",
                "stagedRolloutStrategyName": "s",
                "state": "Run",
            },
            "status": {
                "conditions": [
                    {
                        "type": "Progressing",
                        "status": "True",
                        "reason": "UpdateRunProgressing",
                        "observedGeneration": 1,
                    }
                ]
            },
        }
    )
    collection = collect(fake_hub)

    placements = collection.hub.placements or ()
    assert [(p.kind, p.namespace, p.name) for p in placements] == [
        ("ClusterResourcePlacement", None, "crp-1"),
        ("ResourcePlacement", "team-a", "web"),
        ("ResourcePlacement", "team-b", "web"),
    ]
    assert [(r.name, r.placement_name, r.state) for r in collection.hub.staged_update_runs or ()] == [
        ("run-1", "crp-1", "Run")
    ]
    assert collection.read == {"hubs": 1, "memberClusters": 0, "placements": 3, "stagedUpdateRuns": 1}
    findings = {f.resource_id: f.status for f in evaluate(evaluator, collection)}
    assert findings == {
        "fake-hub/clusterresourceplacements/crp-1": Status.PASS,
        "fake-hub/resourceplacements/team-a/web": Status.PASS,
        "fake-hub/resourceplacements/team-b/web": Status.PASS,
    }


def test_optional_kinds_not_served_are_none_not_errors(fake_hub: FakeKubeApi) -> None:
    fake_hub.remove("resourceplacements")
    fake_hub.remove("clusterstagedupdateruns")
    fake_hub.add_example(CRP)
    collection = collect(fake_hub)

    assert (collection.hub.error, collection.gaps) == (None, ())
    assert [p.name for p in collection.hub.placements or ()] == ["crp-1"]
    assert collection.hub.staged_update_runs == ()
    assert collection.notes == (
        "hub fake-hub: resourceplacements.placement.kubernetes-fleet.io is not served (older Fleet): treated as none",
        "hub fake-hub: clusterstagedupdateruns.placement.kubernetes-fleet.io is not served (older Fleet): treated as none",
    )
    assert not fake_hub.list_requests("resourceplacements")


def test_a_required_kind_not_served_is_an_error(fake_hub: FakeKubeApi) -> None:
    fake_hub.remove("memberclusters")
    collection = collect(fake_hub)
    assert collection.hub.error == (
        "memberclusters.cluster.kubernetes-fleet.io is not served by "
        "cluster.kubernetes-fleet.io/v1, cluster.kubernetes-fleet.io/v1beta1"
    )
    assert collection.hub.member_clusters is None


def test_member_ids_from_the_fleet_members_then_from_the_aks_labels(
    fake_hub: FakeKubeApi, evaluator: Evaluator
) -> None:
    fake_hub.add_example(MEMBER)  # aks-eastus-prod-01, with fleet.azure.com/* labels
    fake_hub.add_example("membercluster-left.yaml")  # aks-eastus-prod-04, with labels
    fake_hub.add(  # hub name differs from the ARM member name; no AKS labels
        {
            "apiVersion": f"{CLUSTER_GROUP}/v1",
            "kind": "MemberCluster",
            "metadata": {
                "name": "renamed",
                "generation": 1,
                "labels": {"fleet.azure.com/member-name": "arm-member"},
            },
            "spec": {"identity": {"kind": "ServiceAccount", "name": "x"}},
        },
        {
            "apiVersion": f"{CLUSTER_GROUP}/v1",
            "kind": "MemberCluster",
            "metadata": {"name": "bare", "generation": 1},
        },
    )
    arm_id = "/subscriptions/1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/"
    member_ids = {"AKS-EASTUS-PROD-01": arm_id + "from-arm", "arm-member": arm_id + "renamed"}

    with_ids = collect(
        fake_hub,
        fleet_id="/subscriptions/1/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f",
        member_ids=member_ids,
    )
    assert {m.name: m.cluster_resource_id for m in with_ids.hub.member_clusters or ()} == {
        "aks-eastus-prod-01": arm_id
        + "from-arm",  # the Fleet's ARM member wins (names compare case-insensitively)
        "aks-eastus-prod-04": LABELLED_ID.replace("prod-01", "prod-04"),  # not in the mapping: labels
        "renamed": arm_id + "renamed",  # matched through fleet.azure.com/member-name
        "bare": None,
    }
    findings = {f.resource_name: f for f in evaluate(evaluator, with_ids) if f.policy_id == "FLEET-001"}
    assert findings["fake-hub/aks-eastus-prod-01"].evidence["clusterResourceId"] == arm_id + "from-arm"
    assert findings["fake-hub/aks-eastus-prod-01"].resource_id.startswith(with_ids.hub.fleet_id or "")

    from_labels = collect(fake_hub)
    assert {m.name: m.cluster_resource_id for m in from_labels.hub.member_clusters or ()} == {
        "aks-eastus-prod-01": LABELLED_ID,
        "aks-eastus-prod-04": LABELLED_ID.replace("prod-01", "prod-04"),
        "renamed": None,
        "bare": None,
    }


def test_a_malformed_object_is_a_gap_naming_it_and_the_others_are_read(fake_hub: FakeKubeApi) -> None:
    fake_hub.add_example(MEMBER)
    fake_hub.add(
        {
            "apiVersion": f"{CLUSTER_GROUP}/v1",
            "kind": "MemberCluster",
            "metadata": {"name": "broken", "generation": 1},
            "spec": {"taints": [{"key": ["not", "a", "string"]}]},
        }
    )
    collection = collect(fake_hub)

    assert collection.hub.error is None
    assert [m.name for m in collection.hub.member_clusters or ()] == ["aks-eastus-prod-01"]
    (gap,) = collection.gaps
    assert gap.model_dump(exclude={"reason"}) == CoverageGap(
        scope="hub", target="fake-hub/memberclusters/broken", operation="reading MemberCluster", reason=""
    ).model_dump(exclude={"reason"})
    assert gap.reason.startswith("MemberCluster 'broken': ")
    assert "taints" in gap.reason
