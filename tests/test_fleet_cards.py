"""Fleet cards in the result and the HTML report's Fleets section: members with their hub status,
placements per member cluster, update runs — agreeing with the FLEET policies' verdicts on the demo, and
"not read" when a part was not collected."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from auditor.fleet_cards import fleet_card
from auditor.inventory.fleet import Fleet
from tests.reporters.test_glance import demo_reports


def test_demo_fleets_agree_with_the_fleet_policies(tmp_path: Path) -> None:
    result, page = demo_reports(tmp_path)
    members = {m["name"]: m for fleet in result["fleets"] for m in fleet["members"]}
    failing = {
        f["resourceName"].rsplit("/", 1)[-1]  # "hub/member"
        for f in result["findings"]
        if f["policyId"] == "FLEET-001" and f["status"] == "fail"
    }
    unwell = {
        name
        for name, m in members.items()
        if not (m["joined"] and m["healthy"]) or m["heartbeatAgeMinutes"] > 5
    }
    assert unwell == failing == {"prod-sea-01", "perf-eus-02"}
    rows = [
        (p["placement"], p["cluster"], p["steps"]) for fleet in result["fleets"] for p in fleet["placements"]
    ]
    assert ("ingress-nginx", None, {"Scheduled": "False"}) in rows  # a slot that could not be scheduled
    assert ("team-checkout", "prod-weu-01", {"Scheduled": "True", "Applied": "False"}) in rows
    failed_runs = {
        r["name"] for fleet in result["fleets"] for r in fleet["updateRuns"] if r["state"] == "Failed"
    }
    assert failed_runs == {"upgrade-1-34-2-nonprod"}
    tables = page.all("table", "fleet-members")
    assert len(tables) == len(result["fleets"]) == 2
    assert "prod-sea-01 aks-prod-sea-01 wave-2 no no 137" in tables[0].content


def test_what_was_not_read_is_said_so() -> None:
    fleet = Fleet.model_validate({"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/fleets/f",
                                  "name": "f", "location": "eastus"})  # fmt: skip
    card = fleet_card(fleet, None, datetime(2026, 6, 1, tzinfo=UTC))
    assert (card.members, card.placements, card.update_runs, card.hub) == (None, None, None, None)
