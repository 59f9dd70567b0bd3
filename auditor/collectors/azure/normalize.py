"""ARM JSON (as Resource Graph and the AKS API return it) -> inventory models. Pure functions.

Shapes: ``Microsoft.ContainerService`` managedClusters, maintenanceConfigurations, ListKubernetesVersions
and upgrade profiles (https://learn.microsoft.com/rest/api/aks/). Unknown enum values are kept as strings;
a wrong type where the API documents an object raises :class:`PayloadError` naming the resource and field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from auditor.collectors.azure.payload import Reader, resource_id
from auditor.collectors.interface import PayloadError
from auditor.inventory import (
    Cluster,
    ClusterUpgradeProfile,
    Fleet,
    FleetMembership,
    MaintenanceConfiguration,
    NodePool,
    VersionCatalog,
)
from auditor.inventory.base import normalize_id

__all__ = [
    "PayloadError",
    "attach_memberships",
    "cluster",
    "cluster_upgrade_profile",
    "maintenance_configuration",
    "pool_latest_node_image",
    "version_catalog",
]

#: ``properties.maintenanceWindow.schedule`` has exactly one of these keys
#: (https://learn.microsoft.com/rest/api/aks/maintenance-configurations/get#schedule).
SCHEDULE_KINDS = ("daily", "weekly", "absoluteMonthly", "relativeMonthly")


def _node_pool(read: Reader, raw: Mapping[str, Any], path: str) -> NodePool:
    power = read.obj(raw.get("powerState"), f"{path}.powerState")
    fields = {
        "name": read.text(raw.get("name"), f"{path}.name"),
        "mode": read.text(raw.get("mode"), f"{path}.mode"),
        "os_type": read.text(raw.get("osType"), f"{path}.osType"),
        "os_sku": read.text(raw.get("osSKU"), f"{path}.osSKU"),
        "orchestrator_version": read.text(raw.get("orchestratorVersion"), f"{path}.orchestratorVersion"),
        "current_orchestrator_version": read.text(
            raw.get("currentOrchestratorVersion"), f"{path}.currentOrchestratorVersion"
        ),
        "node_image_version": read.text(raw.get("nodeImageVersion"), f"{path}.nodeImageVersion"),
        "count": raw.get("count"),
        "power_state": read.text(power.get("code"), f"{path}.powerState.code"),
        "provisioning_state": read.text(raw.get("provisioningState"), f"{path}.provisioningState"),
    }
    return read.model(NodePool, fields, path)


def cluster(resource: Any) -> Cluster:
    """A whole ``managedClusters`` resource (node pools inline in ``properties.agentPoolProfiles``).

    ``maintenance_configurations`` stays ``None`` (not collected): they are a separate API call.
    """
    rid = resource_id(resource, "managedCluster")
    read = Reader(rid)
    props = read.obj(resource.get("properties"), "properties")
    sku = read.obj(resource.get("sku"), "sku")
    auto = props.get("autoUpgradeProfile")
    auto_fields = read.obj(auto, "properties.autoUpgradeProfile")
    power = read.obj(props.get("powerState"), "properties.powerState")
    pools = read.items(props.get("agentPoolProfiles"), "properties.agentPoolProfiles")
    fields = {
        **read.tracked(resource),
        "sku_tier": read.text(sku.get("tier"), "sku.tier"),
        "support_plan": read.text(props.get("supportPlan"), "properties.supportPlan"),
        "kubernetes_version": read.text(props.get("kubernetesVersion"), "properties.kubernetesVersion"),
        "current_kubernetes_version": read.text(
            props.get("currentKubernetesVersion"), "properties.currentKubernetesVersion"
        ),
        "provisioning_state": read.text(props.get("provisioningState"), "properties.provisioningState"),
        "power_state": read.text(power.get("code"), "properties.powerState.code"),
        "auto_upgrade_profile": None
        if auto is None
        else {
            "upgrade_channel": read.text(
                auto_fields.get("upgradeChannel"), "properties.autoUpgradeProfile.upgradeChannel"
            ),
            "node_os_upgrade_channel": read.text(
                auto_fields.get("nodeOSUpgradeChannel"),
                "properties.autoUpgradeProfile.nodeOSUpgradeChannel",
            ),
        },
        "node_pools": [
            _node_pool(read, raw, f"properties.agentPoolProfiles[{index}]") for index, raw in enumerate(pools)
        ],
    }
    return read.model(Cluster, fields, "managedCluster")


def _date_spans(read: Reader, value: Any, path: str) -> list[dict[str, Any]]:
    return [{"start": span.get("start"), "end": span.get("end")} for span in read.items(value, path)]


def _schedule(read: Reader, schedule: Mapping[str, Any]) -> dict[str, Any]:
    kind = next((k for k in SCHEDULE_KINDS if schedule.get(k) is not None), None)
    if kind is None:
        # A schedule kind newer than us: keep its name so policies can report it.
        kind = next(iter(schedule), None)
        return {"schedule_kind": kind}
    body = read.obj(schedule[kind], f"properties.maintenanceWindow.schedule.{kind}")
    return {
        "schedule_kind": kind,
        "interval_days": body.get("intervalDays"),
        "interval_weeks": body.get("intervalWeeks"),
        "interval_months": body.get("intervalMonths"),
        "day_of_week": read.text(body.get("dayOfWeek"), f"schedule.{kind}.dayOfWeek"),
        "day_of_month": body.get("dayOfMonth"),
        "week_index": read.text(body.get("weekIndex"), f"schedule.{kind}.weekIndex"),
    }


def maintenance_configuration(raw: Any) -> MaintenanceConfiguration:
    """One ``maintenanceConfigurations`` item: a maintenance window, or the legacy ``default`` shape."""
    if not isinstance(raw, Mapping):
        raise PayloadError(f"maintenanceConfiguration: expected an object, got {type(raw).__name__}")
    read = Reader(str(raw.get("id") or raw.get("name")))
    props = read.obj(raw.get("properties"), "properties")
    fields: dict[str, Any] = {"name": read.text(raw.get("name"), "name"), "id": raw.get("id")}
    window = props.get("maintenanceWindow")
    if window is not None:
        win = read.obj(window, "properties.maintenanceWindow")
        path = "properties.maintenanceWindow"
        fields |= _schedule(read, read.obj(win.get("schedule"), f"{path}.schedule"))
        fields |= {
            "duration_hours": win.get("durationHours"),
            "utc_offset": read.text(win.get("utcOffset"), f"{path}.utcOffset"),
            "start_time": read.text(win.get("startTime"), f"{path}.startTime"),
            "start_date": read.text(win.get("startDate"), f"{path}.startDate"),
            "not_allowed_dates": _date_spans(read, win.get("notAllowedDates"), f"{path}.notAllowedDates"),
        }
    elif props.get("timeInWeek") is not None or props.get("notAllowedTime") is not None:
        fields["schedule_kind"] = "timeInWeek"
        fields["time_in_week"] = [
            {
                "day": read.text(slot.get("day"), "properties.timeInWeek.day"),
                "hour_slots": slot.get("hourSlots") or [],
            }
            for slot in read.items(props.get("timeInWeek"), "properties.timeInWeek")
        ]
        fields["not_allowed_time"] = _date_spans(
            read, props.get("notAllowedTime"), "properties.notAllowedTime"
        )
    return read.model(MaintenanceConfiguration, fields, "maintenanceConfiguration")


def version_catalog(location: str, body: Any) -> VersionCatalog:
    """``ListKubernetesVersions``: the list is under ``values`` (plural), not ``value``
    (https://learn.microsoft.com/rest/api/aks/managed-clusters/list-kubernetes-versions)."""
    read = Reader(f"kubernetesVersions({location})")
    minors = []
    for index, item in enumerate(read.items(read.obj(body, "(body)").get("values"), "values")):
        path = f"values[{index}]"
        caps = read.obj(item.get("capabilities"), f"{path}.capabilities")
        patches = read.obj(item.get("patchVersions"), f"{path}.patchVersions")
        minors.append(
            {
                "version": read.text(item.get("version"), f"{path}.version"),
                "is_preview": bool(item.get("isPreview")),
                "is_default": bool(item.get("isDefault")),
                "support_plans": read.strings(caps.get("supportPlan"), f"{path}.capabilities.supportPlan"),
                "patch_versions": {
                    patch: read.strings(
                        read.obj(target, f"{path}.patchVersions.{patch}").get("upgrades"),
                        f"{path}.patchVersions.{patch}.upgrades",
                    )
                    for patch, target in patches.items()
                },
            }
        )
    return read.model(VersionCatalog, {"location": location, "versions": minors}, "kubernetesVersions")


def pool_latest_node_image(body: Any, pool_id: str) -> str | None:
    """``agentPools/{pool}/upgradeProfiles/default``: ``properties.latestNodeImageVersion``."""
    read = Reader(pool_id)
    props = read.obj(read.obj(body, "(body)").get("properties"), "properties")
    return read.text(props.get("latestNodeImageVersion"), "properties.latestNodeImageVersion")


def cluster_upgrade_profile(body: Any, cluster_id: str) -> ClusterUpgradeProfile:
    """``managedClusters/{name}/upgradeProfiles/default``: the control plane's available upgrades."""
    read = Reader(cluster_id)
    props = read.obj(read.obj(body, "(body)").get("properties"), "properties")
    plane = read.obj(props.get("controlPlaneProfile"), "properties.controlPlaneProfile")
    path = "properties.controlPlaneProfile.upgrades"
    upgrades = [
        read.text(item.get("kubernetesVersion"), f"{path}.kubernetesVersion")
        for item in read.items(plane.get("upgrades"), path)
    ]
    fields = {
        "kubernetes_version": read.text(plane.get("kubernetesVersion"), "properties.controlPlaneProfile"),
        "upgrades": [version for version in upgrades if version],
    }
    return read.model(ClusterUpgradeProfile, fields, "upgradeProfile")


def attach_memberships(clusters: Iterable[Cluster], fleets: Iterable[Fleet]) -> list[Cluster]:
    """Set each cluster's ``fleet_memberships`` from fleet members (ARM ids are case-insensitive).

    When some fleet's members could not be read, a cluster found in no fleet may still be in that one:
    its memberships are unknown (``None``), not empty.
    """
    by_cluster: dict[str, list[FleetMembership]] = {}
    fleets = list(fleets)
    unknown = any(fleet.members is None for fleet in fleets)
    for fleet in fleets:
        for member in fleet.members or ():
            if member.cluster_resource_id:
                by_cluster.setdefault(normalize_id(member.cluster_resource_id), []).append(
                    FleetMembership(fleet_id=fleet.id, member_name=member.name, group=member.group)
                )
    return [
        c.model_copy(update={"fleet_memberships": tuple(by_cluster[key])})
        if (key := normalize_id(c.id)) in by_cluster
        else c.model_copy(update={"fleet_memberships": None})
        if unknown
        else c
        for c in clusters
    ]
