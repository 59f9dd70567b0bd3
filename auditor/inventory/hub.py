"""Objects read from a Fleet hub cluster's Kubernetes API (cluster.* and placement.kubernetes-fleet.io)."""

from __future__ import annotations

from pydantic import Field

from auditor.inventory.base import Model

PLACEMENT_KINDS = ("ClusterResourcePlacement", "ResourcePlacement")


class Condition(Model):
    """A ``metav1.Condition``; ``observed_generation`` matters (stale conditions are not True)."""

    type: str
    status: str
    reason: str | None = None
    message: str | None = None
    observed_generation: int | None = None
    last_transition_time: str | None = None


class AgentStatus(Model):
    type: str
    conditions: tuple[Condition, ...] = ()
    last_received_heartbeat: str | None = None


class Taint(Model):
    key: str
    value: str | None = None
    effect: str | None = None


class MemberCluster(Model):
    name: str
    generation: int | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    conditions: tuple[Condition, ...] = ()
    agent_status: tuple[AgentStatus, ...] = ()
    taints: tuple[Taint, ...] = ()
    heartbeat_period_seconds: int | None = None
    #: The AKS cluster behind this member: from the Fleet's ARM members, else its fleet.azure.com/* labels.
    cluster_resource_id: str | None = None


class ResourceRef(Model):
    group: str | None = None
    version: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None


class FailedPlacement(Model):
    resource: ResourceRef
    condition: Condition | None = None


class ClusterPlacementStatus(Model):
    """One ``status.placementStatuses[]`` entry; ``cluster_name`` is absent for a failed-to-schedule slot."""

    cluster_name: str | None = None
    conditions: tuple[Condition, ...] = ()
    failed_placements: tuple[FailedPlacement, ...] = ()


class Placement(Model):
    """ClusterResourcePlacement or ResourcePlacement, with the API server's defaults applied.

    ``policy_type`` defaults to PickAll when ``spec.policy`` is absent (as Fleet's controller does);
    ``apply_strategy_type`` defaults to ClientSideApply.
    """

    kind: str = "ClusterResourcePlacement"
    name: str
    namespace: str | None = None
    generation: int | None = None
    policy_type: str = "PickAll"
    number_of_clusters: int | None = None
    cluster_names: tuple[str, ...] = ()
    apply_strategy_type: str = "ClientSideApply"
    rollout_strategy_type: str | None = None
    conditions: tuple[Condition, ...] = ()
    placement_statuses: tuple[ClusterPlacementStatus, ...] = ()
    selected_resource_count: int | None = None


class StagedUpdateRun(Model):
    name: str
    placement_name: str | None = None
    state: str | None = None
    generation: int | None = None
    conditions: tuple[Condition, ...] = ()


class Hub(Model):
    """A Fleet hub cluster. ``error`` set = it could not be read; its policies then report ``error``."""

    name: str
    fleet_id: str | None = None
    api_version: str | None = None
    error: str | None = None
    member_clusters: tuple[MemberCluster, ...] | None = None
    placements: tuple[Placement, ...] | None = None
    staged_update_runs: tuple[StagedUpdateRun, ...] | None = None

    @property
    def base_id(self) -> str:
        """Prefix of this hub's object ids: the fleet's ARM id when known, else the hub context name."""
        return self.fleet_id or self.name
