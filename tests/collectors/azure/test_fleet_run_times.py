"""FLEET-004 when Resource Graph cannot order a fleet's update runs: the creation times come from the Fleet
ARM API (one list call per fleet, through the SDK), only when the order could change the verdict."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from auditor.findings import Finding, Status
from auditor.inventory import Estate
from auditor.policies.evaluator import Evaluator
from auditor.policies.loader import Selection, configure, load_policy_dirs
from auditor.resources import builtin_policies_dir
from tests.fakes.arm import FakeArm, Fault
from tests.fakes.arm_estate import SUBSCRIPTION, ArmEstate, example_estate, fleet_arm_id

from .conftest import collect

FLEET = fleet_arm_id(SUBSCRIPTION, "rg1", "fleet-1")
RUN_BODY = {
    "properties": {"status": {"status": {"state": "Completed"}, "stages": []}, "managedClusterUpdate": {}},
}


def fleet_with_runs(*runs: tuple[str, str, str | None, str]) -> ArmEstate:
    """The examples' estate, its fleet's runs replaced by ``(name, state, startTime, createdAt)``; the
    fake's Resource Graph drops systemData (as the real one does), its ARM list keeps it."""
    estate = example_estate()
    table = estate.tables["aksresources"]
    table[:] = [r for r in table if r["type"] != "microsoft.containerservice/fleets/updateruns"]
    for name, state, started, created in runs:
        run: dict[str, Any] = copy.deepcopy(RUN_BODY)
        run["properties"]["status"]["status"] = {"state": state} | ({"startTime": started} if started else {})
        run["systemData"] = {"createdAt": created, "createdBy": "ops@contoso.com"}
        estate.add_fleet_child(FLEET, "updateRuns", run, name)
    return estate


def fleet_004(estate: Estate) -> Finding:
    policies = [
        p
        for p in configure(load_policy_dirs(builtin_policies_dir(), []), Selection())
        if p.spec.id == "FLEET-004"
    ]
    evaluator = Evaluator(policies, datetime(2026, 12, 3, tzinfo=UTC))
    (finding,) = evaluator.evaluate(estate)
    return finding


def test_an_undated_run_beside_a_failed_one_is_dated_from_the_arm_list(
    start_arm: Callable[[ArmEstate], FakeArm],
) -> None:
    fake = start_arm(
        fleet_with_runs(
            ("nov", "Failed", "2026-11-02T01:00:00Z", "2026-11-01T09:00:00Z"),
            ("dec", "NotStarted", None, "2026-12-01T09:00:00Z"),  # newer, has not started
        )
    )
    estate = collect(fake)
    assert estate.coverage.gaps == ()
    assert len(fake.calls("list_runs")) == 1
    runs = {run.name: run.created_at for run in estate.fleets[0].update_runs or ()}
    assert runs == {"nov": "2026-11-01T09:00:00Z", "dec": "2026-12-01T09:00:00Z"}
    finding = fleet_004(estate)
    assert finding.status is Status.PASS  # the most recent run is dec, not the failed one
    assert finding.evidence["latestRun"] == "dec"


def test_the_failed_run_is_still_the_latest_when_the_undated_one_is_older(
    start_arm: Callable[[ArmEstate], FakeArm],
) -> None:
    fake = start_arm(
        fleet_with_runs(
            ("nov", "Failed", "2026-11-02T01:00:00Z", "2026-11-01T09:00:00Z"),
            ("draft", "NotStarted", None, "2026-10-01T09:00:00Z"),
        )
    )
    finding = fleet_004(collect(fake))
    assert (finding.status, finding.evidence["latestRun"]) == (Status.FAIL, "nov")


def test_runs_whose_order_cannot_matter_cost_no_call(start_arm: Callable[[ArmEstate], FakeArm]) -> None:
    fake = start_arm(
        fleet_with_runs(
            ("nov", "Completed", "2026-11-02T01:00:00Z", "2026-11-01T09:00:00Z"),
            ("dec", "NotStarted", None, "2026-12-01T09:00:00Z"),
        )
    )
    estate = collect(fake)
    assert fake.calls("list_runs") == []
    assert fleet_004(estate).status is Status.PASS


def test_a_list_that_fails_is_a_gap_and_the_verdict_an_error(
    start_arm: Callable[[ArmEstate], FakeArm],
) -> None:
    fake = start_arm(
        fleet_with_runs(
            ("nov", "Failed", "2026-11-02T01:00:00Z", "2026-11-01T09:00:00Z"),
            ("dec", "NotStarted", None, "2026-12-01T09:00:00Z"),
        )
    )
    fake.inject("list_runs", *[Fault(status=500)] * 5)  # more than the SDK's retries
    estate = collect(fake)
    (gap,) = estate.coverage.gaps
    assert (gap.scope, gap.target, gap.operation) == ("fleet", FLEET, "updateRuns (creation times)")
    finding = fleet_004(estate)
    assert finding.status is Status.ERROR
    assert "has neither a start nor a creation time" in finding.message


def test_the_policy_alone_decides_without_times_when_it_can() -> None:
    """No collector involved: a snapshot whose undated run is NotStarted and whose dated runs succeeded."""
    fleet = {
        "id": FLEET,
        "name": "fleet-1",
        "updateRuns": [
            {
                "id": f"{FLEET}/updateRuns/a",
                "name": "a",
                "state": "Completed",
                "startTime": "2026-11-01T00:00:00Z",
            },
            {"id": f"{FLEET}/updateRuns/b", "name": "b", "state": "NotStarted"},
        ],
    }
    estate = Estate.model_validate(
        {"collectedAt": "2026-12-03T00:00:00Z", "source": "test", "fleets": [fleet]}
    )
    assert fleet_004(estate).status is Status.PASS
