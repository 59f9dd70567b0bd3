"""Turn an Estate into the documents policy expressions read: one per resource, built once.

Each resource kind has a fixed set of variables (documented in the README's policy authoring guide):

=====================  =====================================================================
kind                   variables besides ``now`` and ``params``
=====================  =====================================================================
cluster                resource (Cluster), catalog (region catalog or null), fleets (the fleets it is
                       a member of: id, name, autoUpgradeProfiles or null when not collected or the
                       fleet is outside the estate; null when its memberships are unknown)
nodePool               resource (NodePool), cluster (its cluster, without pools), catalog
fleet                  resource (Fleet)
updateRun              resource (UpdateRun), fleet, members (name, clusterResourceId, group,
                       runningVersion or null when the cluster is not in the estate)
autoUpgradeProfile     resource (FleetAutoUpgradeProfile), fleet, members (as above)
memberCluster          resource (MemberCluster), hub
placement              resource (Placement), hub
=====================  =====================================================================

The catalog is presented keyed by minor so look-ups are map reads:
``catalog.minors['1.30'] = {isPreview, isDefault, supportPlans, patches}``; ``catalog.versions`` lists the
minors in ascending order (iterate it, not the map, when order matters: map order is not stable).

A container that was not collected (a hub that could not be read, a fleet whose update runs are
unknown) yields a :class:`Gap` instead of documents, which the evaluator turns into ``error`` findings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, partial
from typing import Any

from auditor.inventory import (
    Cluster,
    Estate,
    Fleet,
    FleetMember,
    Hub,
    MemberCluster,
    NodePool,
    Placement,
    VersionCatalog,
)
from auditor.inventory.base import arm_segment, normalize_id
from auditor.policies.model import ResourceKind

KIND_VARIABLES: dict[ResourceKind, tuple[str, ...]] = {
    ResourceKind.CLUSTER: ("resource", "catalog", "fleets"),
    ResourceKind.NODE_POOL: ("resource", "cluster", "catalog"),
    ResourceKind.FLEET: ("resource",),
    ResourceKind.UPDATE_RUN: ("resource", "fleet", "members"),
    ResourceKind.AUTO_UPGRADE_PROFILE: ("resource", "fleet", "members"),
    ResourceKind.MEMBER_CLUSTER: ("resource", "hub"),
    ResourceKind.PLACEMENT: ("resource", "hub"),
}


@dataclass(frozen=True, eq=False)
class ResourceDocument:
    """One resource as a policy input. Its ``document`` is built when first read: a scan judging part of
    an estate (a shard, a worker process) reads only its own resources' documents."""

    kind: ResourceKind
    id: str
    name: str
    subscription_id: str | None
    subscription_name: str | None
    location: str | None
    build: Callable[[], dict[str, Any]] = field(repr=False)

    @cached_property
    def document(self) -> dict[str, Any]:
        return self.build()

    @cached_property
    def key(self) -> str:
        """The normalized id (findings' fingerprints), computed once for every policy judging it."""
        return normalize_id(self.id)


@dataclass(frozen=True)
class Gap:
    """Resources of ``kind`` inside ``container_id`` could not be enumerated, for ``reason``."""

    kind: ResourceKind
    container_id: str
    container_name: str
    subscription_id: str | None
    location: str | None
    reason: str

    @cached_property
    def key(self) -> str:
        """The normalized id of the container its findings name."""
        return normalize_id(self.container_id)


def _dump(model: Any, exclude: set[str] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude=exclude)
    return result


def catalog_document(catalog: VersionCatalog | None) -> dict[str, Any] | None:
    if catalog is None:
        return None
    ordered = sorted(catalog.versions, key=lambda minor: _version_key(minor.version))
    return {
        "location": catalog.location,
        "versions": [minor.version for minor in ordered],
        "minors": {
            minor.version: {
                "isPreview": minor.is_preview,
                "isDefault": minor.is_default,
                "supportPlans": list(minor.support_plans),
                "patches": sorted(minor.patch_versions),
            }
            for minor in ordered
        },
    }


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in version.split("."))


