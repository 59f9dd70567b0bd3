"""Routes of the fake ARM: each takes the request and returns (status, body, headers) per the documented
wire shapes (the x-ms-examples in tests/data/contracts/azure)."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from email.message import Message
from typing import TYPE_CHECKING, Any

import yaml

from tests.fakes.arm_estate import CLUSTER_TYPE, FLEET_TYPE, norm

if TYPE_CHECKING:
    from tests.fakes.arm import Call, FakeArm

Reply = tuple[int, bytes, dict[str, str]]
TOKEN = "fake-arm-token"  # a test token, never a secret
IDENTITY_HEADER = "fake-identity-header"
#: ManagedClusters_List page size (nextLink paging); only the sequential benchmark baseline lists this way.
LIST_PAGE = 100
_SUB = r"/subscriptions/(?P<sub>[^/]+)"
_MC = rf"{_SUB}/resourceGroups/[^/]+/providers/Microsoft\.ContainerService/managedClusters/[^/]+"
_FL = rf"{_SUB}/resourceGroups/[^/]+/providers/Microsoft\.ContainerService/fleets/(?P<name>[^/]+)"
#: The user entry `az fleet get-credentials` writes for an Entra ID hub: kubelogin, which is not installed.
KUBELOGIN = {
    "exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "kubelogin",
        "args": [
            "get-token",
            "--environment",
            "AzurePublicCloud",
            "--server-id",
            "6dae42f8-4368-4678-94ff-3960e28e3630",
            "--client-id",
            "80faf920-1908-4b52-b5ef-a8e7bedfc67a",
            "--tenant-id",
            "00000000-0000-0000-0000-000000000000",
            "--login",
            "devicecode",
        ],
        "env": None,
        "provideClusterInfo": False,
    }
}


def error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def token(fake: FakeArm, call: Call, _: re.Match[str], headers: Message) -> Reply:
    if headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
        return 401, error("Unauthorized", "X-IDENTITY-HEADER missing or wrong"), {}
    resource = (call.query.get("resource") or [""])[0]
    issued = {
        "access_token": TOKEN,
        "expires_on": str(int(time.time()) + 3600),
        "resource": resource,
        "token_type": "Bearer",
    }
    return 200, json.dumps(issued).encode(), {}


def _forbidden(fake: FakeArm, sub: str) -> Reply | None:
    if sub.lower() in {s.lower() for s in fake.forbidden_subscriptions}:
        message = (
            f"The client does not have authorization to perform action over scope '/subscriptions/{sub}'"
        )
        return 403, error("AuthorizationFailed", message), {}
    return None


def graph(fake: FakeArm, call: Call, _: re.Match[str], headers: Message) -> Reply:
    # Quota headers on every answer (guidance-for-throttled-requests); 429 without Retry-After when over.
    left, resets = fake.take_graph_quota()
    quota = {
        "x-ms-user-quota-remaining": str(max(left, 0)),
        "x-ms-user-quota-resets-after": time.strftime("%H:%M:%S", time.gmtime(resets)),
    }
    if left < 0:
        return 429, error("RateLimiting", "quota exceeded"), quota
    request = call.request or {}
    subs = [s.lower() for s in request.get("subscriptions") or []]
    for sub in subs:
        if (denied := _forbidden(fake, sub)) is not None:
            return denied
    visible = {s.lower() for s in fake.estate.subscriptions} - {
        s.lower() for s in fake.forbidden_subscriptions
    }
    if subs:
        scope = set(subs)
    elif request.get("managementGroups"):
        groups = request["managementGroups"]
        scope = {s.lower() for g in groups for s in fake.estate.management_groups.get(g, [])} & visible
    else:
        scope = visible
    query = request.get("query", "")
    wanted = re.search(r"type\s*=~\s*'([^']+)'", query)
    rows = sorted(
        (
            {k: v for k, v in r.items() if k != "systemData"}  # Resource Graph rows carry no systemData
            for r in fake.estate.rows(call.table or "")
            if r["subscriptionId"].lower() in scope
            and (wanted is None or r["type"].lower() == wanted[1].lower())
        ),
        key=lambda r: r["id"].lower(),
    )
    project = re.search(r"\|\s*project\s+([^|]+)", query)
    columns = [c.strip() for c in project[1].split(",")] if project else None
    options = request.get("options") or {}
    top = int(options.get("$top") or 100)
    skip = options.get("$skipToken")
    offset = json.loads(base64.b64decode(skip))["offset"] if skip else int(options.get("$skip") or 0)
    page = [{c: r.get(c) for c in columns} if columns else r for r in rows[offset : offset + top]]
    response: dict[str, Any] = {
        "totalRecords": len(rows),
        "count": len(page),
        "resultTruncated": fake.graph_truncated_flag,
        "facets": [],
        "data": page,
    }
    if offset + top < len(rows):
        response["$skipToken"] = base64.b64encode(json.dumps({"offset": offset + top}).encode()).decode()
    return 200, json.dumps(response).encode(), quota


def stats(fake: FakeArm, call: Call, _: re.Match[str], headers: Message) -> Reply:
    calls = fake.calls()
    by_route: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for item in calls:
        by_route[item.route] = by_route.get(item.route, 0) + 1
        by_status[str(item.status)] = by_status.get(str(item.status), 0) + 1
    counts = {"requests": len(calls), "byRoute": by_route, "byStatus": by_status}
    return 200, json.dumps(counts).encode(), {}


def release_calendar(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    """A stand-in for endoflife.date's API v1 product endpoint (not an Azure route): the body a test put
    in ``fake.estate.release_calendar`` (a dict, or raw bytes to serve as they are), else 404."""
    body = fake.estate.release_calendar
    if body is None:
        return 404, b'{"message": "Product not found"}', {}
    return 200, body if isinstance(body, bytes) else json.dumps(body).encode(), {}


def list_clusters(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    if (denied := _forbidden(fake, found["sub"])) is not None:
        return denied
    rows = [
        r
        for r in fake.estate.tables["resources"]
        if r["type"] == CLUSTER_TYPE and r["subscriptionId"].lower() == found["sub"].lower()
    ]
    offset = int((call.query.get("$skipToken") or ["0"])[0])
    page: dict[str, Any] = {"value": rows[offset : offset + LIST_PAGE]}
    if offset + LIST_PAGE < len(rows):
        page["nextLink"] = f"{fake.base}{call.path}?api-version=2026-08-01&$skipToken={offset + LIST_PAGE}"
    return 200, json.dumps(page).encode(), {}


def versions(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    if (denied := _forbidden(fake, found["sub"])) is not None:
        return denied
    catalogs = fake.estate.catalogs
    body = catalogs.get(norm(found["loc"]).strip("/"), catalogs.get("*"))
    if body is None:
        return 404, error("LocationNotFound", f"location {found['loc']} not found"), {}
    return 200, json.dumps(body).encode(), {}


def _cluster(fake: FakeArm, found: re.Match[str]) -> tuple[dict[str, Any] | None, Reply | None]:
    if (denied := _forbidden(fake, found["sub"])) is not None:
        return None, denied
    row = fake.estate.cluster(found["mc"])
    if row is None:
        return None, (404, error("ResourceNotFound", f"{found['mc']} not found"), {})
    return row, None


def maintenance(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    _, denied = _cluster(fake, found)
    if denied is not None:
        return denied
    if norm(found["mc"]) in fake.forbidden_maintenance:
        return (
            403,
            error(
                "AuthorizationFailed",
                "no Microsoft.ContainerService/managedClusters/maintenanceConfigurations/read",
            ),
            {},
        )
    items = fake.estate.maintenance.get(norm(found["mc"]), [])
    offset = int((call.query.get("$skipToken") or ["0"])[0])
    size = fake.maintenance_page_size
    page: dict[str, Any] = {"value": items[offset : offset + size]}
    if offset + size < len(items):
        page["nextLink"] = f"{fake.base}{call.path}?api-version=2026-08-01&$skipToken={offset + size}"
    return 200, json.dumps(page).encode(), {}


def pool_upgrade(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    row, denied = _cluster(fake, found)
    if denied is not None:
        return denied
    assert row is not None
    pools = {p["name"].lower(): p for p in row["properties"].get("agentPoolProfiles", [])}
    pool = pools.get(found["pool"].lower())
    if pool is None:
        return 404, error("NotFound", f"agent pool {found['pool']} not found"), {}
    latest = pool.get("latestNodeImageVersion", pool.get("nodeImageVersion"))
    props = {
        "kubernetesVersion": pool.get("orchestratorVersion"),
        "osType": pool.get("osType"),
        "upgrades": [],
        "latestNodeImageVersion": latest,
    }
    body = {
        "id": f"{row['id']}/agentPools/{pool['name']}/upgradeProfiles/default",
        "name": "default",
        "properties": props,
    }
    return 200, json.dumps(body).encode(), {}


def cluster_upgrade(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    row, denied = _cluster(fake, found)
    if denied is not None:
        return denied
    assert row is not None
    version = row["properties"].get("currentKubernetesVersion")
    upgrades = row["properties"].get("availableUpgrades", [])
    plane = {
        "name": "master",
        "kubernetesVersion": version,
        "osType": "Linux",
        "upgrades": [{"kubernetesVersion": v} for v in upgrades],
    }
    body = {
        "id": f"{row['id']}/upgradeProfiles/default",
        "name": "default",
        "properties": {"controlPlaneProfile": plane, "agentPoolProfiles": []},
    }
    return 200, json.dumps(body).encode(), {}


def fleet_credentials(fake: FakeArm, call: Call, found: re.Match[str], headers: Message) -> Reply:
    """Fleets_ListCredentials (synchronous 200): the kubeconfig of the hub a test started for this fleet
    (``fake.fleet_hubs``: normalized fleet id -> FakeKubeApi, set by the test), base64 in ``value``, its
    user signing in through kubelogin like the kubeconfigs Azure hands out."""
    if (denied := _forbidden(fake, found["sub"])) is not None:
        return denied
    fleet_id = norm(found["fleet"])
    rows = fake.estate.tables["resources"]
    if not any(r["type"] == FLEET_TYPE and norm(r["id"]) == fleet_id for r in rows):
        return 404, error("ResourceNotFound", f"fleet {found['name']} not found"), {}
    hub = getattr(fake, "fleet_hubs", {}).get(fleet_id)
    if hub is None:
        return 400, error("BadRequest", f"fleet {found['name']} has no hub"), {}
    config = hub.kubeconfig_dict(context=found["name"])
    config["users"][0]["user"] = json.loads(json.dumps(KUBELOGIN))
    value = base64.b64encode(yaml.safe_dump(config).encode()).decode()
    return 200, json.dumps({"kubeconfigs": [{"name": "hub", "value": value}]}).encode(), {}


#: (name, method, path pattern, handler); the first full match wins.
ROUTES: list[tuple[str, str, re.Pattern[str], Callable[..., Reply]]] = [
    ("token", "GET", re.compile(r"/msi/token"), token),
    ("graph", "POST", re.compile(r"/providers/Microsoft\.ResourceGraph/resources", re.I), graph),
    (
        "versions",
        "GET",
        re.compile(
            rf"{_SUB}/providers/Microsoft\.ContainerService/locations/(?P<loc>[^/]+)/kubernetesVersions", re.I
        ),
        versions,
    ),
    ("maintenance", "GET", re.compile(rf"(?P<mc>{_MC})/maintenanceConfigurations", re.I), maintenance),
    (
        "pool_upgrade",
        "GET",
        re.compile(rf"(?P<mc>{_MC})/agentPools/(?P<pool>[^/]+)/upgradeProfiles/default", re.I),
        pool_upgrade,
    ),
    ("cluster_upgrade", "GET", re.compile(rf"(?P<mc>{_MC})/upgradeProfiles/default", re.I), cluster_upgrade),
    (
        "list_clusters",
        "GET",
        re.compile(rf"{_SUB}/providers/Microsoft\.ContainerService/managedClusters", re.I),
        list_clusters,
    ),
    ("fleet_credentials", "POST", re.compile(rf"(?P<fleet>{_FL})/listCredentials", re.I), fleet_credentials),
    ("release_calendar", "GET", re.compile(r"/api/v1/products/(?P<product>[^/]+)/?"), release_calendar),
    ("stats", "GET", re.compile(r"/_fake/stats"), stats),  # counters for benchmarks; not an Azure route
]
