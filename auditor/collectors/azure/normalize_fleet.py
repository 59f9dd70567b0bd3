"""Fleet Manager ARM JSON (fleets and their child resources) -> inventory models. Pure functions.

Shapes: ``Microsoft.ContainerService/fleets`` api 2026-06-01 (https://learn.microsoft.com/rest/api/fleet/).
Child resources are grouped under their fleet by :func:`fleet_id_of` (the id prefix up to the fleet name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.collectors.azure.payload import Reader, resource_id
from auditor.collectors.interface import PayloadError
from auditor.inventory import (
    Fleet,
    FleetAutoUpgradeProfile,
    FleetMember,
    UpdateRun,
    UpdateStrategy,
)
from auditor.inventory.base import normalize_id

__all__ = [
    "auto_upgrade_profile",
    "fleet",
    "fleet_id_of",
    "fleet_member",
    "update_run",
    "update_strategy",
]


def fleet_id_of(child_id: str) -> str:
    """Normalized id of the fleet a child resource (``.../fleets/{name}/members/{m}``) belongs to."""
    parts = child_id.strip("/").split("/")
    for index in range(1, len(parts) - 1):
        # The provider segment anchors the match: a resource group may itself be called "fleets".
        if parts[index - 1].lower() == "microsoft.containerservice" and parts[index].lower() == "fleets":
            return normalize_id("/".join(parts[: index + 2]))
    raise PayloadError(f"{child_id}: id: not a child of a Microsoft.ContainerService/fleets resource")


def fleet(resource: Any) -> Fleet:
    """A whole ``fleets`` resource; its child collections stay ``None`` until collected."""
    rid = resource_id(resource, "fleet")
    read = Reader(rid)
    props = read.obj(resource.get("properties"), "properties")
    hub = props.get("hubProfile")
    hub_fields = read.obj(hub, "properties.hubProfile")
    fields = {
        **read.tracked(resource),
        "provisioning_state": read.text(props.get("provisioningState"), "properties.provisioningState"),
        "hub_profile": None
        if hub is None
        else {
            key: read.text(hub_fields.get(wire), f"properties.hubProfile.{wire}")
            for key, wire in (
                ("dns_prefix", "dnsPrefix"),
                ("fqdn", "fqdn"),
                ("kubernetes_version", "kubernetesVersion"),
                ("portal_fqdn", "portalFqdn"),
            )
        },
    }
    return read.model(Fleet, fields, "fleet")


def fleet_member(resource: Any) -> FleetMember:
    rid = resource_id(resource, "fleet member")
    read = Reader(rid)
    props = read.obj(resource.get("properties"), "properties")
    fields = {
        "id": rid,
        "name": read.text(resource.get("name"), "name"),
        "cluster_resource_id": read.text(props.get("clusterResourceId"), "properties.clusterResourceId"),
        "group": read.text(props.get("group"), "properties.group"),
        "provisioning_state": read.text(props.get("provisioningState"), "properties.provisioningState"),
        "labels": read.tags(props.get("labels"), "properties.labels"),
    }
    return read.model(FleetMember, fields, "fleet member")


def _state(read: Reader, holder: Mapping[str, Any], path: str) -> str | None:
    status = read.obj(holder.get("status"), f"{path}.status")
    return read.text(status.get("state"), f"{path}.status.state")


def _run_stages(read: Reader, stages: Any) -> list[dict[str, Any]]:
    result = []
    for s_index, stage in enumerate(read.items(stages, "properties.status.stages")):
        s_path = f"properties.status.stages[{s_index}]"
        groups = []
        for g_index, group in enumerate(read.items(stage.get("groups"), f"{s_path}.groups")):
            g_path = f"{s_path}.groups[{g_index}]"
            members = []
            for m_index, member in enumerate(read.items(group.get("members"), f"{g_path}.members")):
                m_path = f"{g_path}.members[{m_index}]"
                status = read.obj(member.get("status"), f"{m_path}.status")
                error = read.obj(status.get("error"), f"{m_path}.status.error")
                members.append(
                    {
                        "name": read.text(member.get("name"), f"{m_path}.name"),
                        "cluster_resource_id": read.text(
                            member.get("clusterResourceId"), f"{m_path}.clusterResourceId"
                        ),
                        "state": read.text(status.get("state"), f"{m_path}.status.state"),
                        "message": read.text(error.get("message"), f"{m_path}.status.error.message"),
                    }
                )
            groups.append(
                {"name": group.get("name"), "state": _state(read, group, g_path), "members": members}
            )
        result.append({"name": stage.get("name"), "state": _state(read, stage, s_path), "groups": groups})
    return result


def update_run(resource: Any) -> UpdateRun:
    """``fleets/updateRuns``; ``state`` is ``properties.status.status.state``."""
    rid = resource_id(resource, "update run")
    read = Reader(rid)
    props = read.obj(resource.get("properties"), "properties")
    status = read.obj(props.get("status"), "properties.status")
    run_status = read.obj(status.get("status"), "properties.status.status")
    update = read.obj(props.get("managedClusterUpdate"), "properties.managedClusterUpdate")
    upgrade = read.obj(update.get("upgrade"), "properties.managedClusterUpdate.upgrade")
    selection = read.obj(
        update.get("nodeImageSelection"), "properties.managedClusterUpdate.nodeImageSelection"
    )
    system = read.obj(resource.get("systemData"), "systemData")
    fields = {
        "id": rid,
        "name": read.text(resource.get("name"), "name"),
        "provisioning_state": read.text(props.get("provisioningState"), "properties.provisioningState"),
        "state": read.text(run_status.get("state"), "properties.status.status.state"),
        "upgrade_type": read.text(upgrade.get("type"), "properties.managedClusterUpdate.upgrade.type"),
        "target_kubernetes_version": read.text(
            upgrade.get("kubernetesVersion"), "properties.managedClusterUpdate.upgrade.kubernetesVersion"
        ),
        "node_image_selection": read.text(
            selection.get("type"), "properties.managedClusterUpdate.nodeImageSelection.type"
        ),
        "update_strategy_id": read.text(props.get("updateStrategyId"), "properties.updateStrategyId"),
        "start_time": read.text(run_status.get("startTime"), "properties.status.status.startTime"),
        "completed_time": read.text(
            run_status.get("completedTime"), "properties.status.status.completedTime"
        ),
        "created_at": read.text(system.get("createdAt"), "systemData.createdAt"),
        "stages": _run_stages(read, status.get("stages")),
    }
    return read.model(UpdateRun, fields, "update run")


def update_strategy(resource: Any) -> UpdateStrategy:
    rid = resource_id(resource, "update strategy")
    read = Reader(rid)
    props = read.obj(resource.get("properties"), "properties")
    strategy = read.obj(props.get("strategy"), "properties.strategy")
    stages = []
    for index, stage in enumerate(read.items(strategy.get("stages"), "properties.strategy.stages")):
        path = f"properties.strategy.stages[{index}]"
        stages.append(
            {
                "name": stage.get("name"),
                "groups": [group.get("name") for group in read.items(stage.get("groups"), f"{path}.groups")],
                "after_stage_wait_in_seconds": stage.get("afterStageWaitInSeconds"),
            }
        )
    fields = {"id": rid, "name": read.text(resource.get("name"), "name"), "stages": stages}
    return read.model(UpdateStrategy, fields, "update strategy")


def auto_upgrade_profile(resource: Any) -> FleetAutoUpgradeProfile:
    rid = resource_id(resource, "auto-upgrade profile")
    read = Reader(rid)
    props = read.obj(resource.get("properties"), "properties")
    selection = read.obj(props.get("nodeImageSelection"), "properties.nodeImageSelection")
    fields = {
        "id": rid,
        "name": read.text(resource.get("name"), "name"),
        "channel": read.text(props.get("channel"), "properties.channel"),
        "target_kubernetes_version": read.text(
            props.get("targetKubernetesVersion"), "properties.targetKubernetesVersion"
        ),
        "long_term_support": props.get("longTermSupport"),
        "disabled": props.get("disabled"),
        "node_image_selection": read.text(selection.get("type"), "properties.nodeImageSelection.type"),
        "update_strategy_id": read.text(props.get("updateStrategyId"), "properties.updateStrategyId"),
        "provisioning_state": read.text(props.get("provisioningState"), "properties.provisioningState"),
    }
    return read.model(FleetAutoUpgradeProfile, fields, "auto-upgrade profile")