def _cluster_summary(cluster: Cluster) -> dict[str, Any]:
    return _dump(cluster, exclude={"node_pools", "maintenance_configurations", "upgrade_profile"})


def _running_versions(estate: Estate) -> dict[str, str | None]:
    return {
        normalize_id(cluster.id): cluster.current_kubernetes_version or cluster.kubernetes_version
        for cluster in estate.clusters
    }


def _members_document(
    members: Sequence[tuple[str, str | None, str | None]], running: dict[str, str | None]
) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "clusterResourceId": cluster_id,
            "group": group,
            "runningVersion": running.get(normalize_id(cluster_id)) if cluster_id else None,
        }
        for name, cluster_id, group in members
    ]


def _fleet_member_tuples(members: tuple[FleetMember, ...]) -> list[tuple[str, str | None, str | None]]:
    return [(member.name, member.cluster_resource_id, member.group) for member in members]


def _fleet_views(estate: Estate) -> dict[str, dict[str, Any]]:
    return {
        normalize_id(fleet.id): {
            "id": fleet.id,
            "name": fleet.name,
            "autoUpgradeProfiles": None
            if fleet.auto_upgrade_profiles is None
            else [_dump(profile) for profile in fleet.auto_upgrade_profiles],
        }
        for fleet in estate.fleets
    }


def _cluster_fleets(cluster: Cluster, views: dict[str, dict[str, Any]]) -> list[dict[str, Any]] | None:
    if cluster.fleet_memberships is None:
        return None
    return [
        views.get(normalize_id(m.fleet_id))
        or {
            "id": m.fleet_id,
            "name": arm_segment(m.fleet_id, "fleets") or m.fleet_id,
            "autoUpgradeProfiles": None,
        }
        for m in cluster.fleet_memberships
    ]


def iter_documents(estate: Estate) -> Iterator[ResourceDocument | Gap]:
    """Every resource of the estate as a policy input, in a stable order; gaps where nothing was read."""
    views = _fleet_views(estate)
    catalogs = {}
    for cluster in estate.clusters:
        key = (cluster.location or "").replace(" ", "").lower()
        if key not in catalogs:
            catalogs[key] = catalog_document(estate.catalog_for(cluster.location))
        catalog = catalogs[key]
        yield ResourceDocument(
            ResourceKind.CLUSTER,
            cluster.id,
            cluster.name,
            cluster.subscription_id,
            cluster.subscription_name,
            cluster.location,
            partial(_cluster_document, cluster, catalog, views),
        )
        summary = cache(partial(_cluster_summary, cluster))  # one per cluster, shared by its pools
        for pool in cluster.node_pools:
            yield ResourceDocument(
                ResourceKind.NODE_POOL,
                cluster.pool_id(pool),
                f"{cluster.name}/{pool.name}",
                cluster.subscription_id,
                cluster.subscription_name,
                cluster.location,
                partial(_pool_document, pool, summary, catalog),
            )
    running = _running_versions(estate) if estate.fleets else {}
    for fleet in estate.fleets:
        yield from _fleet_documents(fleet, running)
    for hub in estate.hubs:
        yield from _hub_documents(hub)


