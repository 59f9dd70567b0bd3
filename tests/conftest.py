"""Shared test helpers: paths to the repository's data and to the shared contracts beside it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli import cli

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CONTRACTS = SHARED / "contracts"

CLUSTER_PREFIX = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/"


def cluster_id(name: str) -> str:
    return CLUSTER_PREFIX + name


def estate_document(**fields: Any) -> dict[str, Any]:
    """A minimal valid Estate snapshot document with ``fields`` merged in."""
    document: dict[str, Any] = {
        "kind": "Estate",
        "schemaVersion": "1.0",
        "collectedAt": "2026-06-01T12:00:00Z",
        "source": "test",
    }
    document.update(fields)
    return document


def compliant_cluster(name: str = "good") -> dict[str, Any]:
    """A cluster that passes every enabled built-in policy against :func:`compliant_catalog`."""
    return {
        "id": cluster_id(name),
        "name": name,
        "location": "eastus",
        "skuTier": "Standard",
        "supportPlan": "KubernetesOfficial",
        "kubernetesVersion": "1.33.2",
        "currentKubernetesVersion": "1.33.2",
        "autoUpgradeProfile": {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"},
        "maintenanceConfigurations": [
            {
                "name": "aksManagedAutoUpgradeSchedule",
                "scheduleKind": "weekly",
                "dayOfWeek": "Sunday",
                "durationHours": 8,
            },
            {
                "name": "aksManagedNodeOSUpgradeSchedule",
                "scheduleKind": "weekly",
                "dayOfWeek": "Saturday",
                "durationHours": 6,
            },
        ],
        "nodePools": [
            {
                "name": "system",
                "mode": "System",
                "osType": "Linux",
                "currentOrchestratorVersion": "1.33.2",
                "nodeImageVersion": "AKSUbuntu-2204gen2containerd-202605.25.0",
                "latestNodeImageVersion": "AKSUbuntu-2204gen2containerd-202605.25.0",
            }
        ],
    }


def compliant_catalog() -> dict[str, Any]:
    return {
        "location": "eastus",
        "versions": [
            {"version": "1.32", "supportPlans": ["KubernetesOfficial"], "patchVersions": {"1.32.5": []}},
            {"version": "1.33", "supportPlans": ["KubernetesOfficial"], "patchVersions": {"1.33.2": []}},
        ],
    }


@pytest.fixture
def write_estate(tmp_path: Path) -> Callable[..., Path]:
    def write(**fields: Any) -> Path:
        path = tmp_path / "estate.json"
        path.write_text(json.dumps(estate_document(**fields)), encoding="utf-8")
        return path

    return write


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run ``aks-auditor ARGS`` in-process: (exit code, stdout, stderr); exceptions are not swallowed."""
    result = CliRunner().invoke(cli, list(args), prog_name="aks-auditor", catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr
