"""Generate a large, realistic, deterministic Estate for benchmarks (not shipped, not used by tests)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.inventory import Estate

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
MINORS = ["1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35"]
CATALOG_MINORS = {  # minor -> (preview, plans)
    "1.30": (False, ["AKSLongTermSupport"]),
    "1.31": (False, ["AKSLongTermSupport"]),
    "1.32": (False, ["KubernetesOfficial", "AKSLongTermSupport"]),
    "1.33": (False, ["KubernetesOfficial", "AKSLongTermSupport"]),
    "1.34": (False, ["KubernetesOfficial"]),
    "1.35": (True, ["KubernetesOfficial"]),
}


def _version(rng: random.Random, minor: str) -> str:
    return f"{minor}.{rng.randint(1, 9)}"


def _image(rng: random.Random, windows: bool) -> str:
    built = NOW - timedelta(days=rng.choice([3, 10, 20, 35, 60, 120]))
    if windows:
        return f"AKSWindows-2022-containerd-20348.{rng.randint(2000, 4000)}.{built:%y%m%d}"
    return f"AKSUbuntu-2204gen2containerd-{built:%Y%m}.{built:%d}.0"


def _catalog(location: str) -> dict[str, Any]:
    return {
        "location": location,
        "versions": [
            {
                "version": minor,
                "isPreview": preview,
                "supportPlans": plans,
                "patchVersions": {f"{minor}.{p}": [] for p in range(4, 10)},
            }
            for minor, (preview, plans) in CATALOG_MINORS.items()
        ],
    }


def _cluster(rng: random.Random, index: int, sub: str, location: str, pools: int) -> dict[str, Any]:
    name = f"aks-{index:05d}"
    minor = rng.choice(MINORS[1:6])
    running = _version(rng, minor)
    lts = rng.random() < 0.05
    configs = [
        {
            "name": "aksManagedAutoUpgradeSchedule",
            "scheduleKind": "weekly",
            "dayOfWeek": "Sunday",
            "durationHours": rng.choice([2, 4, 8]),
        },
        {
            "name": "aksManagedNodeOSUpgradeSchedule",
            "scheduleKind": "daily",
            "intervalDays": 1,
            "durationHours": 4,
        },
    ][: rng.randint(0, 2)]
    return {
        "id": f"/subscriptions/{sub}/resourceGroups/rg-{index % 50}/providers/Microsoft.ContainerService/managedClusters/{name}",
        "name": name,
        "subscriptionName": f"sub-{sub[:8]}",
        "location": location,
        "tags": {"env": rng.choice(["prod", "dev", "test"]), "owner": f"team-{index % 40}"},
        "skuTier": "Premium" if lts else rng.choice(["Free", "Standard"]),
        "supportPlan": "AKSLongTermSupport" if lts else "KubernetesOfficial",
        "kubernetesVersion": running,
        "currentKubernetesVersion": running,
        "provisioningState": "Succeeded",
        "powerState": "Running",
        "autoUpgradeProfile": {
            "upgradeChannel": rng.choice(["stable", "patch", "rapid", "none", None]),
            "nodeOSUpgradeChannel": rng.choice(["NodeImage", "SecurityPatch", "None", "Unmanaged"]),
        },
        "nodePools": [
            {
                "name": f"pool{p}",
                "mode": "System" if p == 0 else "User",
                "osType": "Windows" if p == 3 else "Linux",
                "currentOrchestratorVersion": _version(
                    rng, MINORS[max(0, MINORS.index(minor) - rng.randint(0, 2))]
                ),
                "nodeImageVersion": _image(rng, p == 3),
                "count": rng.randint(1, 20),
            }
            for p in range(pools)
        ],
        "maintenanceConfigurations": configs,
    }


def build_estate(
    clusters: int = 10_000, pools: int = 4, subscriptions: int = 200, regions: int = 20, seed: int = 7
) -> Estate:
    rng = random.Random(seed)
    subs = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(subscriptions)]
    locations = [f"region{i:02d}" for i in range(regions)]
    cluster_docs = [
        _cluster(rng, i, subs[i % subscriptions], locations[i % regions], pools) for i in range(clusters)
    ]
    fleets = []
    for f in range(max(1, clusters // 500)):
        sub = subs[f % subscriptions]
        fleet_id = f"/subscriptions/{sub}/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet-{f}"
        members = [
            {"name": c["name"], "clusterResourceId": c["id"], "group": f"g{j % 3}"}
            for j, c in enumerate(cluster_docs[f * 50 : f * 50 + 50])
        ]
        fleets.append(
            {
                "id": fleet_id,
                "name": f"fleet-{f}",
                "members": members,
                "updateRuns": [
                    {
                        "id": f"{fleet_id}/updateRuns/run-{r}",
                        "name": f"run-{r}",
                        "state": rng.choice(["Running", "Completed", "Failed"]),
                        "upgradeType": "Full",
                        "targetKubernetesVersion": "1.34.5",
                        "startTime": f"2026-11-{10 + r:02d}T00:00:00Z",
                    }
                    for r in range(3)
                ],
                "updateStrategies": [],
                "autoUpgradeProfiles": [],
            }
        )
    hubs = [
        {
            "name": f"hub-{h}",
            "fleetId": fleets[h]["id"],
            "memberClusters": [
                {
                    "name": m["name"],
                    "generation": 1,
                    "conditions": [{"type": "Joined", "status": "True", "observedGeneration": 1}],
                    "agentStatus": [
                        {
                            "type": "MemberAgent",
                            "lastReceivedHeartbeat": "2026-11-20T05:59:00Z",
                            "conditions": [
                                {"type": "Joined", "status": "True"},
                                {"type": "Healthy", "status": rng.choice(["True", "False"])},
                            ],
                        }
                    ],
                }
                for m in fleets[h]["members"]
            ],
            "placements": [
                {
                    "name": f"crp-{p}",
                    "generation": 2,
                    "conditions": [
                        {
                            "type": f"ClusterResourcePlacement{t}",
                            "status": "True",
                            "observedGeneration": rng.choice([1, 2, 2]),
                        }
                        for t in (
                            "Scheduled",
                            "RolloutStarted",
                            "Overridden",
                            "WorkSynchronized",
                            "Applied",
                            "Available",
                        )
                    ],
                    "placementStatuses": [{"clusterName": "m1"}],
                }
                for p in range(20)
            ],
            "stagedUpdateRuns": [],
        }
        for h in range(len(fleets))
    ]
    return Estate.model_validate(
        {
            "collectedAt": NOW.isoformat(),
            "source": "benchmark",
            "clusters": cluster_docs,
            "catalogs": [_catalog(loc) for loc in locations],
            "fleets": fleets,
            "hubs": hubs,
        }
    )
