"""Every assembled Fleet example holding a MemberCluster or a ClusterResourcePlacement, served by the fake
hub, read through the real kubernetes client and judged by the built-in FLEET-001/FLEET-002.

Expected verdicts follow the Fleet hub contract notes (not vendored; their sources are listed in
tests/data/contracts/README.md): a placement is done only when its whole condition chain is True at the
current generation (§1.5; stale conditions are not True, PickN/PickFixed counts must be met, zero selected
clusters is not success); a member is usable only when joined at its generation with a joined, healthy,
heartbeating MemberAgent (§3.3).
"""

from __future__ import annotations

import pytest
import yaml

from auditor.collectors.hub import normalize as hub_normalize
from auditor.findings import Status
from auditor.policies.evaluator import Evaluator
from tests.fakes.kube_api import FakeKubeApi
from tests.fakes.kube_objects import EXAMPLES, load_example

from .conftest import collect, evaluate

PASS, FAIL = Status.PASS, Status.FAIL
HUB = "fake-hub"

#: file -> (policy, object id under the hub, verdict, a phrase the finding's message must carry)
EXPECTED: dict[str, tuple[str, str, Status, str]] = {
    "crp-pickall-3clusters-completed.yaml": (
        "FLEET-002", "clusterresourceplacements/crp-1", PASS,
        "applied and available on kind-cluster-1, kind-cluster-2, kind-cluster-3",
    ),
    "synthetic-crp-reportdiff.yaml": (
        "FLEET-002", "clusterresourceplacements/work-3", PASS, "available on member-1, member-2",
    ),
    "crp-external-strategy-rollout-pending.yaml": (
        "FLEET-002", "clusterresourceplacements/example-placement", FAIL,
        "RolloutStarted is Unknown (RolloutControlledByExternalController)",
    ),
    "crp-pickfixed-apply-failed.yaml": (
        "FLEET-002", "clusterresourceplacements/crp-4", FAIL,
        "kind-cluster-1: Namespace test-ns (Applied ManifestsAlreadyOwnedByOthers)",
    ),
    "crp-pickn1-not-available.yaml": (
        "FLEET-002", "clusterresourceplacements/crp1", FAIL, "Available is False (ResourceNotAvailableYet)",
    ),
    "crp-pickn1-override-failed.yaml": (
        "FLEET-002", "clusterresourceplacements/crp-override-example", FAIL, "Overridden is False (OverriddenFailed)",
    ),
    "crp-pickn1-worksync-failed.yaml": (
        "FLEET-002", "clusterresourceplacements/crp1", FAIL, "WorkSynchronized is False (WorkNotSynchronizedYet)",
    ),
    "crp-pickn2-partially-scheduled.yaml": (
        "FLEET-002", "clusterresourceplacements/crp-2", FAIL, "PickN wants 2 clusters, placed on 1",
    ),
    "crp-pickn3-rollout-blocked.yaml": (
        "FLEET-002", "clusterresourceplacements/crp-3", FAIL, "RolloutStarted is False (RolloutNotStartedYet)",
    ),
    "crp-pickn3-scheduled-false-but-applied.yaml": (
        "FLEET-002", "clusterresourceplacements/crp-3", FAIL, "PickN wants 3 clusters, placed on 2",
    ),
    "synthetic-crp-pickall-zero-clusters.yaml": (
        "FLEET-002", "clusterresourceplacements/crp-no-match", FAIL, "no target clusters selected",
    ),
    "synthetic-crp-stale-observedgeneration.yaml": (
        "FLEET-002", "clusterresourceplacements/crp-1-stale", FAIL,
        "Scheduled is stale (observedGeneration 1, generation 2)",
    ),
    "membercluster-joined-healthy.yaml": (
        "FLEET-001", "memberclusters/aks-eastus-prod-01", PASS, "joined and healthy (heartbeat 2025-06-01T11:59:30Z)",
    ),
    "membercluster-v1-joined-healthy.yaml": (
        "FLEET-001", "memberclusters/aks-westus-prod-02", PASS, "joined and healthy (heartbeat 2025-06-01T11:59:30Z)",
    ),
    "membercluster-join-unknown-no-agent.yaml": (
        "FLEET-001", "memberclusters/aks-eastus-prod-03", FAIL, "no MemberAgent status is reported",
    ),
    "membercluster-left.yaml": (
        "FLEET-001", "memberclusters/aks-eastus-prod-04", FAIL, "Joined is not True for generation 2 (False MemberClusterLeft @2)",
    ),
    "membercluster-stale-heartbeat-unhealthy.yaml": (
        "FLEET-001", "memberclusters/aks-eastus-prod-05", FAIL,
        "the member agent does not report Healthy=True (health probe failed with status code 500)",
    ),
}  # fmt: skip


def test_the_table_covers_every_example_judged_by_a_hub_policy() -> None:
    judged = {
        path.name
        for path in EXAMPLES.glob("*.yaml")
        if yaml.safe_load(path.read_text(encoding="utf-8"))["kind"]
        in ("MemberCluster", "ClusterResourcePlacement")
    }
    assert judged == set(EXPECTED)


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_example_verdict_through_the_api(file_name: str, fake_hub: FakeKubeApi, evaluator: Evaluator) -> None:
    policy, object_id, verdict, phrase = EXPECTED[file_name]
    raw = fake_hub.add_example(file_name)
    collection = collect(fake_hub)
    assert (collection.hub.error, collection.gaps) == (None, ())

    findings = evaluate(evaluator, collection)
    assert {(f.policy_id, f.resource_id): f.status for f in findings} == {
        (policy, f"{HUB}/{object_id}"): verdict
    }
    assert phrase in findings[0].message

    # Lossless over the wire: the object read through the API equals the file normalized directly.
    if raw["kind"] == "MemberCluster":
        (member,) = collection.hub.member_clusters or ()
        assert member.model_copy(update={"cluster_resource_id": None}) == hub_normalize.member_cluster(raw)
    else:
        assert collection.hub.placements == (hub_normalize.placement(raw),)


def test_all_examples_on_one_hub_keep_their_verdicts(fake_hub: FakeKubeApi, evaluator: Evaluator) -> None:
    """Served together (files sharing an object name keep the first), each verdict is unchanged."""
    expected: dict[tuple[str, str], Status] = {}
    for file_name, (policy, object_id, verdict, _) in sorted(EXPECTED.items()):
        key = (policy, f"{HUB}/{object_id}")
        if key not in expected:
            fake_hub.add(load_example(file_name))
            expected[key] = verdict
    findings = evaluate(evaluator, collect(fake_hub))
    assert {(f.policy_id, f.resource_id): f.status for f in findings} == expected
