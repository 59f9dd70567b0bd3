"""The upgrade horizon in the scan result: each cluster's end of support, days left and next windows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from auditor.horizon import cluster_horizon
from auditor.inventory import Cluster
from auditor.release_calendar import packaged_calendar

from .conftest import cluster_id, compliant_cluster, run_cli

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def test_the_json_report_carries_the_horizon_of_every_demo_cluster(tmp_path: Path) -> None:
    code, out, _ = run_cli("scan", "--demo", "--format", "json", "--output-dir", str(tmp_path))
    assert code == 1
    assert (
        "Horizon:  12 clusters: 2 past end of support, 1 within 30 days, 0 within 90 days, 9 beyond; "
        "soonest: aks-shared-tools-weu 1.30 ended 2025-07-31 (477 days ago)"
    ) in out
    result = json.loads((tmp_path / "aks-auditor.json").read_text(encoding="utf-8"))
    assert result["schemaVersion"] == "2.4"
    horizon = {item["name"]: item for item in result["horizon"]}
    assert len(horizon) == 12
    assert horizon["aks-prod-sea-01"] | {"resourceId": ""} == {
        "resourceId": "",
        "name": "aks-prod-sea-01",
        "minor": "1.32",
        "support": "community",
        "endOfSupport": "2026-12-15",
        "daysLeft": 25,
        "unknown": None,
        "nextWindows": {
            # monthly on the 15th at 18:00 +08:00 for 8 hours; daily at 02:00 +08:00 for 4 hours
            "aksManagedAutoUpgradeSchedule": ["2026-12-15T10:00:00Z", "2026-12-15T18:00:00Z"],
            "aksManagedNodeOSUpgradeSchedule": ["2026-11-20T18:00:00Z", "2026-11-20T22:00:00Z"],
        },
        "windowErrors": {},
    }
    assert horizon["aks-payments-prod-eus"]["support"] == "long-term"  # LTS plan on Premium
    assert horizon["aks-payments-prod-eus"]["endOfSupport"] == "2027-05-31"
    assert horizon["aks-test-weu-01"]["nextWindows"] == {
        "default": ["2026-11-24T01:00:00Z", "2026-11-24T04:00:00Z"]
    }
    assert horizon["aks-shared-obs-sea"]["nextWindows"] == {}  # no window at all


def test_unknown_end_and_unknown_windows_say_why() -> None:
    raw = compliant_cluster() | {"currentKubernetesVersion": "1.37.0"}
    raw["maintenanceConfigurations"] = [
        {"name": "aksManagedAutoUpgradeSchedule", "scheduleKind": "weekly", "intervalWeeks": 2, "dayOfWeek": "Monday",
         "durationHours": 4},
        {"name": "team-window", "scheduleKind": "weekly", "intervalWeeks": 1, "dayOfWeek": "Monday", "durationHours": 4},
    ]  # fmt: skip
    horizon = cluster_horizon(Cluster.model_validate(raw), packaged_calendar(), NOW)
    assert horizon.resource_id == cluster_id("good")
    assert (horizon.minor, horizon.end_of_support, horizon.days_left) == ("1.37", None, None)
    assert horizon.unknown == (
        "no end-of-support date for 1.37 in the release calendar as of 2026-08-22; update it with "
        "aks-auditor calendar update -o FILE, then --release-calendar FILE"
    )
    assert horizon.next_windows == {}  # the custom-named configuration is not an AKS-managed window
    assert list(horizon.window_errors) == ["aksManagedAutoUpgradeSchedule"]
    nothing = cluster_horizon(
        Cluster.model_validate({"id": cluster_id("x"), "name": "x"}), packaged_calendar(), NOW
    )
    assert nothing.unknown == "neither currentKubernetesVersion nor kubernetesVersion is known"
