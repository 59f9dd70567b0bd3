"""What a security team wants to see of each cluster beside its findings: version, tier and plan, the
upgrade channels, its node pools (version, OS, image and its age) and its fleets. Kept in the result
(schema 2.3) so a saved result re-renders it; maintenance windows and end of support are in ``horizon``.
"""

from __future__ import annotations

from datetime import datetime

from auditor.inventory import Estate
from auditor.inventory.aks import Cluster, NodePool
from auditor.inventory.base import Model
from auditor.kube_versions import node_image_date


class PoolCard(Model):
    name: str
    mode: str | None = None
    os: str | None = None
    version: str | None = None
    image: str | None = None
    #: Whole days since the image's build date; None when it cannot be read.
    image_age_days: int | None = None
    #: The image is the latest AKS offers for the pool; None when either is unknown.
    image_latest: bool | None = None


class ClusterCard(Model):
    resource_id: str
    name: str
    version: str | None = None
    sku_tier: str | None = None
    support_plan: str | None = None
    upgrade_channel: str | None = None
    node_os_channel: str | None = None
    pools: tuple[PoolCard, ...] = ()
    #: Fleet name (and update group) of each membership; None when the memberships could not be read.
    fleets: tuple[str, ...] | None = ()


def _pool(pool: NodePool, now: datetime) -> PoolCard:
    try:
        age = (now - node_image_date(pool.node_image_version or "")).days
    except ValueError:
        age = None
    latest = (
        pool.node_image_version == pool.latest_node_image_version
        if pool.node_image_version and pool.latest_node_image_version
        else None
    )
    os = " ".join(part for part in (pool.os_type, pool.os_sku) if part) or None
    return PoolCard(
        name=pool.name,
        mode=pool.mode,
        os=os,
        version=pool.current_orchestrator_version or pool.orchestrator_version,
        image=pool.node_image_version,
        image_age_days=age,
        image_latest=latest,
    )


def cluster_card(cluster: Cluster, now: datetime) -> ClusterCard:
    profile = cluster.auto_upgrade_profile
    memberships = cluster.fleet_memberships
    return ClusterCard(
        resource_id=cluster.id,
        name=cluster.name,
        version=cluster.current_kubernetes_version or cluster.kubernetes_version,
        sku_tier=cluster.sku_tier,
        support_plan=cluster.support_plan,
        upgrade_channel=profile.upgrade_channel if profile else None,
        node_os_channel=profile.node_os_upgrade_channel if profile else None,
        pools=tuple(_pool(pool, now) for pool in cluster.node_pools),
        fleets=None
        if memberships is None
        else tuple(
            m.fleet_id.rstrip("/").rsplit("/", 1)[-1] + (f" (group {m.group})" if m.group else "")
            for m in memberships
        ),
    )


def cluster_cards(estate: Estate, now: datetime) -> tuple[ClusterCard, ...]:
    return tuple(cluster_card(cluster, now) for cluster in estate.clusters)
