"""Creation times of Fleet update runs, from the Fleet ARM API when Resource Graph cannot tell.

Resource Graph rows carry no ``systemData``, and a run that has not started has no ``startTime``: such a
run has no time at all. That matters only when the order of a fleet's runs could change a verdict —
some run failed or was stopped, and an undated run might be newer (FLEET-004: "the most recent run
failed"). For those fleets only, one ``updateRuns`` list call through the SDK reads ``systemData``.
"""

from __future__ import annotations

from auditor.collectors.azure.aks import page_items
from auditor.collectors.azure.clients import AzureClients
from auditor.collectors.interface import PayloadError
from auditor.inventory import Fleet
from auditor.inventory.base import arm_segment, normalize_id

FAILED_STATES = frozenset({"failed", "stopped"})


def needs_run_times(fleet: Fleet) -> bool:
    """Whether a run has neither a start nor a creation time while some run failed or was stopped."""
    runs = fleet.update_runs or ()
    undated = any(run.start_time is None and run.created_at is None for run in runs)
    return undated and any((run.state or "").lower() in FAILED_STATES for run in runs)


class FleetRuns:
    def __init__(self, clients: AzureClients) -> None:
        self._clients = clients

    def creation_times(self, fleet: Fleet) -> dict[str, str]:
        """Normalized run id -> ``systemData.createdAt`` for every run the list returns with one."""
        group = arm_segment(fleet.id, "resourceGroups") or fleet.resource_group
        name = arm_segment(fleet.id, "fleets") or fleet.name
        client = self._clients.fleet(fleet.subscription_id)
        times: dict[str, str] = {}
        for item in client.update_runs.list_by_fleet(group, name, cls=page_items):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise PayloadError(f"{fleet.id}/updateRuns: a listed run has no id")
            created = (item.get("systemData") or {}).get("createdAt")
            if isinstance(created, str) and created:
                times[normalize_id(item["id"])] = created
        return times


def with_run_times(fleet: Fleet, times: dict[str, str]) -> Fleet:
    runs = tuple(
        run.model_copy(update={"created_at": times[normalize_id(run.id)]})
        if run.created_at is None and normalize_id(run.id) in times
        else run
        for run in fleet.update_runs or ()
    )
    return fleet.model_copy(update={"update_runs": runs})
