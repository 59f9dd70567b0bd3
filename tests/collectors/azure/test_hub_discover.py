"""`--fleet-hubs discover`: each fleet's hub kubeconfig from Fleet listCredentials (the real SDK client
against the fake ARM), its kubelogin user signed in with a token from the same credential, the hub read
through the real kubernetes client from the fake hub; in memory only."""

from __future__ import annotations

import base64
import copy
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor.collectors.azure.fleet_credentials import AKS_ENTRA_SCOPE, with_bearer_tokens
from tests.fakes.arm import TOKEN, FakeArm, Fault
from tests.fakes.arm_estate import FLEET_TYPE, SUBSCRIPTION, ArmEstate, example_estate, fleet_arm_id, norm
from tests.fakes.arm_examples import AZURE, FLEET
from tests.fakes.arm_routes import KUBELOGIN, error
from tests.fakes.kube_api import FakeKubeApi
from tests.fakes.kube_objects import load_example

from ...conftest import run_cli as run

FLEET_ID = fleet_arm_id(SUBSCRIPTION, "rg1", "fleet-1")
HUB_POLICIES = {"FLEET-001", "FLEET-002"}
AKS_SERVER = AKS_ENTRA_SCOPE.removesuffix("/.default")


def scan(fake: FakeArm, out: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    code, _, err = run(
        "scan", "--arm-endpoint", fake.base, "--fleet-hubs", "discover", "--output-dir", str(out), *extra
    )
    report = out / "aks-auditor.json"
    return code, json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}, err


