"""Write routes of the fake ARM, for remediation: managed cluster GET/PUT (ETag, If-Match -> 412, 409 while
an operation runs), agent pool GET/PUT, node image upgrade, maintenance configuration GET/PUT, Fleet update
run create + start. Each write is a long-running operation answered the way ARM documents it (201/202 with
``Azure-AsyncOperation`` and ``retry-after-ms: 1``, so the SDK's poller asks again at once: azure-core
reads ``Retry-After: 0`` as "no hint" and would wait its default 30 s); its status is
``InProgress`` for ``fake.writes.polls`` polls (or while ``held``), then ``Succeeded`` — or ``Failed`` for a
resource in ``fail`` — and only then is the change visible on the resource. State lives on the estate's
rows, so a re-collection through Resource Graph sees what was written.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from typing import TYPE_CHECKING, Any

from tests.fakes.arm_estate import norm
from tests.fakes.arm_routes import _FL, _MC, Reply, _cluster, _forbidden, error

if TYPE_CHECKING:
    from tests.fakes.arm import Call, FakeArm

API = "api-version=2026-08-01"


@dataclass
class Operation:
    id: str
    resource: str  # normalized id of what it changes
    apply: Callable[[], None]
    polls_left: int
    failed: bool
    done: bool = False


@dataclass
class WriteState:
    """Knobs and bookkeeping of the write routes (``fake.writes``)."""

    polls: int = 1  # InProgress answers before an operation ends
    held: bool = False  # operations stay InProgress until released
    fail: set[str] = field(default_factory=set)  # normalized resource ids whose next operation fails
    operations: dict[str, Operation] = field(default_factory=dict)
    etags: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def etag(self, resource: str) -> str:
        return f'"{self.etags.get(norm(resource), 1)}"'

    def bump(self, resource: str) -> None:
        self.etags[norm(resource)] = self.etags.get(norm(resource), 1) + 1

    def busy(self, resource: str) -> bool:
        key = norm(resource)
        return any(
            not op.done and (op.resource == key or op.resource.startswith(key + "/"))
            for op in self.operations.values()
        )


def _state(fake: FakeArm) -> WriteState:
    return fake.writes  # type: ignore[no-any-return,attr-defined]


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _start(
    fake: FakeArm, call: Call, resource: str, apply: Callable[[], None], status: int, body: Any
) -> Reply:
    state = _state(fake)
    with state.lock:
        op_id = f"op{len(state.operations) + 1}"
        failed = norm(resource) in state.fail
        state.fail.discard(norm(resource))
        state.operations[op_id] = Operation(op_id, norm(resource), apply, state.polls, failed)
    sub = call.path.split("/")[2]
    location = f"{fake.base}/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/eastus/operations/{op_id}?{API}"
    headers = {"Azure-AsyncOperation": location, "retry-after-ms": "1"}
    if status == 202:
        headers["Location"] = location
    return status, _json(body), headers


def operation(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    state = _state(fake)
    with state.lock:
        op = state.operations.get(found["op"])
        if op is None:
            return 404, error("NotFound", f"operation {found['op']} not found"), {}
        if not op.done and not state.held:
            if op.polls_left > 0:
                op.polls_left -= 1
            else:
                op.done = True
                if not op.failed:
                    op.apply()
        status = "InProgress" if not op.done else "Failed" if op.failed else "Succeeded"
    body: dict[str, Any] = {"name": op.id, "status": status}
    if status == "Failed":
        body["error"] = {"code": "UpgradeFailed", "message": f"injected failure of {op.resource}"}
        _set_state(fake, op.resource, "Failed")
    return 200, _json(body), {"retry-after-ms": "1"}


def _set_state(fake: FakeArm, resource: str, state: str) -> None:
    row = fake.estate.cluster(resource.split("/agentpools/")[0])
    if row is not None:
        row["properties"]["provisioningState"] = state


# --- managed clusters --------------------------------------------------------------------------------


def _cluster_body(fake: FakeArm, row: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(
        {k: v for k, v in row.items() if k not in {"subscriptionId", "resourceGroup", "kind"}}
    )
    body["type"] = "Microsoft.ContainerService/ManagedClusters"
    body["eTag"] = _state(fake).etag(row["id"])
    if body.get("sku") is None:
        body.pop("sku", None)
    return body


def get_cluster(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    row, denied = _cluster(fake, found)
    if denied is not None:
        return denied
    assert row is not None
    return 200, _json(_cluster_body(fake, row)), {"ETag": _state(fake).etag(row["id"])}


def _precondition(fake: FakeArm, resource: str, headers: Message) -> Reply | None:
    state = _state(fake)
    wanted = headers.get("If-Match")
    if wanted is not None and wanted != state.etag(resource):
        return 412, error("PreconditionFailed", f"ETag {wanted} does not match {state.etag(resource)}"), {}
    if state.busy(resource):
        return (
            409,
            error("OperationNotAllowed", "Operation is not allowed: another operation is in progress"),
            {},
        )
    return None


def put_cluster(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    row, denied = _cluster(fake, found)
    if denied is not None:
        return denied
    assert row is not None
    refused = _precondition(fake, row["id"], headers)
    if refused is not None:
        return refused
    wanted = (call.request or {}).get("properties", {})
    props = row["properties"]
    upgrading = wanted.get("kubernetesVersion") not in (None, props.get("kubernetesVersion"))
    sku = (call.request or {}).get("sku")

    def apply() -> None:
        for key in ("kubernetesVersion", "autoUpgradeProfile"):
            if key in wanted:
                props[key] = copy.deepcopy(wanted[key])
        if upgrading:
            props["currentKubernetesVersion"] = wanted["kubernetesVersion"]
        if sku is not None:
            row["sku"] = copy.deepcopy(sku)
        props["provisioningState"] = "Succeeded"
        _state(fake).bump(row["id"])

    props["provisioningState"] = "Upgrading" if upgrading else "Updating"
    return _start(fake, call, row["id"], apply, 200, _cluster_body(fake, row))


# --- agent pools --------------------------------------------------------------------------------------


def _pool(
    fake: FakeArm, found: re.Match[str]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, Reply | None]:
    row, denied = _cluster(fake, found)
    if denied is not None:
        return None, None, denied
    assert row is not None
    pool = next(
        (
            p
            for p in row["properties"].get("agentPoolProfiles", [])
            if p["name"].lower() == found["pool"].lower()
        ),
        None,
    )
    if pool is None:
        return row, None, (404, error("NotFound", f"agent pool {found['pool']} not found"), {})
    return row, pool, None


def _pool_body(fake: FakeArm, row: dict[str, Any], pool: dict[str, Any]) -> dict[str, Any]:
    pool_id = f"{row['id']}/agentPools/{pool['name']}"
    props = {k: v for k, v in pool.items() if k != "name"}
    props.setdefault("provisioningState", row["properties"].get("provisioningState", "Succeeded"))
    return {
        "id": pool_id,
        "name": pool["name"],
        "type": "Microsoft.ContainerService/managedClusters/agentPools",
        "properties": props,
        "eTag": _state(fake).etag(pool_id),
    }


def get_pool(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    row, pool, denied = _pool(fake, found)
    if denied is not None:
        return denied
    assert row is not None and pool is not None
    return 200, _json(_pool_body(fake, row, pool)), {}


def put_pool(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    row, pool, denied = _pool(fake, found)
    if denied is not None:
        return denied
    assert row is not None and pool is not None
    pool_id = f"{row['id']}/agentPools/{pool['name']}"
    refused = _precondition(fake, pool_id, headers) or (
        (409, error("OperationNotAllowed", "the cluster has an operation in progress"), {})
        if _state(fake).busy(row["id"])
        else None
    )
    if refused is not None:
        return refused
    wanted = (call.request or {}).get("properties", {}).get("orchestratorVersion")

    def apply() -> None:
        if wanted:
            pool["orchestratorVersion"] = wanted
            pool["currentOrchestratorVersion"] = wanted
            pool["nodeImageVersion"] = pool.get("latestNodeImageVersion", pool.get("nodeImageVersion"))
        pool["provisioningState"] = "Succeeded"
        _state(fake).bump(pool_id)

    pool["provisioningState"] = "Upgrading"
    return _start(fake, call, pool_id, apply, 200, _pool_body(fake, row, pool))


def upgrade_node_image(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    row, pool, denied = _pool(fake, found)
    if denied is not None:
        return denied
    assert row is not None and pool is not None
    pool_id = f"{row['id']}/agentPools/{pool['name']}"
    if _state(fake).busy(row["id"]):
        return 409, error("OperationNotAllowed", "another operation is in progress"), {}

    def apply() -> None:
        pool["nodeImageVersion"] = pool.get("latestNodeImageVersion", pool.get("nodeImageVersion"))
        pool["provisioningState"] = "Succeeded"
        _state(fake).bump(pool_id)

    pool["provisioningState"] = "UpgradingNodeImageVersion"
    return _start(fake, call, pool_id, apply, 202, _pool_body(fake, row, pool))


# --- maintenance configurations ------------------------------------------------------------------------


def get_maintenance(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    _, denied = _cluster(fake, found)
    if denied is not None:
        return denied
    items = fake.estate.maintenance.get(norm(found["mc"]), [])
    item = next((i for i in items if i["name"] == found["config"]), None)
    if item is None:
        return 404, error("NotFound", f"maintenance configuration {found['config']} not found"), {}
    return 200, _json(item), {}


def put_maintenance(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    row, denied = _cluster(fake, found)
    if denied is not None:
        return denied
    assert row is not None
    items = fake.estate.maintenance.setdefault(norm(found["mc"]), [])
    item = {
        "id": f"{row['id']}/maintenanceConfigurations/{found['config']}",
        "name": found["config"],
        "type": "Microsoft.ContainerService/ManagedClusters/maintenanceConfigurations",
        "properties": copy.deepcopy((call.request or {}).get("properties", {})),
    }
    items[:] = [i for i in items if i["name"] != found["config"]] + [item]
    return 200, _json(item), {}


# --- Fleet update runs ---------------------------------------------------------------------------------


def _run_row(fake: FakeArm, run_id: str) -> dict[str, Any] | None:
    return next((r for r in fake.estate.tables["aksresources"] if norm(r["id"]) == norm(run_id)), None)


def list_runs(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    fleet = norm(found[0].removesuffix("/updateRuns"))
    runs = [
        {k: v for k, v in r.items() if k not in {"subscriptionId", "resourceGroup"}}
        for r in fake.estate.tables["aksresources"]
        if r["type"] == "microsoft.containerservice/fleets/updateruns"
        and norm(r["id"]).startswith(fleet + "/")
    ]
    return 200, _json({"value": runs}), {}


def get_run(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    row = _run_row(fake, found[0])
    if row is None:
        return 404, error("NotFound", f"update run {found['run']} not found"), {}
    return 200, _json({k: v for k, v in row.items() if k not in {"subscriptionId", "resourceGroup"}}), {}


def put_run(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    if (denied := _forbidden(fake, found["sub"])) is not None:
        return denied
    if headers.get("If-None-Match") == "*" and _run_row(fake, found[0]) is not None:
        return 412, error("PreconditionFailed", f"update run {found['run']} exists"), {}
    run = {
        "id": found[0],
        "name": found["run"],
        "type": "microsoft.containerservice/fleets/updateruns",
        "subscriptionId": found["sub"],
        "resourceGroup": found[0].split("/")[4].lower(),
        "properties": copy.deepcopy((call.request or {}).get("properties", {}))
        | {"provisioningState": "Succeeded", "status": {"status": {"state": "NotStarted"}, "stages": []}},
    }

    def apply() -> None:
        fake.estate.tables["aksresources"].append(run)

    return _start(fake, call, found[0], apply, 201, run)


def start_run(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    row = _run_row(fake, found[0].removesuffix("/start"))
    if row is None:
        return 404, error("NotFound", f"update run {found['run']} not found"), {}
    target = row["properties"].get("managedClusterUpdate", {}).get("upgrade", {}).get("kubernetesVersion")
    members = [
        r["properties"].get("clusterResourceId")
        for r in fake.estate.tables["aksresources"]
        if r["type"] == "microsoft.containerservice/fleets/members"
        and norm(r["id"]).startswith(norm(row["id"].split("/updateRuns/")[0]) + "/")
    ]

    def apply() -> None:
        row["properties"]["status"] = {"status": {"state": "Completed"}, "stages": []}
        for member in members:
            cluster = fake.estate.cluster(member or "")
            if cluster is not None and target:
                cluster["properties"]["kubernetesVersion"] = target
                cluster["properties"]["currentKubernetesVersion"] = target
                for pool in cluster["properties"].get("agentPoolProfiles", []):
                    pool["orchestratorVersion"] = pool["currentOrchestratorVersion"] = target

    row["properties"]["status"] = {"status": {"state": "Running"}, "stages": []}
    return _start(fake, call, row["id"], apply, 202, row)


_OP = r"/subscriptions/[^/]+/providers/Microsoft\.ContainerService/locations/[^/]+/operations/(?P<op>[^/]+)"
WRITE_ROUTES: list[tuple[str, str, re.Pattern[str], Callable[..., Reply]]] = [
    ("operation", "GET", re.compile(_OP, re.I), operation),
    ("get_cluster", "GET", re.compile(rf"(?P<mc>{_MC})", re.I), get_cluster),
    ("put_cluster", "PUT", re.compile(rf"(?P<mc>{_MC})", re.I), put_cluster),
    ("get_pool", "GET", re.compile(rf"(?P<mc>{_MC})/agentPools/(?P<pool>[^/]+)", re.I), get_pool),
    ("put_pool", "PUT", re.compile(rf"(?P<mc>{_MC})/agentPools/(?P<pool>[^/]+)", re.I), put_pool),
    (
        "upgrade_node_image",
        "POST",
        re.compile(rf"(?P<mc>{_MC})/agentPools/(?P<pool>[^/]+)/upgradeNodeImageVersion", re.I),
        upgrade_node_image,
    ),
    (
        "get_maintenance",
        "GET",
        re.compile(rf"(?P<mc>{_MC})/maintenanceConfigurations/(?P<config>[^/]+)", re.I),
        get_maintenance,
    ),
    (
        "put_maintenance",
        "PUT",
        re.compile(rf"(?P<mc>{_MC})/maintenanceConfigurations/(?P<config>[^/]+)", re.I),
        put_maintenance,
    ),
    ("list_runs", "GET", re.compile(rf"{_FL}/updateRuns", re.I), list_runs),
    ("get_run", "GET", re.compile(rf"{_FL}/updateRuns/(?P<run>[^/]+)", re.I), get_run),
    ("put_run", "PUT", re.compile(rf"{_FL}/updateRuns/(?P<run>[^/]+)", re.I), put_run),
    ("start_run", "POST", re.compile(rf"{_FL}/updateRuns/(?P<run>[^/]+)/start", re.I), start_run),
]
