"""Per-region and per-cluster AKS API reads, through ``ContainerServiceClient`` with raw JSON (``cls``).

Reading the wire JSON rather than the SDK models keeps enum values the SDK does not know and lets one
normalizer serve Resource Graph rows and API responses alike.
"""

from __future__ import annotations

from typing import Any

from auditor.collectors.azure import normalize
from auditor.collectors.azure.aio import AsyncClients
from auditor.collectors.azure.clients import AzureClients
from auditor.collectors.azure.payload import json_body
from auditor.inventory import Cluster, ClusterUpgradeProfile, MaintenanceConfiguration, VersionCatalog
from auditor.inventory.base import arm_segment


def _json(pipeline_response: Any, _deserialized: Any, _headers: Any) -> Any:
    response = pipeline_response.http_response
    return json_body(response, response.request.url.split("?", 1)[0])


def page_items(models: list[Any]) -> list[Any]:
    # Paged operations hand ``cls`` the page's items; TypeSpec models are mappings over the wire JSON.
    return [model.as_dict() if hasattr(model, "as_dict") else model for model in models]


def _names(cluster: Cluster) -> tuple[str, str]:
    group = arm_segment(cluster.id, "resourceGroups") or cluster.resource_group
    return group, arm_segment(cluster.id, "managedClusters") or cluster.name


class AksApi:
    """The AKS reads a collection makes beyond Resource Graph."""

    def __init__(self, clients: AzureClients) -> None:
        self._clients = clients

    def catalog(self, subscription: str, location: str) -> VersionCatalog:
        client = self._clients.aks(subscription)
        body = client.managed_clusters.list_kubernetes_versions(location, cls=_json)
        return normalize.version_catalog(location, body)

    def upgrade_profile(self, cluster: Cluster) -> ClusterUpgradeProfile:
        client = self._clients.aks(cluster.subscription_id)
        body = client.managed_clusters.get_upgrade_profile(*_names(cluster), cls=_json)
        return normalize.cluster_upgrade_profile(body, cluster.id)

    def latest_node_image(self, cluster: Cluster, pool: str) -> str | None:
        client = self._clients.aks(cluster.subscription_id)
        body = client.agent_pools.get_upgrade_profile(*_names(cluster), pool, cls=_json)
        return normalize.pool_latest_node_image(body, f"{cluster.id}/agentPools/{pool}")


class AsyncAksApi:
    """The AKS read made once per cluster, through the SDK's async client (see aio.py)."""

    def __init__(self, clients: AsyncClients) -> None:
        self._clients = clients

    async def maintenance(self, cluster: Cluster) -> tuple[MaintenanceConfiguration, ...]:
        client = self._clients.aks(cluster.subscription_id)
        pager = client.maintenance_configurations.list_by_managed_cluster(*_names(cluster), cls=page_items)
        return tuple([normalize.maintenance_configuration(item) async for item in pager])