def hub_findings(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {
        (f["policyId"], f["resourceId"]): f["status"]
        for f in report["findings"]
        if f["policyId"] in HUB_POLICIES
    }


def member_cluster_id(estate: ArmEstate, member: str) -> str:
    """The AKS cluster the fleet's ARM member entry names."""
    return next(
        row["properties"]["clusterResourceId"]
        for row in estate.tables["aksresources"]
        if row["id"].lower().endswith(f"/members/{member}")
    )


@pytest.fixture
def hub_arm(arm: FakeArm, fake_hub: FakeKubeApi) -> FakeArm:
    """The example estate's fleet-1 with a running hub: one member (named as its ARM member, no AKS labels:
    only the ARM member can say which cluster it is) and a placement whose apply failed."""
    member = load_example("membercluster-joined-healthy.yaml")
    member["metadata"] |= {"name": "member-1", "labels": {}}
    fake_hub.add(member)
    fake_hub.add_example("crp-pickfixed-apply-failed.yaml")  # crp-4
    fake_hub.token = TOKEN  # the hub accepts what the credential gets for the AKS Entra audience
    arm.fleet_hubs = {norm(FLEET_ID): fake_hub}  # type: ignore[attr-defined]  # read by the route
    return arm


def test_scan_discovers_and_judges_the_fleet_hub(hub_arm: FakeArm, tmp_path: Path) -> None:
    code, report, err = scan(hub_arm, tmp_path / "r", "--format", "json")
    assert code == 1, err  # failing findings, nothing missing
    findings = hub_findings(report)
    member = f"{FLEET_ID}/memberclusters/member-1"
    placement = f"{FLEET_ID}/clusterresourceplacements/crp-4"
    assert set(findings) == {("FLEET-001", member), ("FLEET-002", placement)}
    assert findings[("FLEET-002", placement)] == "fail"
    assert findings[("FLEET-001", member)] in {"pass", "fail"}  # judged, not an error
    assert report["scan"]["scope"]["hubContexts"] == ["fleet-1"]
    assert report["scan"]["coverage"]["gaps"] == []
    [call] = hub_arm.calls("fleet_credentials")
    assert (call.method, call.path, call.status) == ("POST", f"{FLEET_ID}/listCredentials", 200)
    # the kubelogin user was signed in by the scan's credential, for the AKS Entra server audience
    assert [c.status for c in hub_arm.calls("token") if c.query.get("resource") == [AKS_SERVER]] == [200]


def test_the_hub_rejecting_the_token_is_a_hub_error(hub_arm: FakeArm, tmp_path: Path) -> None:
    fake_hub = hub_arm.fleet_hubs[norm(FLEET_ID)]  # type: ignore[attr-defined]
    fake_hub.token = "another-token"
    code, report, _ = scan(hub_arm, tmp_path / "r", "--format", "json")
    assert code == 3
    [gap] = report["scan"]["coverage"]["gaps"]
    assert (gap["scope"], gap["target"]) == ("hub", "fleet-1") and "401" in gap["reason"]
    assert hub_findings(report) == {("FLEET-001", FLEET_ID): "error", ("FLEET-002", FLEET_ID): "error"}


def test_no_token_for_the_hub_is_a_hub_error(hub_arm: FakeArm, tmp_path: Path) -> None:
    denied = error("invalid_resource", "AADSTS500011: resource principal not found")
    hub_arm.inject("token", Fault(400, body=denied, match=lambda c: c.query.get("resource") == [AKS_SERVER]))
    code, report, _ = scan(hub_arm, tmp_path / "r", "--format", "json")
    assert code == 3
    [gap] = report["scan"]["coverage"]["gaps"]
    assert (gap["scope"], gap["target"], gap["operation"]) == ("hub", "fleet-1", "hub sign-in")
    assert gap["reason"].startswith("fleet fleet-1: no Entra ID token for its hub: ")
    assert hub_findings(report) == {("FLEET-001", FLEET_ID): "error", ("FLEET-002", FLEET_ID): "error"}


def test_fleets_of_the_same_name_keep_one_hub_each(
    start_arm: Callable[[ArmEstate], FakeArm], fake_hub: FakeKubeApi, tmp_path: Path
) -> None:
    estate = example_estate()
    [row] = [r for r in estate.tables["resources"] if r["type"] == FLEET_TYPE]
    other = fleet_arm_id(SUBSCRIPTION, "rg2", "fleet-1")
    estate.add_fleet(copy.deepcopy(row) | {"id": other, "resourceGroup": "rg2"})
    fake = start_arm(estate)
    fake_hub.add_example("crp-pickfixed-apply-failed.yaml")
    fake_hub.token = TOKEN
    fake.fleet_hubs = {norm(FLEET_ID): fake_hub}  # type: ignore[attr-defined]  # rg2's fleet: 400, no hub
    code, report, _ = scan(fake, tmp_path / "r", "--format", "json")
    assert code == 3
    assert sorted(report["scan"]["scope"]["hubContexts"]) == sorted([FLEET_ID, other])
    [gap] = report["scan"]["coverage"]["gaps"]
    assert (gap["target"], gap["operation"]) == (other, "listCredentials")
    findings = hub_findings(report)
    assert findings[("FLEET-002", f"{FLEET_ID}/clusterresourceplacements/crp-4")] == "fail"
    assert findings[("FLEET-002", other)] == "error"


def test_collect_maps_hub_members_to_the_fleets_arm_members(hub_arm: FakeArm, tmp_path: Path) -> None:
    snapshot = tmp_path / "estate.json"
    code, out, err = run(
        "collect", "-o", str(snapshot), "--arm-endpoint", hub_arm.base, "--fleet-hubs", "discover"
    )
    assert (code, err) == (0, ""), out
    [hub] = json.loads(snapshot.read_text(encoding="utf-8"))["hubs"]
    assert (hub["name"], hub["fleetId"], hub.get("error")) == ("fleet-1", FLEET_ID, None)
    [member] = hub["memberClusters"]
    assert member["name"] == "member-1"
    assert member["clusterResourceId"] == member_cluster_id(hub_arm.estate, "member-1")
    assert [p["name"] for p in hub["placements"]] == ["crp-4"]


def _credentials(value: str) -> bytes:
    return json.dumps({"kubeconfigs": [{"name": "hub", "value": value}]}).encode()


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        pytest.param(
            Fault(
                403,
                body=error(
                    "AuthorizationFailed", "no Microsoft.ContainerService/fleets/listCredentials/action"
                ),
            ),
            "listCredentials failed: HTTP 403 AuthorizationFailed: no Microsoft.ContainerService/fleets/",
            id="denied",
        ),
        pytest.param(
            Fault(404, body=error("ResourceNotFound", "fleet gone")),
            "listCredentials failed: HTTP 404 ResourceNotFound: fleet gone",
            id="not-found",
        ),
        pytest.param(
            Fault(400, body=error("BadRequest", "no hub")),
            "listCredentials failed: HTTP 400 BadRequest: no hub",
            id="bad-request",
        ),
        pytest.param(Fault(200, body=b'{"kubeconfigs": [{"na'), "listCredentials failed: ", id="cut-json"),
        pytest.param(
            # the official example: its value decodes to "credentialValue1", not a kubeconfig
            Fault(
                200,
                body=json.dumps(
                    json.loads((AZURE / FLEET / "Fleets_ListCredentialsResult.json").read_text("utf-8"))[
                        "responses"
                    ]["200"]["body"]
                ).encode(),
            ),
            "listCredentials failed: the kubeconfig is not a mapping with clusters, users and contexts",
            id="official-example",
        ),
        pytest.param(
            Fault(200, body=_credentials(base64.b64encode(b"clusters: [unclosed").decode())),
            "listCredentials failed: the kubeconfig is not valid YAML",
            id="not-yaml",
        ),
        pytest.param(
            Fault(200, body=_credentials(base64.b64encode(b"clusters: []\ncurrent-context: x\n").decode())),
            "listCredentials failed: the kubeconfig is unusable: context 'x' not found (contexts: none)",
            id="no-context",
        ),
        pytest.param(
            Fault(200, body=json.dumps({"kubeconfigs": []}).encode()),
            "listCredentials failed: the answer holds no base64 kubeconfig",
            id="empty",
        ),
    ],
)
def test_a_fleet_whose_credentials_cannot_be_listed_has_an_error_hub(
    hub_arm: FakeArm, tmp_path: Path, fault: Fault, reason: str
) -> None:
    hub_arm.inject("fleet_credentials", fault)
    code, report, _ = scan(hub_arm, tmp_path / "r", "--format", "json")
    assert code == 3
    [gap] = report["scan"]["coverage"]["gaps"]
    assert (gap["scope"], gap["target"], gap["operation"]) == ("hub", "fleet-1", "listCredentials")
    assert gap["reason"].startswith(f"fleet fleet-1: {reason}")
    assert "\n" not in gap["reason"]
    findings = hub_findings(report)
    assert findings == {("FLEET-001", FLEET_ID): "error", ("FLEET-002", FLEET_ID): "error"}
    messages = [f["message"] for f in report["findings"] if f["policyId"] in HUB_POLICIES]
    assert all("hub fleet-1 could not be read: fleet fleet-1: listCredentials failed" in m for m in messages)


