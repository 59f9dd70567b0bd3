"""The workload for benchmarks/cel_engines.py: six AKS checks in CEL and plain Python, and the documents.

Documents are shaped like the policy input, ``{"resource": <managed cluster, camelCase>, "catalog":
<Kubernetes versions offered in its region>}``, generated from a seed so every engine process sees the same
ones. The custom functions follow auditor/policies/functions.py but live here so the benchmark stands alone.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

NOW = datetime(2024, 11, 15, tzinfo=UTC)
MAX_AGE = timedelta(days=30)
ALLOWED_CHANNELS = frozenset({"patch", "stable", "rapid"})

# ---------------------------------------------------------------------------------------------------------
# Custom functions (same semantics as auditor/policies/functions.py, kept here so the script stands alone)

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")
# Linux: <prefix>-YYYYMM.DD.<n>; Windows: <prefix>-<build>.<rev>.YYMMDD
_LINUX_IMAGE = re.compile(r"-(\d{4})(\d{2})\.(\d{2})\.\d+$")
_WINDOWS_IMAGE = re.compile(r"^AKSWindows.*-\d+\.\d+\.(\d{2})(\d{2})(\d{2})$")


def _major_minor(version: str) -> tuple[int, int]:
    match = _VERSION.match(version)
    if not match:
        raise ValueError(f"not a Kubernetes version: {version!r}")
    return int(match.group(1)), int(match.group(2))


def minor_of(version: str) -> str:
    """``1.29.3`` -> ``1.29``."""
    major, minor = _major_minor(version)
    return f"{major}.{minor}"


def minor_gap(from_version: str, to_version: str) -> int:
    """How many minors ``to_version`` is above ``from_version``; same major only."""
    a_major, a_minor = _major_minor(from_version)
    b_major, b_minor = _major_minor(to_version)
    if a_major != b_major:
        raise ValueError(f"minorGap needs one major, got {from_version!r} and {to_version!r}")
    return b_minor - a_minor


def node_image_date(image: str) -> datetime:
    """Build date (UTC midnight) encoded in an AKS node image version."""
    windows = _WINDOWS_IMAGE.match(image)
    if windows:
        year, month, day = 2000 + int(windows.group(1)), int(windows.group(2)), int(windows.group(3))
    else:
        linux = _LINUX_IMAGE.search(image)
        if not linux:
            raise ValueError(f"no build date in node image version {image!r}")
        year, month, day = (int(part) for part in linux.groups())
    return datetime(year, month, day, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------------------
# The six checks, in CEL and in plain Python


def _supported_minor(doc: dict[str, Any]) -> bool:
    entry = doc["catalog"]["minors"].get(minor_of(doc["resource"]["currentKubernetesVersion"]))
    return entry is not None and not entry["isPreview"] and "KubernetesOfficial" in entry["supportPlans"]


def _pools_within_two(doc: dict[str, Any]) -> bool:
    control = doc["resource"]["currentKubernetesVersion"]
    return all(minor_gap(p["currentOrchestratorVersion"], control) <= 2 for p in doc["resource"]["nodePools"])


def _channel_set(doc: dict[str, Any]) -> bool:
    return doc["resource"].get("autoUpgradeProfile", {}).get("upgradeChannel") in ALLOWED_CHANNELS


def _images_fresh(doc: dict[str, Any]) -> bool:
    return all(NOW - node_image_date(p["nodeImageVersion"]) < MAX_AGE for p in doc["resource"]["nodePools"])


def _auto_upgrade_window(doc: dict[str, Any]) -> bool:
    configs = doc["resource"]["maintenanceConfigurations"]
    return any(m["name"] == "aksManagedAutoUpgradeSchedule" for m in configs)


def _patch_in_catalog(doc: dict[str, Any]) -> bool:
    running = doc["resource"]["currentKubernetesVersion"]
    return any(any(v == running for v in e["patches"]) for e in doc["catalog"]["minors"].values())


@dataclass(frozen=True)
class Check:
    name: str
    cel: str
    python: Callable[[dict[str, Any]], bool]


_MINOR = "catalog.minors[minorOf(resource.currentKubernetesVersion)]"
CHECKS = (
    Check(
        "supported-minor",
        f"minorOf(resource.currentKubernetesVersion) in catalog.minors && !{_MINOR}.isPreview"
        f" && 'KubernetesOfficial' in {_MINOR}.supportPlans",
        _supported_minor,
    ),
    Check(
        "pools-within-2-minors",
        "resource.nodePools.all(p, minorGap(p.currentOrchestratorVersion, resource.currentKubernetesVersion)"
        " <= 2)",
        _pools_within_two,
    ),
    Check(
        "upgrade-channel",
        "has(resource.autoUpgradeProfile) && has(resource.autoUpgradeProfile.upgradeChannel)"
        " && resource.autoUpgradeProfile.upgradeChannel in ['patch', 'stable', 'rapid']",
        _channel_set,
    ),
    Check(
        "node-image-age",
        "resource.nodePools.all(p, now - nodeImageDate(p.nodeImageVersion) < duration('720h'))",
        _images_fresh,
    ),
    Check(
        "auto-upgrade-window",
        "resource.maintenanceConfigurations.exists(m, m.name == 'aksManagedAutoUpgradeSchedule')",
        _auto_upgrade_window,
    ),
    Check(
        "patch-in-catalog",
        "catalog.minors.exists(k, catalog.minors[k].patches.exists(v,"
        " v == resource.currentKubernetesVersion))",
        _patch_in_catalog,
    ),
)

# ---------------------------------------------------------------------------------------------------------
# Synthetic documents: {"resource": <managed cluster, camelCase>, "catalog": <versions in its region>}

LOCATIONS = ("westeurope", "northeurope", "eastus", "eastus2", "uksouth", "swedencentral")
CATALOG_MINORS = {28: 6, 29: 5, 30: 5, 31: 4, 32: 2}  # minor -> number of patches listed


def _catalog(location: str) -> dict[str, Any]:
    minors = {}
    for minor, patches in CATALOG_MINORS.items():
        plans = ["AKSLongTermSupport"] if minor == 28 else ["KubernetesOfficial", "AKSLongTermSupport"]
        minors[f"1.{minor}"] = {
            "isPreview": minor == 32,
            "supportPlans": plans,
            "patches": [f"1.{minor}.{p}" for p in range(1, patches + 1)],
        }
    return {"location": location, "minors": minors}


def _image(rng: random.Random, os_type: str) -> str:
    built = date(2024, 11, 14) - timedelta(days=rng.randrange(0, 75))
    if os_type == "Windows":
        return f"AKSWindows-2022-containerd-20348.{rng.randrange(2500, 3000)}.{built:%y%m%d}"
    return f"AKSUbuntu-2204gen2containerd-{built:%Y%m}.{built:%d}.{rng.randrange(0, 3)}"


def _pool(rng: random.Random, index: int, control_minor: int, windows: bool) -> dict[str, Any]:
    minor = control_minor - rng.choice((0, 0, 0, 1, 1, 2, 3))
    os_type = "Windows" if windows else "Linux"
    return {
        "name": f"win{index}" if windows else f"pool{index}",
        "osType": os_type,
        "osSKU": "Windows2022" if windows else "Ubuntu",
        "mode": "System" if index == 0 else "User",
        "vmSize": rng.choice(("Standard_D4s_v5", "Standard_D8s_v5", "Standard_E8s_v5")),
        "count": rng.randrange(1, 20),
        "enableAutoScaling": rng.random() < 0.6,
        "minCount": 1,
        "maxCount": 30,
        "maxPods": 110,
        "availabilityZones": ["1", "2", "3"],
        "orchestratorVersion": f"1.{minor}",
        "currentOrchestratorVersion": f"1.{minor}.{rng.randrange(1, 7)}",
        "nodeImageVersion": _image(rng, os_type),
        "provisioningState": "Succeeded",
        "powerState": {"code": "Running"},
        "upgradeSettings": {"maxSurge": "33%", "drainTimeoutInMinutes": 30},
        "nodeLabels": {"team": rng.choice(("payments", "search", "platform"))},
    }


def _cluster(rng: random.Random, index: int) -> dict[str, Any]:
    location = rng.choice(LOCATIONS)
    minor = rng.choice((27, 28, 29, 29, 30, 30, 30, 31, 31, 32))
    name = f"aks-{index:05d}"
    subscription = f"{rng.randrange(16**8):08x}-0000-0000-0000-000000000000"
    group = f"/subscriptions/{subscription}/resourceGroups/rg-{index % 97}"
    cluster: dict[str, Any] = {
        "id": f"{group}/providers/Microsoft.ContainerService/managedClusters/{name}",
        "name": name,
        "type": "Microsoft.ContainerService/managedClusters",
        "location": location,
        "tags": {"env": rng.choice(("prod", "staging", "dev")), "costCenter": f"cc-{rng.randrange(100)}"},
        "kubernetesVersion": f"1.{minor}",
        "currentKubernetesVersion": f"1.{minor}.{rng.randrange(1, 8)}",
        "skuTier": rng.choice(("Free", "Standard", "Premium")),
        "supportPlan": rng.choice(("KubernetesOfficial", "KubernetesOfficial", "AKSLongTermSupport")),
        "provisioningState": "Succeeded",
        "powerState": {"code": "Running"},
        "dnsPrefix": name,
        "fqdn": f"{name}-{rng.randrange(16**8):08x}.hcp.{location}.azmk8s.io",
        "enableRBAC": True,
        "networkProfile": {
            "networkPlugin": "azure",
            "networkPolicy": "cilium",
            "loadBalancerSku": "standard",
            "serviceCidr": "10.0.0.0/16",
            "dnsServiceIP": "10.0.0.10",
            "outboundType": "loadBalancer",
        },
        "nodePools": [_pool(rng, i, minor, windows=(i == 3 and rng.random() < 0.25)) for i in range(4)],
    }
    shape = rng.random()
    if shape < 0.85:  # some clusters have no profile at all, some a profile without a channel
        profile = {"nodeOSUpgradeChannel": rng.choice(("NodeImage", "SecurityPatch", "None"))}
        if shape < 0.75:
            profile["upgradeChannel"] = rng.choice(("none", "patch", "stable", "rapid", "node-image"))
        cluster["autoUpgradeProfile"] = profile
    names = ("default", "aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule")
    cluster["maintenanceConfigurations"] = [
        {
            "name": n,
            "scheduleKind": rng.choice(("weekly", "absoluteMonthly")),
            "durationHours": rng.randrange(4, 9),
        }
        for n in rng.sample(names, rng.randrange(0, 4))
    ]
    return cluster


def generate(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` independent documents (as if parsed from JSON), the same for a given seed."""
    rng = random.Random(seed)
    catalogs = {location: _catalog(location) for location in LOCATIONS}
    docs = []
    for index in range(count):
        cluster = _cluster(rng, index)
        docs.append(json.loads(json.dumps({"resource": cluster, "catalog": catalogs[cluster["location"]]})))
    return docs
