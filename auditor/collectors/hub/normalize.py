"""Normalize Fleet hub objects (as the Kubernetes API returns them) into the inventory's hub models.

Applies the defaults a real API server or Fleet's controllers would: a placement without
``spec.policy`` is PickAll; an absent apply strategy is ClientSideApply. Kubernetes field names map
onto ours; unknown fields are ignored (the hub may be newer than us), a malformed value is refused
with the path that holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from auditor.collectors.interface import PayloadError
from auditor.errors import describe_validation_error
from auditor.inventory import MemberCluster, Placement, StagedUpdateRun

#: Labels AKS Fleet puts on every MemberCluster (MS docs: kubernetes-fleet/concepts-member-cluster-labels).
AKS_CLUSTER_LABELS = (
    "fleet.azure.com/subscription-id",
    "fleet.azure.com/resource-group",
    "fleet.azure.com/cluster-name",
)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _conditions(items: Any) -> list[dict[str, Any]]:
    return [
        {
            "type": c.get("type"),
            "status": c.get("status"),
            "reason": c.get("reason"),
            "message": c.get("message"),
            "observedGeneration": c.get("observedGeneration"),
            "lastTransitionTime": c.get("lastTransitionTime"),
        }
        for c in _list(items)
        if isinstance(c, Mapping)
    ]


def _validated(model: type[Any], raw: dict[str, Any], what: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise PayloadError(f"{what}: {describe_validation_error(error)}") from None


def member_cluster(obj: Mapping[str, Any]) -> MemberCluster:
    meta, spec, status = _map(obj.get("metadata")), _map(obj.get("spec")), _map(obj.get("status"))
    raw = {
        "name": meta.get("name"),
        "generation": meta.get("generation"),
        "labels": dict(_map(meta.get("labels"))),
        "conditions": _conditions(status.get("conditions")),
        "agentStatus": [
            {
                "type": agent.get("type"),
                "conditions": _conditions(agent.get("conditions")),
                "lastReceivedHeartbeat": agent.get("lastReceivedHeartbeat"),
            }
            for agent in _list(status.get("agentStatus"))
            if isinstance(agent, Mapping)
        ],
        "taints": [
            {"key": t.get("key"), "value": t.get("value"), "effect": t.get("effect")}
            for t in _list(spec.get("taints"))
            if isinstance(t, Mapping)
        ],
        "heartbeatPeriodSeconds": spec.get("heartbeatPeriodSeconds"),
    }
    result: MemberCluster = _validated(MemberCluster, raw, f"MemberCluster {meta.get('name')!r}")
    return result


def _failed(entry: Mapping[str, Any]) -> dict[str, Any]:
    condition = entry.get("condition")
    return {
        "resource": {k: entry.get(k) for k in ("group", "version", "kind", "name", "namespace")},
        "condition": _conditions([condition])[0] if isinstance(condition, Mapping) else None,
    }


def placement(obj: Mapping[str, Any]) -> Placement:
    meta, spec, status = _map(obj.get("metadata")), _map(obj.get("spec")), _map(obj.get("status"))
    policy = _map(spec.get("policy"))
    strategy = _map(spec.get("strategy"))
    apply_strategy = _map(strategy.get("applyStrategy"))
    raw = {
        "kind": obj.get("kind") or "ClusterResourcePlacement",
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "generation": meta.get("generation"),
        "policyType": policy.get("placementType") or "PickAll",
        "numberOfClusters": policy.get("numberOfClusters"),
        "clusterNames": list(_list(policy.get("clusterNames"))),
        "applyStrategyType": apply_strategy.get("type") or "ClientSideApply",
        "rolloutStrategyType": strategy.get("type"),
        "conditions": _conditions(status.get("conditions")),
        "placementStatuses": [
            {
                "clusterName": entry.get("clusterName"),
                "conditions": _conditions(entry.get("conditions")),
                "failedPlacements": [
                    _failed(f) for f in _list(entry.get("failedPlacements")) if isinstance(f, Mapping)
                ],
            }
            for entry in _list(status.get("placementStatuses"))
            if isinstance(entry, Mapping)
        ],
        "selectedResourceCount": len(_list(status.get("selectedResources"))) if "status" in obj else None,
    }
    result: Placement = _validated(Placement, raw, f"{raw['kind']} {meta.get('name')!r}")
    return result


def staged_update_run(obj: Mapping[str, Any]) -> StagedUpdateRun:
    meta, spec, status = _map(obj.get("metadata")), _map(obj.get("spec")), _map(obj.get("status"))
    raw = {
        "name": meta.get("name"),
        "placementName": spec.get("placementName"),
        "state": spec.get("state"),
        "generation": meta.get("generation"),
        "conditions": _conditions(status.get("conditions")),
    }
    result: StagedUpdateRun = _validated(StagedUpdateRun, raw, f"ClusterStagedUpdateRun {meta.get('name')!r}")
    return result


def aks_cluster_id(labels: Mapping[str, str]) -> str | None:
    """The AKS cluster's ARM id from a MemberCluster's fleet.azure.com/* labels; None if one is missing."""
    subscription, group, name = (labels.get(key) for key in AKS_CLUSTER_LABELS)
    if not (subscription and group and name):
        return None
    return (
        f"/subscriptions/{subscription}/resourceGroups/{group}"
        f"/providers/Microsoft.ContainerService/managedClusters/{name}"
    )
