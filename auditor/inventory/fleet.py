"""Azure Kubernetes Fleet Manager ARM resources: fleets, members, update runs, strategies, auto-upgrade."""

from __future__ import annotations

from pydantic import Field

from auditor.inventory.base import Model, TrackedResource


class HubProfile(Model):
    dns_prefix: str | None = None
    fqdn: str | None = None
    kubernetes_version: str | None = None
    portal_fqdn: str | None = None


class FleetMember(Model):
    id: str | None = None
    name: str
    cluster_resource_id: str | None = None
    group: str | None = None
    provisioning_state: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class UpdateRunMember(Model):
    name: str
    cluster_resource_id: str | None = None
    state: str | None = None
    message: str | None = None


class UpdateRunGroup(Model):
    name: str
    state: str | None = None
    members: tuple[UpdateRunMember, ...] = ()


class UpdateRunStage(Model):
    name: str
    state: str | None = None
    groups: tuple[UpdateRunGroup, ...] = ()


class UpdateRun(Model):
    """``fleets/updateRuns``. ``state`` is ``properties.status.status.state`` (NotStarted, Running, ...)."""

    id: str
    name: str
    provisioning_state: str | None = None
    state: str | None = None
    upgrade_type: str | None = None
    target_kubernetes_version: str | None = None
    node_image_selection: str | None = None
    update_strategy_id: str | None = None
    start_time: str | None = None
    completed_time: str | None = None
    created_at: str | None = None
    stages: tuple[UpdateRunStage, ...] = ()

    def member_cluster_ids(self) -> tuple[str, ...]:
        return tuple(
            member.cluster_resource_id
            for stage in self.stages
            for group in stage.groups
            for member in group.members
            if member.cluster_resource_id
        )


class StrategyStage(Model):
    name: str
    groups: tuple[str, ...] = ()
    after_stage_wait_in_seconds: int | None = None


class UpdateStrategy(Model):
    id: str
    name: str
    stages: tuple[StrategyStage, ...] = ()


class FleetAutoUpgradeProfile(Model):
    """``fleets/autoUpgradeProfiles``: channel Stable | Rapid | NodeImage | TargetKubernetesVersion."""

    id: str
    name: str
    channel: str | None = None
    target_kubernetes_version: str | None = None
    long_term_support: bool | None = None
    disabled: bool | None = None
    node_image_selection: str | None = None
    update_strategy_id: str | None = None
    provisioning_state: str | None = None


class Fleet(TrackedResource):
    provisioning_state: str | None = None
    hub_profile: HubProfile | None = None
    #: Each child list: ``None`` = not collected, ``()`` = collected, none exist.
    members: tuple[FleetMember, ...] | None = None
    update_runs: tuple[UpdateRun, ...] | None = None
    update_strategies: tuple[UpdateStrategy, ...] | None = None
    auto_upgrade_profiles: tuple[FleetAutoUpgradeProfile, ...] | None = None