def _cluster_document(
    cluster: Cluster, catalog: dict[str, Any] | None, views: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    return {"resource": _dump(cluster), "catalog": catalog, "fleets": _cluster_fleets(cluster, views)}


def _pool_document(
    pool: NodePool, summary: Callable[[], dict[str, Any]], catalog: dict[str, Any] | None
) -> dict[str, Any]:
    return {"resource": _dump(pool), "cluster": summary(), "catalog": catalog}


def _resource_document(model: Any, **context: Any) -> dict[str, Any]:
    return {"resource": _dump(model), **context}


def _fleet_documents(fleet: Fleet, running: dict[str, str | None]) -> Iterator[ResourceDocument | Gap]:
    def view(kind: ResourceKind, rid: str, name: str, model: Any, **context: Any) -> ResourceDocument:
        return ResourceDocument(
            kind,
            rid,
            f"{fleet.name}/{name}",
            fleet.subscription_id,
            fleet.subscription_name,
            fleet.location,
            partial(_resource_document, model, **context),
        )

    def gap(kind: ResourceKind, what: str) -> Gap:
        return Gap(
            kind,
            fleet.id,
            fleet.name,
            fleet.subscription_id,
            fleet.location,
            f"{what} of fleet {fleet.name} were not collected",
        )

    yield ResourceDocument(
        ResourceKind.FLEET,
        fleet.id,
        fleet.name,
        fleet.subscription_id,
        fleet.subscription_name,
        fleet.location,
        partial(_resource_document, fleet),
    )
    fleet_ref = {"id": fleet.id, "name": fleet.name}
    fleet_members = _members_document(_fleet_member_tuples(fleet.members or ()), running)
    if fleet.update_runs is None:
        yield gap(ResourceKind.UPDATE_RUN, "update runs")
    else:
        for run in fleet.update_runs:
            run_members = [
                (member.name, member.cluster_resource_id, group.name)
                for stage in run.stages
                for group in stage.groups
                for member in group.members
            ]
            members = _members_document(run_members, running) if run_members else fleet_members
            if not run_members and fleet.members is None:
                yield gap(ResourceKind.UPDATE_RUN, f"members (needed to judge update run {run.name})")
                continue
            yield view(
                ResourceKind.UPDATE_RUN,
                run.id,
                run.name,
                run,
                fleet=fleet_ref,
                members=members,
            )
    if fleet.auto_upgrade_profiles is None:
        yield gap(ResourceKind.AUTO_UPGRADE_PROFILE, "auto-upgrade profiles")
    elif fleet.auto_upgrade_profiles and fleet.members is None:
        yield gap(ResourceKind.AUTO_UPGRADE_PROFILE, "members (needed to judge auto-upgrade profiles)")
    else:
        for profile in fleet.auto_upgrade_profiles:
            yield view(
                ResourceKind.AUTO_UPGRADE_PROFILE,
                profile.id,
                profile.name,
                profile,
                fleet=fleet_ref,
                members=fleet_members,
            )


def hub_object_id(hub: Hub, plural: str, name: str, namespace: str | None = None) -> str:
    middle = f"{namespace}/" if namespace else ""
    return f"{hub.base_id}/{plural}/{middle}{name}"


def _hub_object_id(hub: Hub, item: MemberCluster | Placement) -> str:
    if isinstance(item, MemberCluster):
        return hub_object_id(hub, "memberclusters", item.name)
    plural = "resourceplacements" if item.kind == "ResourcePlacement" else "clusterresourceplacements"
    return hub_object_id(hub, plural, item.name, item.namespace)


def _hub_documents(hub: Hub) -> Iterator[ResourceDocument | Gap]:
    hub_ref = {"name": hub.name, "fleetId": hub.fleet_id}
    subscription = arm_segment(hub.fleet_id, "subscriptions") if hub.fleet_id else None
    groups: tuple[tuple[ResourceKind, tuple[MemberCluster, ...] | tuple[Placement, ...] | None], ...] = (
        (ResourceKind.MEMBER_CLUSTER, hub.member_clusters),
        (ResourceKind.PLACEMENT, hub.placements),
    )
    for kind, items in groups:
        # Objects that were read are judged even when another list on the same hub failed; the failure
        # itself is a coverage gap (exit 3) and an error finding for the kinds that were not read.
        if items is None:
            reason = hub.error or f"{kind.value} objects were not collected"
            yield Gap(
                kind, hub.base_id, hub.name, subscription, None, f"hub {hub.name} could not be read: {reason}"
            )
            continue
        for item in items:
            yield ResourceDocument(
                kind,
                _hub_object_id(hub, item),
                f"{hub.name}/{item.name}",
                subscription,
                None,
                None,
                partial(_resource_document, item, hub=hub_ref),
            )