def test_a_hubless_fleet_is_skipped_with_a_note(
    start_arm: Callable[[ArmEstate], FakeArm], tmp_path: Path
) -> None:
    estate = example_estate()
    for row in estate.tables["resources"]:
        if row["type"] == FLEET_TYPE:
            del row["properties"]["hubProfile"]
    fake = start_arm(estate)
    code, report, err = scan(fake, tmp_path / "r", "--format", "json")
    assert code == 1  # the examples' failing findings; nothing is missing
    assert "aks-auditor: note: fleet fleet-1 has no hub (hubless fleet): no hub to read\n" in err
    assert fake.calls("fleet_credentials") == []
    assert report["scan"]["coverage"]["gaps"] == [] and hub_findings(report) == {}


def test_credentials_never_reach_disk_logs_or_reports(
    hub_arm: FakeArm, fake_hub: FakeKubeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)  # anything written to a relative path lands where it is looked for
    served = hub_arm.fleet_hubs[norm(FLEET_ID)]  # type: ignore[attr-defined]
    config = served.kubeconfig_dict(context="fleet-1")
    config["users"][0]["user"] = KUBELOGIN
    ca_data = config["clusters"][0]["cluster"]["certificate-authority-data"]
    served_value = base64.b64encode(yaml.safe_dump(config).encode()).decode()  # as the route encodes it
    out = tmp_path / "reports"
    code, _, err = run(
        *("scan", "--arm-endpoint", hub_arm.base, "--fleet-hubs", "discover", "-v"),
        *(
            "--output-dir",
            str(out),
            *(arg for f in ("json", "sarif", "html", "markdown") for arg in ("--format", f)),
        ),
    )
    assert code == 1, err
    assert "POST /subscriptions/" in err and "/fleets/fleet-1/listCredentials 200 " in err
    assert [r for r in fake_hub.requests if r.path == "/apis"], "the hub was read"
    secrets = [TOKEN, served_value, served_value[:48], ca_data[:40], "kubelogin"]
    assert not [s for s in secrets if s in err]
    assert list(temp.iterdir()) == []
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.name for p in out.iterdir()} >= {"aks-auditor.json", "aks-auditor.sarif"}
    for path in written:
        text = path.read_bytes()
        leaked = [s for s in secrets if s.encode() in text or base64.b64encode(s.encode()) in text]
        assert not leaked, f"{path} holds {leaked}"


