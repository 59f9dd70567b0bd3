"""What the fake ARM serves: Resource Graph tables, maintenance configurations, version catalogs.

Built from the official examples (ids rewritten so clusters, fleets and members refer to each other) and
from generated variants (N clusters over M subscriptions and R regions).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.arm_examples import AKS, AKS_LEGACY, FLEET, body, graph_row

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
CLUSTER_TYPE = "microsoft.containerservice/managedclusters"
FLEET_TYPE = "microsoft.containerservice/fleets"
CHILD_TYPES = {
    "members": "microsoft.containerservice/fleets/members",
    "updateRuns": "microsoft.containerservice/fleets/updateruns",
    "updateStrategies": "microsoft.containerservice/fleets/updatestrategies",
    "autoUpgradeProfiles": "microsoft.containerservice/fleets/autoupgradeprofiles",
}


def norm(resource_id: str) -> str:
    return "/" + resource_id.strip("/").lower()


def subscription_id(index: int) -> str:
    return f"{index:08d}-aaaa-bbbb-cccc-{index:012d}"


def cluster_arm_id(subscription: str, group: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.ContainerService/managedClusters/{name}"


def fleet_arm_id(subscription: str, group: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.ContainerService/fleets/{name}"


@dataclass
class ArmEstate:
    """Tables by name (``resources``, ``aksresources``) plus the per-cluster and per-region API data."""

    subscriptions: dict[str, str] = field(default_factory=dict)
    management_groups: dict[str, list[str]] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"resources": [], "aksresources": []}
    )
    #: normalized cluster id -> maintenance configuration items
    maintenance: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: normalized location -> ListKubernetesVersions body; "*" serves any other region
    catalogs: dict[str, Any] = field(default_factory=dict)
    #: the endoflife.date API v1 stand-in's body (dict as JSON, bytes as they are); None: 404
    release_calendar: dict[str, Any] | bytes | None = None
    _clusters: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def add_subscription(self, sub: str, name: str | None = None) -> None:
        self.subscriptions.setdefault(sub, name or f"sub {sub[:8]}")

    def rows(self, table: str) -> list[dict[str, Any]]:
        if table == "resourcecontainers":
            return [
                {
                    "id": f"/subscriptions/{sub}",
                    "name": name,
                    "type": "microsoft.resources/subscriptions",
                    "subscriptionId": sub,
                    "properties": {"state": "Enabled"},
                }
                for sub, name in self.subscriptions.items()
            ]
        return self.tables.get(table, [])

    def add_cluster(
        self, row: dict[str, Any], maintenance: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        self.add_subscription(row["subscriptionId"])
        self.tables["resources"].append(row)
        self.maintenance[norm(row["id"])] = maintenance or []
        self._clusters[norm(row["id"])] = row
        return row

    def cluster(self, cluster_id: str) -> dict[str, Any] | None:
        return self._clusters.get(norm(cluster_id))

    def add_fleet(self, row: dict[str, Any]) -> dict[str, Any]:
        self.add_subscription(row["subscriptionId"])
        self.tables["resources"].append(row)
        return row

    def add_fleet_child(
        self, fleet_id: str, kind: str, resource: dict[str, Any], name: str
    ) -> dict[str, Any]:
        child = copy.deepcopy(resource)
        child["id"] = f"{fleet_id}/{kind}/{name}"
        child["name"] = name
        child["type"] = CHILD_TYPES[kind]
        row = graph_row(child)
        self.tables["aksresources"].append(row)
        return row


def windows() -> list[dict[str, Any]]:
    return copy.deepcopy(body(f"{AKS}/MaintenanceConfigurationsList_MaintenanceWindow.json")["value"])


def example_estate() -> ArmEstate:
    """The official examples as one consistent estate: two clusters, one fleet with all its children."""
    estate = ArmEstate(catalogs={"*": body(f"{AKS}/KubernetesVersions_List.json")})
    get = graph_row(body(f"{AKS}/ManagedClustersGet.json"))
    get["location"] = "eastus"
    estate.add_cluster(get, windows())
    premium = graph_row(body(f"{AKS}/ManagedClustersCreate_Premium.json"))
    premium["id"] = premium["id"].replace("clustername1", "premium1")
    premium["name"] = "premium1"
    premium["properties"]["autoUpgradeProfile"] = {
        "upgradeChannel": "stable",
        "nodeOSUpgradeChannel": "NodeImage",
    }
    estate.add_cluster(premium, body(f"{AKS_LEGACY}/MaintenanceConfigurationsList.json")["value"])
    fleet = graph_row(body(f"{FLEET}/Fleets_Get.json"))
    fleet_id = fleet_arm_id(SUBSCRIPTION, "rg1", "fleet-1")
    fleet |= {"id": fleet_id, "subscriptionId": SUBSCRIPTION}
    estate.add_fleet(fleet)
    member = body(f"{FLEET}/FleetMembers_Get.json")
    member["properties"]["clusterResourceId"] = get["id"]
    estate.add_fleet_child(fleet_id, "members", member, "member-1")
    run = body(f"{FLEET}/UpdateRuns_Get.json")
    run["properties"]["status"]["stages"][0]["groups"][0]["members"][0]["clusterResourceId"] = get["id"]
    estate.add_fleet_child(fleet_id, "updateRuns", run, "run1")
    estate.add_fleet_child(
        fleet_id, "updateStrategies", body(f"{FLEET}/UpdateStrategies_Get.json"), "strategy1"
    )
    estate.add_fleet_child(
        fleet_id, "autoUpgradeProfiles", body(f"{FLEET}/AutoUpgradeProfiles_Get.json"), "autoupgradeprofile1"
    )
    return estate


def generated_estate(clusters: int, subscriptions: int, regions: int = 3) -> ArmEstate:
    """``clusters`` clusters spread round-robin over ``subscriptions`` and ``regions``; one fleet per sub."""
    estate = ArmEstate(catalogs={"*": body(f"{AKS}/KubernetesVersions_List.json")})
    template = graph_row(body(f"{AKS}/ManagedClustersGet.json"))
    for index in range(subscriptions):
        sub = subscription_id(index)
        estate.add_subscription(sub, f"team-{index:03d}")
        estate.add_fleet(
            graph_row(body(f"{FLEET}/Fleets_Get.json"))
            | {
                "id": fleet_arm_id(sub, "fleets", f"fleet-{index}"),
                "name": f"fleet-{index}",
                "subscriptionId": sub,
            }
        )
    member = body(f"{FLEET}/FleetMembers_Get.json")
    for index in range(clusters):
        sub = subscription_id(index % subscriptions)
        row = copy.deepcopy(template)
        name = f"aks-{index:05d}"
        row |= {
            "id": cluster_arm_id(sub, "rg1", name),
            "name": name,
            "subscriptionId": sub,
            "location": f"region{index % regions}",
        }
        estate.add_cluster(row, windows())
        if index % 2 == 0:
            member["properties"]["clusterResourceId"] = row["id"]
            estate.add_fleet_child(
                fleet_arm_id(sub, "fleets", f"fleet-{index % subscriptions}"), "members", member, f"m-{name}"
            )
    return estate
