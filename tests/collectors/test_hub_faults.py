"""A hub that cannot be read is an error with a one-line reason and a coverage gap, and its policies
report ``error`` on the hub itself: never a pass, never silently empty."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
import trustme

from auditor.collectors.hub.kubeconfig import hub_from_config_dict, hubs_from_kubeconfig
from auditor.collectors.hub.read import CLUSTER_GROUP, PLACEMENT_GROUP, HubReadOptions
from auditor.collectors.interface import HubCollection
from auditor.errors import EXIT_USAGE, ConfigError
from auditor.findings import Status
from auditor.inventory import CoverageGap
from auditor.policies.evaluator import Evaluator
from tests.fakes.kube_api import FakeKubeApi, closed_port, merge_kubeconfigs

from .conftest import FAST, collect, evaluate

FORBIDDEN = (
    'memberclusters.cluster.kubernetes-fleet.io is forbidden: User "aks-auditor" cannot list resource '
    '"memberclusters" in API group "cluster.kubernetes-fleet.io" at the cluster scope'
)


def assert_hub_error(collection: HubCollection, evaluator: Evaluator, operation: str) -> str:
    """One gap for the hub, its reason is the hub's one-line error, FLEET-001/002 are errors on the hub."""
    hub = collection.hub
    assert hub.error is not None
    assert "\n" not in hub.error
    assert collection.gaps == (
        CoverageGap(scope="hub", target=hub.name, operation=operation, reason=hub.error),
    )
    findings = evaluate(evaluator, collection)
    # Kinds that were not read are one error finding each on the hub; kinds read before the fault are
    # still judged object by object (the gap alone makes the scan incomplete).
    unread = [("FLEET-001", hub.member_clusters), ("FLEET-002", hub.placements)]
    expected = {(policy, hub.name, Status.ERROR) for policy, items in unread if items is None}
    on_hub = {(f.policy_id, f.resource_id, f.status) for f in findings if f.resource_id == hub.name}
    assert on_hub == expected and expected
    assert all(hub.error in f.message for f in findings if f.resource_id == hub.name)
    return hub.error


def test_unreachable_hub(fake_hub: FakeKubeApi, evaluator: Evaluator) -> None:
    server = f"https://127.0.0.1:{closed_port()}"
    collection = hub_from_config_dict(fake_hub.kubeconfig_dict(server=server), options=FAST).collect()
    error = assert_hub_error(collection, evaluator, "discovering API groups")
    assert error.startswith(f"cannot connect to {server} (discovering API groups): ")
    assert "Connection refused" in error


def test_401_wrong_token(fake_hub: FakeKubeApi, evaluator: Evaluator) -> None:
    config = fake_hub.kubeconfig_dict(token="not-the-token")
    collection = hub_from_config_dict(config, options=FAST).collect()
    error = assert_hub_error(collection, evaluator, "discovering API groups")
    assert error == "401 Unauthorized discovering API groups: Unauthorized"


def test_403_listing_member_clusters(fake_hub: FakeKubeApi, evaluator: Evaluator) -> None:
    fake_hub.fail(f"/apis/{CLUSTER_GROUP}/v1/memberclusters", 403, FORBIDDEN)
    collection = collect(fake_hub)
    error = assert_hub_error(collection, evaluator, "listing memberclusters.cluster.kubernetes-fleet.io")
    assert error == f"403 Forbidden listing memberclusters.cluster.kubernetes-fleet.io: {FORBIDDEN}"
    assert collection.hub.member_clusters is None


def test_fleet_group_not_installed(fake_hub: FakeKubeApi, evaluator: Evaluator) -> None:
    fake_hub.serve(CLUSTER_GROUP)  # absent from /apis; /apis/cluster.kubernetes-fleet.io answers 404
    collection = collect(fake_hub)
    error = assert_hub_error(collection, evaluator, "discovering API groups")
    assert error == f"API group {CLUSTER_GROUP} is not served by {fake_hub.url} (Fleet CRDs not installed?)"
    assert [r.path for r in fake_hub.requests] == ["/apis"]


def test_404_on_a_group_version_after_members_were_read(fake_hub: FakeKubeApi, evaluator: Evaluator) -> None:
    fake_hub.add_example("membercluster-joined-healthy.yaml")
    fake_hub.fail(f"/apis/{PLACEMENT_GROUP}/v1", 404, "the server could not find the requested resource")
    collection = collect(fake_hub)
    error = assert_hub_error(collection, evaluator, f"discovering {PLACEMENT_GROUP}/v1 resources")
    assert error == (
        f"404 Not Found discovering {PLACEMENT_GROUP}/v1 resources: the server could not find the requested resource"
    )
    # What was read is kept and judged; the placements that could not be listed are an error finding.
    assert [m.name for m in collection.hub.member_clusters or ()] == ["aks-eastus-prod-01"]
    assert collection.hub.placements is None
    findings = evaluate(evaluator, collection)
    assert {(f.policy_id, f.status) for f in findings} == {
        ("FLEET-001", Status.PASS),
        ("FLEET-002", Status.ERROR),
    }