@pytest.mark.parametrize("source", [("--demo",), ("--inventory", "estate.json")], ids=["demo", "inventory"])
def test_discover_needs_a_live_scan(tmp_path: Path, source: tuple[str, ...]) -> None:
    code, out, err = run("scan", *source, "--fleet-hubs", "discover", "--output-dir", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == f"aks-auditor: error: --fleet-hubs discover needs a live scan (not {source[0]})\n"
    assert list(tmp_path.iterdir()) == []


def test_only_exec_users_get_a_token_fetched_once() -> None:
    users = [
        {"name": "kubelogin-1", "user": dict(KUBELOGIN)},
        {"name": "kubelogin-2", "user": dict(KUBELOGIN)},
        {"name": "token", "user": {"token": "own"}},
        {"name": "cert", "user": {"client-certificate-data": "Y2VydA==", "client-key-data": "a2V5"}},
        {"name": "exec-with-token", "user": {"token": "kept", **KUBELOGIN}},
    ]
    calls: list[int] = []

    def token() -> str:
        calls.append(1)
        return "issued"

    original = {"users": users}
    result = with_bearer_tokens(original, token)
    by_name = {u["name"]: u["user"] for u in result["users"]}
    assert by_name["kubelogin-1"] == by_name["kubelogin-2"] == {"token": "issued"}
    assert by_name["token"] == {"token": "own"}
    assert by_name["cert"] == users[3]["user"]
    assert by_name["exec-with-token"] == {"token": "kept", **KUBELOGIN}
    assert calls == [1]
    assert "exec" in users[0]["user"], "the input is not changed"
    assert with_bearer_tokens({"users": [users[2]]}, token) == {"users": [users[2]]} and calls == [1]


def test_shards_take_their_fleets_hubs_and_shard_0_the_kubeconfig_hubs(
    hub_arm: FakeArm, fake_hub: FakeKubeApi, tmp_path: Path
) -> None:
    """The fleet's discovered hub goes with the fleet's subscription; a kubeconfig hub (its fleet unknown
    until read) with shard 0; merged, the hubs are those of one collection."""
    from auditor.shard import owner

    kubeconfig = fake_hub.write_kubeconfig(tmp_path / "kubeconfig")
    common = ["--arm-endpoint", hub_arm.base, "--fleet-hubs", "discover", "--hub-kubeconfig", str(kubeconfig)]
    assert run("collect", "-o", str(tmp_path / "single.json"), *common)[0] == 0
    home = owner(SUBSCRIPTION, 3)
    hubs = {}
    for index in range(3):
        path = tmp_path / f"shard-{index}.json"
        assert run("collect", "-o", str(path), *common, "--shard", f"{index}/3")[0] == 0
        hubs[index] = [
            (h["name"], h.get("fleetId")) for h in json.loads(path.read_text(encoding="utf-8"))["hubs"]
        ]
    context = fake_hub.kubeconfig_dict()["current-context"]
    assert hubs[home][0] == ("fleet-1", FLEET_ID)
    assert (context, None) in hubs[0] and all((context, None) not in hubs[i] for i in (1, 2))
    assert all(not hubs[i] for i in range(3) if i not in (0, home))
    shards = [str(tmp_path / f"shard-{index}.json") for index in range(3)]
    assert run("merge", "--inventory", *shards, "-o", str(tmp_path / "merged.json"))[0] == 0
    single, merged = (
        json.loads((tmp_path / f"{n}.json").read_text(encoding="utf-8")) for n in ("single", "merged")
    )
    single.pop("collectedAt"), merged.pop("collectedAt")
    assert merged == single


def test_shards_name_hubs_of_fleets_sharing_a_name_as_one_collection(
    start_arm: Callable[[ArmEstate], FakeArm], fake_hub: FakeKubeApi, tmp_path: Path
) -> None:
    """Two fleets named fleet-1 in subscriptions of different shards: each shard alone would name its hub
    fleet-1; merged, both hubs are kept, named by their fleet's id as one collection names them."""
    from auditor.shard import owner
    from tests.fakes.arm_estate import subscription_id

    elsewhere = next(
        subscription_id(i) for i in range(1, 50) if owner(subscription_id(i), 2) != owner(SUBSCRIPTION, 2)
    )
    estate = example_estate()
    estate.add_subscription(SUBSCRIPTION, "examples")
    estate.add_subscription(elsewhere, "elsewhere")
    [row] = [r for r in estate.tables["resources"] if r["type"] == FLEET_TYPE]
    other = fleet_arm_id(elsewhere, "rg2", "fleet-1")
    estate.add_fleet(copy.deepcopy(row) | {"id": other, "resourceGroup": "rg2", "subscriptionId": elsewhere})
    fake = start_arm(estate)
    fake_hub.add_example("crp-pickfixed-apply-failed.yaml")
    fake_hub.token = TOKEN
    fake.fleet_hubs = {norm(FLEET_ID): fake_hub}  # type: ignore[attr-defined]  # the other fleet: 400, no hub
    common = ["--arm-endpoint", fake.base, "--fleet-hubs", "discover", "--allow-partial"]
    assert run("collect", "-o", str(tmp_path / "single.json"), *common)[0] == 0
    for index in range(2):
        assert (
            run("collect", "-o", str(tmp_path / f"shard-{index}.json"), *common, "--shard", f"{index}/2")[0]
            == 0
        )
        [hub] = json.loads((tmp_path / f"shard-{index}.json").read_text(encoding="utf-8"))["hubs"]
        assert hub["name"] == "fleet-1"  # alone in its shard, the fleet's name is unique
    shards = [str(tmp_path / f"shard-{index}.json") for index in range(2)]
    assert (
        run("merge", "--inventory", *shards, "-o", str(tmp_path / "merged.json"), "--allow-partial")[0] == 0
    )
    single, merged = (
        json.loads((tmp_path / f"{n}.json").read_text(encoding="utf-8")) for n in ("single", "merged")
    )
    assert sorted(h["name"] for h in merged["hubs"]) == sorted([FLEET_ID, other])
    single.pop("collectedAt"), merged.pop("collectedAt")
    assert merged == single
