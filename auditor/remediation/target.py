"""The Azure side of applying a plan: read what a step is about, and write it — through the SDK clients.

Reads are GETs of the one resource a step names (``managedClusters``, ``agentPools``,
``maintenanceConfigurations``, Fleet ``updateRuns``). Writes are read-modify-write of the resource as
just read (``az aks update`` is a GET + PUT: ARM has no PATCH here), guarded by ``If-Match`` with the
ETag of that read; long-running operations are the SDK's pollers, whose continuation token is what the
journal keeps so a restarted run polls instead of writing again.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.mgmt.containerservice.models import AgentPool, MaintenanceConfiguration, ManagedCluster
from azure.mgmt.containerservicefleet.models import UpdateRun

from auditor.collectors.azure.clients import AzureClients
from auditor.collectors.azure.normalize import maintenance_configuration
from auditor.inventory.aks import MaintenanceConfiguration as MaintenanceWindow
from auditor.inventory.base import arm_segment
from auditor.remediation.plan import Action, Step

#: provisioningState values of a resource no operation is changing.
SETTLED = frozenset({"succeeded", "failed", "canceled"})


@dataclass(frozen=True)
class Observed:
    """A step's resource as read now: its values under the step's keys, and whether it is settled."""

    values: dict[str, Any]
    state: str  # provisioningState ("" when the resource has none, e.g. a maintenance configuration)
    etag: str | None
    body: dict[str, Any] | None  # the resource as read (REST shape), for read-modify-write
    #: For a node pool: the version its control plane runs now (a pool never goes above it).
    plane: str | None = None

    @property
    def busy(self) -> bool:
        return bool(self.state) and self.state.lower() not in SETTLED


class StepTarget:
    """Reads and writes the resources of plan steps with one set of SDK clients."""

    def __init__(self, clients: AzureClients) -> None:
        self.clients = clients

    # --- reading ----------------------------------------------------------------------------------

    def observe(self, step: Step) -> Observed:
        rid = step.resource_id
        match step.action:
            case Action.UPGRADE_CONTROL_PLANE:
                body = self._cluster(rid)
                props = body.get("properties", {})
                running = props.get("currentKubernetesVersion") or props.get("kubernetesVersion")
                return self._seen(body, {"kubernetesVersion": running})
            case Action.SET_AUTO_UPGRADE_CHANNEL | Action.SET_NODE_OS_UPGRADE_CHANNEL:
                body = self._cluster(rid)
                key = next(iter(step.to))
                profile = body.get("properties", {}).get("autoUpgradeProfile") or {}
                return self._seen(body, {key: profile.get(key)})
            case Action.SET_SKU_TIER:
                body = self._cluster(rid)
                return self._seen(body, {"sku": {"tier": (body.get("sku") or {}).get("tier")}})
            case Action.UPGRADE_NODE_POOL:
                body = self._pool(rid)
                props = body.get("properties", {})
                running = props.get("currentOrchestratorVersion") or props.get("orchestratorVersion")
                cluster = self._cluster(step.cluster_id).get("properties", {})
                plane = cluster.get("currentKubernetesVersion") or cluster.get("kubernetesVersion")
                return replace(self._seen(body, {"orchestratorVersion": running}), plane=plane)
            case Action.UPGRADE_NODE_IMAGE:
                body = self._pool(rid)
                return self._seen(
                    body, {"nodeImageVersion": body.get("properties", {}).get("nodeImageVersion")}
                )
            case Action.ADD_MAINTENANCE_WINDOW:
                config = self._maintenance(rid)
                if config is None:
                    return Observed({}, "", None, None)
                window = config.get("properties", {}).get("maintenanceWindow")
                return Observed({"maintenanceWindow": window}, "", None, config)
            case Action.START_FLEET_UPDATE_RUN:
                return self._fleet_members(step)
        raise ValueError(f"{step.id}: no reader for action {step.action}")  # every Action is matched above

    @staticmethod
    def _seen(body: dict[str, Any], values: dict[str, Any]) -> Observed:
        state = str(body.get("properties", {}).get("provisioningState") or "")
        return Observed(values, state, body.get("eTag"), body)

    def _cluster(self, rid: str) -> dict[str, Any]:
        sub, group, name = _parts(rid, "managedClusters")
        return dict(self.clients.aks(sub).managed_clusters.get(group, name).as_dict())

    def _pool(self, rid: str) -> dict[str, Any]:
        sub, group, name = _parts(rid, "managedClusters")
        pool = _segment(rid, "agentPools")
        return dict(self.clients.aks(sub).agent_pools.get(group, name, pool).as_dict())

    def _maintenance(self, rid: str) -> dict[str, Any] | None:
        sub, group, name = _parts(rid, "managedClusters")
        config = _segment(rid, "maintenanceConfigurations")
        try:
            return dict(self.clients.aks(sub).maintenance_configurations.get(group, name, config).as_dict())
        except ResourceNotFoundError:
            return None

    def _fleet_members(self, step: Step) -> Observed:
        members: dict[str, Any] = {}
        busy = ""
        for cluster_id in step.from_.get("members", {}):
            body = self._cluster(cluster_id)
            props = body.get("properties", {})
            members[cluster_id] = props.get("currentKubernetesVersion") or props.get("kubernetesVersion")
            state = str(props.get("provisioningState") or "")
            if state and state.lower() not in SETTLED:
                busy = state
        sub, group, fleet = _parts(step.resource_id, "fleets")
        ours = _segment(step.resource_id, "updateRuns").lower()
        run_state: str | None = None
        for run in self.clients.fleet(sub).update_runs.list_by_fleet(group, fleet):
            body = run.as_dict()
            state = str(
                ((body.get("properties", {}).get("status") or {}).get("status") or {}).get("state", "")
            )
            if str(body.get("name", "")).lower() == ours:
                run_state = state  # our own run: its state tells whether the step is done
                if state.lower() in {"running", "stopping"}:
                    busy = busy or "Updating"  # started already: wait for it, never start it twice
            elif state.lower() in {"running", "notstarted", "stopping"}:
                busy = busy or "Updating"  # another run of the fleet is not finished
        return Observed({"members": members, "runState": run_state}, busy, None, None)

    def windows(self, cluster_id: str) -> tuple[MaintenanceWindow, ...]:
        """The cluster's maintenance configurations as the inventory models them (for window checks)."""
        sub, group, name = _parts(cluster_id, "managedClusters")
        items = self.clients.aks(sub).maintenance_configurations.list_by_managed_cluster(group, name)
        return tuple(maintenance_configuration(item.as_dict()) for item in items)

    # --- writing: each returns an SDK poller ------------------------------------------------------

    def write(self, step: Step, seen: Observed, token: str | None = None) -> Any:
        """Start the step's write on the resource as ``seen``; with ``token``, resume polling instead."""
        rid = step.resource_id
        resume: dict[str, Any] = {"continuation_token": token} if token else {}
        match step.action:
            case Action.UPGRADE_CONTROL_PLANE:
                return self._put_cluster(rid, seen, lambda b: _props(b).update(step.to), resume)
            case Action.SET_AUTO_UPGRADE_CHANNEL | Action.SET_NODE_OS_UPGRADE_CHANNEL:
                return self._put_cluster(
                    rid,
                    seen,
                    lambda b: _props(b).setdefault("autoUpgradeProfile", {}).update(step.to),
                    resume,
                )
            case Action.SET_SKU_TIER:
                return self._put_cluster(
                    rid, seen, lambda b: b.setdefault("sku", {}).update(step.to["sku"]), resume
                )
            case Action.UPGRADE_NODE_POOL:
                sub, group, name = _parts(rid, "managedClusters")
                body = dict(seen.body or {})
                _props(body).update(step.to)
                return self.clients.aks(sub).agent_pools.begin_create_or_update(
                    group,
                    name,
                    _segment(rid, "agentPools"),
                    AgentPool(body),
                    etag=seen.etag,
                    match_condition=MatchConditions.IfNotModified,
                    **resume,
                )
            case Action.UPGRADE_NODE_IMAGE:
                sub, group, name = _parts(rid, "managedClusters")
                return self.clients.aks(sub).agent_pools.begin_upgrade_node_image_version(
                    group, name, _segment(rid, "agentPools"), **resume
                )
            case Action.ADD_MAINTENANCE_WINDOW:
                sub, group, name = _parts(rid, "managedClusters")
                config = MaintenanceConfiguration({"properties": dict(step.to)})
                self.clients.aks(sub).maintenance_configurations.create_or_update(
                    group, name, _segment(rid, "maintenanceConfigurations"), config
                )
                return None  # synchronous: done when it returns
            case Action.START_FLEET_UPDATE_RUN:
                return self._fleet_run(step, token)
        raise ValueError(f"{step.id}: no writer for action {step.action}")

    def _put_cluster(
        self, rid: str, seen: Observed, change: Callable[[dict[str, Any]], None], resume: dict[str, Any]
    ) -> Any:
        sub, group, name = _parts(rid, "managedClusters")
        body = dict(seen.body or {})
        body["properties"] = dict(body.get("properties", {}))
        change(body)
        return self.clients.aks(sub).managed_clusters.begin_create_or_update(
            group,
            name,
            ManagedCluster(body),
            etag=seen.etag,
            match_condition=MatchConditions.IfNotModified,
            **resume,
        )

    def _fleet_run(self, step: Step, token: str | None) -> Any:
        sub, group, fleet = _parts(step.resource_id, "fleets")
        run_name = _segment(step.resource_id, "updateRuns")
        client = self.clients.fleet(sub).update_runs
        if token:  # the run exists: starting it is what was interrupted
            return client.begin_start(group, fleet, run_name, continuation_token=token)
        upgrade: dict[str, Any] = {"type": step.to["upgradeType"]}
        if "kubernetesVersion" in step.to:
            upgrade["kubernetesVersion"] = step.to["kubernetesVersion"]
        properties: dict[str, Any] = {
            "managedClusterUpdate": {
                "upgrade": upgrade,
                "nodeImageSelection": {"type": step.to.get("nodeImageSelection", "Latest")},
            }
        }
        if step.to.get("updateStrategyId"):
            properties["updateStrategyId"] = step.to["updateStrategyId"]
        with suppress(ResourceExistsError):  # created by an interrupted earlier attempt: start it
            client.begin_create_or_update(
                group,
                fleet,
                run_name,
                UpdateRun({"properties": properties}),
                match_condition=MatchConditions.IfMissing,
            ).result()
        return client.begin_start(group, fleet, run_name)


def _props(body: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = body.setdefault("properties", {})
    return props


def _segment(resource_id: str, key: str) -> str:
    value = arm_segment(resource_id, key)
    if value is None:
        raise ValueError(f"{resource_id}: no {key} segment")
    return value


def _parts(resource_id: str, kind: str) -> tuple[str, str, str]:
    return (
        _segment(resource_id, "subscriptions"),
        _segment(resource_id, "resourceGroups"),
        _segment(resource_id, kind),
    )