def test_timeout(fake_hub: FakeKubeApi, evaluator: Evaluator) -> None:
    fake_hub.fail(f"/apis/{PLACEMENT_GROUP}/v1/clusterresourceplacements", delay=3.0)
    started = time.monotonic()
    collection = collect(fake_hub, options=HubReadOptions(timeout=(1.0, 0.5), retries=0))
    assert time.monotonic() - started < 2.9  # well before the 3 s the server would take
    error = assert_hub_error(
        collection, evaluator, "listing clusterresourceplacements.placement.kubernetes-fleet.io"
    )
    assert error == (
        f"timed out after 0.5 s listing clusterresourceplacements.placement.kubernetes-fleet.io on {fake_hub.url}"
    )


def test_untrusted_server_certificate(fake_hub: FakeKubeApi, evaluator: Evaluator) -> None:
    config = fake_hub.kubeconfig_dict()
    config["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(
        trustme.CA().cert_pem.bytes()
    ).decode()
    collection = hub_from_config_dict(config, options=FAST).collect()
    error = assert_hub_error(collection, evaluator, "discovering API groups")
    assert error.startswith(f"TLS failure talking to {fake_hub.url} (discovering API groups): ")
    assert "CERTIFICATE_VERIFY_FAILED" in error
    assert not fake_hub.requests  # no request was sent: the handshake failed first


def test_one_context_per_hub_each_judged_on_its_own(
    fake_hub: FakeKubeApi, evaluator: Evaluator, tmp_path: Path
) -> None:
    fake_hub.add_example("membercluster-joined-healthy.yaml")
    config = merge_kubeconfigs(
        fake_hub.kubeconfig_dict("hub-a"), fake_hub.kubeconfig_dict("hub-b", token="revoked")
    )
    path = fake_hub.write_kubeconfig(tmp_path / "kubeconfig", config)
    sources = hubs_from_kubeconfig(path, ["hub-a", "hub-b", "hub-a"], options=FAST)
    assert [s.name for s in sources] == ["hub-a", "hub-b"]

    good, bad = (source.collect() for source in sources)
    assert (good.hub.error, [m.name for m in good.hub.member_clusters or ()]) == (
        None,
        ["aks-eastus-prod-01"],
    )
    assert bad.hub.error == "401 Unauthorized discovering API groups: Unauthorized"
    findings = {(f.resource_id, f.policy_id): f.status for f in evaluate(evaluator, good, bad)}
    assert findings == {
        ("hub-a/memberclusters/aks-eastus-prod-01", "FLEET-001"): Status.PASS,
        ("hub-b", "FLEET-001"): Status.ERROR,
        ("hub-b", "FLEET-002"): Status.ERROR,
    }


def test_missing_kubeconfig_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        hubs_from_kubeconfig(tmp_path / "nope.yaml", ["hub"])
    assert raised.value.exit_code == EXIT_USAGE
    assert raised.value.message == f"{tmp_path / 'nope.yaml'}: kubeconfig file not found"


def test_unknown_context_is_a_config_error(fake_hub: FakeKubeApi, tmp_path: Path) -> None:
    path = fake_hub.write_kubeconfig(tmp_path / "kubeconfig")
    with pytest.raises(ConfigError) as raised:
        hubs_from_kubeconfig(path, ["fake-hub", "prod-hub"])
    assert raised.value.exit_code == EXIT_USAGE
    assert raised.value.message == f"{path}: context 'prod-hub' not found (contexts: fake-hub)"
    assert not fake_hub.requests  # validated before any API call


def test_broken_kubeconfig_error_quotes_no_content(fake_hub: FakeKubeApi, tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(f"users:\n- name: u\n  user: {{token: {fake_hub.token}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        hubs_from_kubeconfig(path)
    assert raised.value.message.startswith(f"{path}: not valid YAML at line ")
    assert fake_hub.token not in raised.value.message


def test_in_memory_kubeconfig_without_the_context_is_a_hub_error(fake_hub: FakeKubeApi) -> None:
    collection = hub_from_config_dict(fake_hub.kubeconfig_dict(), "other", name="fleet-1").collect()
    assert collection.hub.error == "context 'other' not found (contexts: fake-hub)"
    assert collection.gaps[0].operation == "loading the kubeconfig"
